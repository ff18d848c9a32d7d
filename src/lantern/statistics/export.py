"""Exports of published tables: CSV, Excel, Eurostat crim_thb layout, and CTDC-aligned k-anonymous microdata.

Every writer writes to a temporary file beside the target and renames it only when complete, so a
failure never leaves a half-written export.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.errors import LanternError
from lantern.statistics import _std
from lantern.statistics.sdc import PUBLISHED, TOTAL, SDCRules
from lantern.statistics.tables import UNKNOWN, StatTable, tables_frame


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path in the target's folder; move it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an export gets the usual permissions
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_csv(tables: list[StatTable], path: str | Path) -> Path:
    """All tables in one long CSV (``table_id`` column; ``TOTAL`` marks a margin)."""
    frame = tables_frame(tables)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def _about_rows(tables: list[StatTable], rules: SDCRules) -> list[tuple[str, str]]:
    rows = [
        ("standard version", ", ".join(sorted({t.standard_version for t in tables}))),
        ("unit", "persons, each counted once at their first assessment"),
        ("threshold", f"cells 1..{rules.threshold - 1} shown as <{rules.threshold}" if rules.enabled else "none (internal)"),
        ("secondary suppression", "shown as x; no suppressed cell can be bounded more tightly than "
         f"{rules.protection} from the published cells and margins (LP-audited)" if rules.enabled else "none"),
        ("rounding", f"to a multiple of {rules.rounding}; margins rounded separately (may not add up)"),
        ("TOTAL", "the margin over that variable"),
        ("UNK", "unknown / not recorded"),
    ]
    for t in tables:
        rows.append((f"table {t.id}", f"{t.spec.title} — measure {t.spec.measure}, by {', '.join(t.dims)}"))
    return rows


def write_excel(tables: list[StatTable], path: str | Path) -> Path:
    """One sheet per table (long layout) plus an ``about`` sheet with the rules and the standard version."""
    rules = tables[0].protected.rules if tables else SDCRules()
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        pd.DataFrame(_about_rows(tables, rules), columns=["item", "meaning"]).to_excel(writer, sheet_name="about", index=False)
        used: set[str] = {"about"}
        for t in tables:
            name = t.id[:31]
            k = 1
            while name in used:
                k += 1
                name = f"{t.id[:28]}_{k}"
            used.add(name)
            frame = t.frame().drop(columns=["table_id"])
            frame["value"] = frame["value"].astype(object).where(frame["value"].notna(), None)
            frame.to_excel(writer, sheet_name=name, index=False)
    return Path(path)


def write_tables(tables: list[StatTable], path: str | Path) -> Path:
    """Write by extension: ``.csv`` or ``.xlsx``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return write_csv(tables, path)
    if suffix == ".xlsx":
        return write_excel(tables, path)
    raise LanternError("the output must end in .csv or .xlsx", field="out", record=str(path))


# --- Eurostat crim_thb -------------------------------------------------------------------------

_CRIM_SEX = {"female": "F", "male": "M", "F": "F", "M": "M", TOTAL: "T", UNKNOWN: "UNK"}
_CRIM_CITIZEN = {"REPORTING": "NAT", "OTHER_EU": "EU27_2020_FOR", "NON_EU": "NEU27_2020_FOR", TOTAL: "TOTAL", UNKNOWN: "UNK"}
_CRIM_EXPLOIT = {"SEX": "SEX_EXP", "LAB": "LAB_EXP", "OTH": "OTH_EXP", TOTAL: "TOTAL", UNKNOWN: "UNK"}
CRIM_THB_COLUMNS = ["freq", "unit", "leg_stat", "sex", "age", "citizen", "c_exploit", "geo", "TIME_PERIOD", "OBS_VALUE", "OBS_FLAG", "table_id"]
CRIM_THB_DIMS = {"period", "country", "sex", "age_band", "citizenship_group", "exploitation_group"}


def _crim_age(label: str) -> str:
    """Eurostat AGE code of an age band label: ``0-17`` → ``Y_LT18``, ``18-24`` → ``Y18-24``, ``65+`` → ``Y_GE65``.

    A band starting at 0 is "less than" its upper bound plus one (Eurostat writes ``Y_LT12``, never
    ``Y0-11``); an open band is "greater or equal".
    """
    if label == TOTAL:
        return "TOTAL"
    if label == UNKNOWN:
        return "UNK"
    lo, _, hi = label.partition("-")
    if not hi:
        return f"Y_GE{lo.rstrip('+')}"
    if int(lo) == 0:
        return f"Y_LT{int(hi) + 1}"
    return f"Y{lo}-{hi}"


def crim_thb_frame(tables: list[StatTable]) -> pd.DataFrame:
    """Tables in Eurostat's crim_thb long layout (SDMX-CSV style), one row per released cell.

    Only tables of ``registered_victims`` (or ``presumed_victims``) broken down by period, country, sex,
    age band, citizenship group and/or exploitation group are exported; a variable a table does not use
    is ``TOTAL``. A suppressed cell has an empty ``OBS_VALUE`` and flag ``c`` (confidential), as Eurostat
    marks them. Codes: sex T/M/F; age TOTAL/Y_LT18/Y_GE18 (other bands ``Y12-17``, ``Y_LT12``,
    ``Y_GE65`` …); citizen NAT (reporting country) / EU27_2020_FOR / NEU27_2020_FOR; c_exploit SEX_EXP /
    LAB_EXP / OTH_EXP; leg_stat PER_VICT; unit NR.

    The sex, age, citizen, unit, freq and geo codes were checked against Eurostat's code lists as used
    in public SDMX queries, and the breakdowns against the crim_thb reference metadata (ESMS); the
    ``leg_stat`` value and the exploitation dimension's name and codes could not be checked against
    crim_thb_vexp's data structure definition (see docs/statistics.md, *Exports*).
    """
    rows = []
    for t in tables:
        if not set(t.dims) <= CRIM_THB_DIMS or t.spec.measure not in ("registered_victims", "presumed_victims", "identified_victims"):
            continue
        if "period" not in t.dims or t.spec.period != "year":
            continue
        f = t.frame()
        for r in f.to_dict("records"):
            if r["period"] == TOTAL or ("country" in t.dims and r["country"] == TOTAL):
                continue  # crim_thb is per year and reporting country; aggregates are Eurostat's to make
            rows.append(
                {
                    "freq": "A",
                    "unit": "NR",
                    "leg_stat": "PER_VICT",
                    "sex": _CRIM_SEX.get(str(r.get("sex", TOTAL)), "UNK"),
                    "age": _crim_age(str(r.get("age_band", TOTAL))),
                    "citizen": _CRIM_CITIZEN.get(str(r.get("citizenship_group", TOTAL)), "UNK"),
                    "c_exploit": _CRIM_EXPLOIT.get(str(r.get("exploitation_group", TOTAL)), "UNK"),
                    "geo": {"GR": "EL", "GB": "UK"}.get(str(r.get("country", TOTAL)), str(r.get("country", TOTAL))),
                    "TIME_PERIOD": r["period"],
                    "OBS_VALUE": None if r["status"] != PUBLISHED else int(r["value"]),
                    "OBS_FLAG": "" if r["status"] == PUBLISHED else "c",
                    "table_id": t.id,
                }
            )
    if not rows:
        raise LanternError(
            "no table fits the crim_thb layout (registered victims by year and any of country, sex, age_band, "
            "citizenship_group, exploitation_group)",
            record="spec",
        )
    frame = pd.DataFrame(rows, columns=CRIM_THB_COLUMNS)
    frame["OBS_VALUE"] = frame["OBS_VALUE"].astype("Int64")
    return frame


def write_crim_thb(tables: list[StatTable], path: str | Path) -> Path:
    frame = crim_thb_frame(tables)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


# --- CTDC-aligned microdata, k-anonymised ---------------------------------------------------------

CTDC_AGE_BANDS = [(0, 8), (9, 17), (18, 20), (21, 23), (24, 26), (27, 29), (30, 38), (39, 47), (48, 200)]
#: Quasi-identifiers, least important first: these are generalised / suppressed first.
CTDC_QUASI_IDENTIFIERS = [
    "typeOfLabour", "citizenship", "ageBroad", "gender", "CountryOfExploitation", "yearOfRegistration",
    "isForcedLabour", "isSexualExploit", "isForcedMarriage", "isOtherExploit",
]

_CTDC_LABOUR = {
    "agriculture": "Agriculture", "construction": "Construction", "domestic_work": "Domestic work",
    "hospitality": "Hospitality", "manufacturing": "Manufacturing", "mining": "Mining or drilling",
    "transport": "Transportation", "delivery": "Transportation", "begging": "Begging", "fishing": "Aquafarming",
    "retail": "Peddling",
}


def _ctdc_age(age: Any) -> str:
    if age is None or (isinstance(age, float) and np.isnan(age)) or pd.isna(age):
        return "Unknown"
    a = int(age)
    for lo, hi in CTDC_AGE_BANDS:
        if lo <= a <= hi:
            return f"{lo}--{hi}" if hi < 200 else f"{lo}+"
    return "Unknown"


def _ctdc_value(mapping: dict, key: str, value: Any, fallback: Callable[[Any], Any]) -> Any:
    table = mapping.get(key) if isinstance(mapping, dict) else None
    if isinstance(table, dict) and value in table:
        return table[value]
    return fallback(value)


@dataclass
class KAnonymityReport:
    """What the k-anonymisation did."""

    k: int
    records_in: int
    records_out: int
    values_suppressed: dict[str, int]
    generalised: list[str]
    smallest_class: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k, "records_in": self.records_in, "records_out": self.records_out,
            "values_suppressed": self.values_suppressed, "generalised": self.generalised,
            "smallest_class": self.smallest_class,
        }


def ctdc_microdata(persons: pd.DataFrame, *, standard_version: str | None = None) -> pd.DataFrame:
    """CTDC-aligned rows (before anonymisation) for registered victims from a persons frame.

    ``persons`` is the per-person table of :class:`lantern.statistics.tables.Dataset` (columns
    ``interview_date``, ``sex``, ``age``, ``citizenship``, ``country_of_interview``, ``exploitation_form``,
    ``sector``, ``presumed_victim``, ``identified_victim``). Mappings come from the standard's ``ctdc``
    mapping when present.
    """
    mapping = _std.mapping("ctdc", standard_version)
    victims = persons[persons["presumed_victim"].fillna(False).astype(bool)
                      | persons.get("identified_victim", pd.Series(False, index=persons.index)).fillna(False).astype(bool)]
    form = victims["exploitation_form"].astype(object)
    out = pd.DataFrame(
        {
            "yearOfRegistration": pd.to_datetime(victims["interview_date"]).dt.year.astype(str).to_numpy(),
            "Datasource": "Case Management",
            "gender": [_ctdc_value(mapping, "sex", s, lambda v: {"female": "Woman", "male": "Man"}.get(v, "Unknown")) for s in victims["sex"]],
            "ageBroad": [_ctdc_age(a) for a in victims["age"]],
            "majorityStatus": ["Unknown" if pd.isna(a) else ("Minor" if int(a) < 18 else "Adult") for a in victims["age"]],
            "citizenship": victims["citizenship"].fillna("Unknown").astype(str).to_numpy(),
            "CountryOfExploitation": victims["country_of_interview"].fillna("Unknown").astype(str).to_numpy(),
            "isForcedLabour": (form == "forced_labour").astype(int).to_numpy(),
            "isSexualExploit": (form == "sexual_exploitation").astype(int).to_numpy(),
            "isForcedMarriage": (form == "forced_marriage").astype(int).to_numpy(),
            "isOtherExploit": (~form.isin(["forced_labour", "sexual_exploitation", "forced_marriage"]) & form.notna()).astype(int).to_numpy(),
            "typeOfLabour": [
                _ctdc_value(mapping, "sector", s, lambda v: _CTDC_LABOUR.get(v, "Other") if isinstance(v, str) else "Unknown")
                if f == "forced_labour" else "Not applicable"
                for s, f in zip(victims["sector"], form, strict=True)
            ],
        }
    )
    return out.reset_index(drop=True)


def k_anonymise(
    frame: pd.DataFrame, *, k: int = 11, quasi_identifiers: list[str] | None = None
) -> tuple[pd.DataFrame, KAnonymityReport]:
    """Generalise then suppress until every combination of quasi-identifiers occurs at least ``k`` times.

    Steps (each applied only while some record is in a class smaller than ``k``):

    1. global recoding of rare categories: a value of a quasi-identifier held by fewer than ``k``
       records becomes ``"Other"``;
    2. generalisation of age: CTDC bands → ``majorityStatus`` (Minor / Adult / Unknown);
    3. local suppression: for records still in small classes, quasi-identifiers are set to
       ``"Suppressed"``, least important first (``typeOfLabour``, ``citizenship``, age, …);
    4. records still in a class smaller than ``k`` are dropped.

    A suppressed value counts as a category of its own, so the final check is strict: every released
    combination (including ``"Suppressed"`` values) has at least ``k`` records.
    """
    if k < 2:
        raise LanternError("k must be at least 2", field="k")
    qis = list(quasi_identifiers or CTDC_QUASI_IDENTIFIERS)
    missing = [q for q in qis if q not in frame.columns]
    if missing:
        raise LanternError(f"quasi-identifier column(s) missing: {', '.join(missing)}", field="quasi_identifiers")
    data = frame.copy()
    for q in qis:
        data[q] = data[q].astype(str)
    n_in = len(data)
    suppressed = dict.fromkeys(qis, 0)
    generalised: list[str] = []

    def small() -> np.ndarray:
        if data.empty:
            return np.zeros(0, dtype=bool)
        size = data.groupby(qis, sort=False)[qis[0]].transform("size").to_numpy()
        return size < k

    if small().any():
        for q in qis:
            counts = data[q].map(data[q].value_counts())
            rare = counts < k
            if rare.any():
                data.loc[rare, q] = "Other"
                generalised.append(f"{q}: {int(rare.sum())} rare values recoded to Other")
    if small().any() and "ageBroad" in qis and "majorityStatus" in data.columns:
        data["ageBroad"] = data["majorityStatus"].astype(str)
        generalised.append("ageBroad generalised to majority status")
    for q in qis:
        mask = small()
        if not mask.any():
            break
        data.loc[mask, q] = "Suppressed"
        suppressed[q] += int(mask.sum())
    mask = small()
    data = data[~mask].reset_index(drop=True)
    sizes = data.groupby(qis, sort=False).size() if len(data) else pd.Series([], dtype=int)
    report = KAnonymityReport(
        k=k, records_in=n_in, records_out=len(data), values_suppressed=suppressed, generalised=generalised,
        smallest_class=int(sizes.min()) if len(sizes) else 0,
    )
    return data, report


def write_ctdc(persons: pd.DataFrame, path: str | Path, *, k: int = 11, standard_version: str | None = None) -> KAnonymityReport:
    """Write the k-anonymised CTDC-aligned microdata CSV; returns what was generalised and suppressed."""
    data, report = k_anonymise(ctdc_microdata(persons, standard_version=standard_version), k=k)
    with atomic_path(path) as tmp:
        data.to_csv(tmp, index=False)
    return report

"""Fast synthetic assessments for tests and benchmarks (no real data; not the simulator).

The simulator (``lantern.simulate``) is the reference synthetic world with a known truth. This module
only makes *large* flat-format files quickly (10 million rows in seconds with numpy), with the
screening flags already attached, for the performance benchmark and for unit tests of the tables.

``identified_victim`` (formal identification by the competent authority) is generated the way the
simulator's interviews record it (``lantern.simulate`` engine, ``interviews`` section of the scenario):
per interview, an exploited person is recorded identified with probability ``identified_if_exploited``
(0.30; 0.60 when the interviewing agency is the police, as the Romania scenario's police list), a
person who is not exploited never is (``identified_if_not_exploited`` = 0), and ``identification_unknown``
(10 %) of the interviews cannot check the record (null). There is no latent truth here, so "exploited"
is the presumed victims plus a few vulnerable persons the screening did not flag (5 % of the other
vulnerable rows): some identified victims are therefore not presumed victims, as in the simulator.
The column is an ``Int8`` with nulls, the simulator's type.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CITIZENSHIPS = ["NP", "LK", "IN", "BD", "EG", "PK", "MA", "TR", "ET", "PH", "UA", "MD", "RO", "BG", "DE"]
CIT_WEIGHTS = np.array([30, 10, 8, 6, 5, 5, 4, 4, 3, 3, 10, 4, 4, 2, 2], dtype=float)
COUNTRIES = ["RO", "BG", "HU", "AT", "DE"]
COUNTRY_WEIGHTS = np.array([60, 10, 10, 10, 10], dtype=float)
SECTORS = ["construction", "manufacturing", "hospitality", "agriculture", "domestic_work", "delivery", "retail"]
FORMS = ["forced_labour", "sexual_exploitation", "forced_criminality", "forced_begging", "forced_marriage"]
SEXES = ["female", "male", "unknown"]
#: Regions (NUTS 2 codes) of each country of interview: they nest in the country, for the tests and
#: examples of hierarchical tables (region within country). 3 % of the rows have no region (``UNK``,
#: which then appears under several countries).
REGIONS = {
    "RO": ["RO11", "RO12", "RO21", "RO22", "RO31", "RO32", "RO41", "RO42"],
    "BG": ["BG31", "BG32", "BG33", "BG34", "BG41", "BG42"],
    "HU": ["HU11", "HU12", "HU21", "HU22", "HU23", "HU31", "HU32", "HU33"],
    "AT": ["AT11", "AT12", "AT13", "AT21", "AT22", "AT31", "AT32", "AT33", "AT34"],
    "DE": ["DE11", "DE21", "DE30", "DE60", "DEA1", "DE71"],
}
REGION_UNKNOWN = 0.03


#: Formal identification rates, as the simulator's defaults (``scenario.py``, ``interviews``).
IDENTIFIED_IF_EXPLOITED = 0.30
IDENTIFIED_IF_EXPLOITED_POLICE = 0.60
IDENTIFICATION_UNKNOWN = 0.10


def synthetic_assessments(n: int, *, seed: int = 0, repeat_share: float = 0.1, years=(2024, 2025, 2026)) -> pd.DataFrame:
    """``n`` assessment rows in the flat format, with ``vulnerable``, ``presumed_victim`` and ``identified_victim``.

    About ``repeat_share`` of the rows are repeat assessments of an earlier subject. The flags are drawn
    per row (per interview), so a person's repeat interviews may disagree, as in the simulator; the
    tables count a person as identified if any interview says so. ``identified_victim`` is drawn last,
    so the other columns are the same as before it existed for a given seed.
    """
    rng = np.random.default_rng(seed)
    n_subjects = max(1, int(n * (1 - repeat_share)))
    subject = np.concatenate([np.arange(n_subjects), rng.integers(0, n_subjects, n - n_subjects)])
    start = np.datetime64(f"{years[0]}-01-01")
    span = (np.datetime64(f"{years[-1] + 1}-01-01") - start).astype(int)
    dates = start + rng.integers(0, span, n).astype("timedelta64[D]")
    cit = np.asarray(CITIZENSHIPS)[rng.choice(len(CITIZENSHIPS), n, p=CIT_WEIGHTS / CIT_WEIGHTS.sum())]
    country = np.asarray(COUNTRIES)[rng.choice(len(COUNTRIES), n, p=COUNTRY_WEIGHTS / COUNTRY_WEIGHTS.sum())]
    age = rng.integers(14, 70, n).astype(float)
    age[rng.random(n) < 0.03] = np.nan
    vulnerable = rng.random(n) < 0.3
    presumed = vulnerable & (rng.random(n) < 0.15)
    form = np.where(presumed, np.asarray(FORMS, dtype=object)[rng.choice(len(FORMS), n, p=[0.6, 0.25, 0.07, 0.05, 0.03])], np.asarray(None, dtype=object))
    agency = np.asarray(["ngo", "police", "igi", "labour"])[rng.integers(0, 4, n)]
    sex = np.asarray(SEXES)[rng.choice(3, n, p=[0.35, 0.63, 0.02])]
    # formal identification, drawn last (see the module notes)
    exploited = presumed | (vulnerable & (rng.random(n) < 0.05))
    rate = np.where(agency == "police", IDENTIFIED_IF_EXPLOITED_POLICE, IDENTIFIED_IF_EXPLOITED)
    identified = (exploited & (rng.random(n) < rate)).astype(float)
    identified[rng.random(n) < IDENTIFICATION_UNKNOWN] = np.nan
    # region within the country (drawn after everything else, for the same reason)
    region = np.empty(n, dtype=object)
    pick = rng.random(n)
    for code, names in REGIONS.items():
        rows = country == code
        region[rows] = np.asarray(names, dtype=object)[np.minimum((pick[rows] * len(names)).astype(int), len(names) - 1)]
    region[rng.random(n) < REGION_UNKNOWN] = None
    return pd.DataFrame(
        {
            "assessment_id": np.char.add("a", np.arange(n).astype(str)),
            "subject_ref": np.char.add("p", subject.astype(str)),
            "standard_version": "1.0",
            "agency": agency,
            "interview_date": dates,
            "sex": sex,
            "age": pd.array(age, dtype="Int64"),
            "citizenship": cit,
            "country_of_interview": country,
            "region": region,
            "sector": np.asarray(SECTORS)[rng.integers(0, len(SECTORS), n)],
            "exploitation_form": form,
            "vulnerable": vulnerable,
            "presumed_victim": presumed,
            "identified_victim": pd.array(identified, dtype="Int8"),
        }
    )


def write_synthetic(path: str | Path, n: int, *, seed: int = 0, chunk: int = 2_000_000) -> Path:
    """Write ``n`` synthetic rows to a Parquet file in chunks (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        for i, start in enumerate(range(0, n, chunk)):
            part = synthetic_assessments(min(chunk, n - start), seed=seed + i)
            part["assessment_id"] = f"c{i}-" + part["assessment_id"]
            part["subject_ref"] = f"c{i}-" + part["subject_ref"]
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return path

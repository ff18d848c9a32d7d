"""Data-source suitability (recommendation 1.4): is each agency list fit to count and estimate?

For every source (``DIR/lists/<list>.parquet`` in the simulator's layout: ``record_id, list,
given_name, family_name, date_of_birth, sex, citizenship, record_date`` + list-specific columns):

* **completeness** of each field (share of records with a non-empty value);
* **validity** of each standard field: ``sex`` in the standard's code list, ``citizenship`` an ISO
  3166-1 alpha-2 code, ``date_of_birth`` a real past date giving an age of 0-110 at the record date,
  ``record_date`` a real date not in the future, names not empty nor placeholders (``UNKNOWN``, ``N/A``…);
* **timeliness**: first and last record date, days from the last record to the reference date
  (the latest record date of all sources, or a date given), share of records in the last 90 days;
* **duplicates within the source**: records sharing the same normalised name, date of birth, sex and
  citizenship (exact key; fuzzy duplicates need the linkage), and — when the truth is at hand
  (``truth/records.parquet``) — the true number of repeated persons and the share the exact key finds;
* **overlap** with the other sources: from the truth when evaluating on simulated data, or from the
  record linkage (:func:`lantern.linkage.link_to_histories`) when ``link=True``;
* **coverage** of the hidden population: persons in the source divided by the multiple-systems
  estimate (:class:`lantern.estimation.MSE`, stepwise model choice) from the capture histories, with
  the interval; when the truth is at hand, the true coverage too.

The report never shows a name or a date of birth: only shares, counts and code values.

Caveats: exact-key duplicates undercount duplicates with spelling variants; the coverage estimate
inherits the assumptions of the MSE model (closed population, no false links, list dependence
captured by the model) — see ``docs/estimation.md``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.errors import LanternError
from lantern.statistics import _std

STANDARD_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "citizenship", "record_date")
PLACEHOLDERS = {"", "unknown", "unk", "n/a", "na", "none", "null", "xxx", "x", "-", "?", "nn", "no name"}
SEX_FALLBACK = {"female", "male", "other", "unknown"}


@dataclass
class SourceQuality:
    name: str
    records: int
    fields: pd.DataFrame
    timeliness: dict[str, Any]
    duplicates: dict[str, Any]
    overlap: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    recommendations: list[str] = field(default_factory=list)


@dataclass
class SourcesReport:
    sources: list[SourceQuality]
    reference_date: str
    overlap_method: str
    estimate: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _norm(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("-", " ").split())


def _present(series: pd.Series) -> pd.Series:
    return series.notna() & (series.astype(str).str.strip() != "")


def _valid_countries() -> set[str]:
    import pycountry

    return {c.alpha_2 for c in pycountry.countries}


def field_quality(frame: pd.DataFrame, *, reference: pd.Timestamp) -> pd.DataFrame:
    """Completeness and validity per column (validity only for the standard fields)."""
    sexes = set(_std.code_ids("sex") or SEX_FALLBACK)
    countries = _valid_countries()
    rows = []
    record_dates = pd.to_datetime(frame.get("record_date"), errors="coerce") if "record_date" in frame else None
    for col in frame.columns:
        if col in ("record_id", "list"):
            continue
        s = frame[col]
        present = _present(s)
        n_present = int(present.sum())
        valid = None
        rule = "not checked (list-specific field)"
        if col in ("given_name", "family_name"):
            normed = s[present].map(_norm)
            valid = int((~normed.isin(PLACEHOLDERS) & normed.str.contains(r"[a-z]", regex=True)).sum())
            rule = "a name with letters, not a placeholder"
        elif col == "sex":
            valid = int(s[present].astype(str).isin(sexes).sum())
            rule = f"one of the code list: {', '.join(sorted(sexes))}"
        elif col == "citizenship":
            valid = int(s[present].astype(str).str.upper().isin(countries).sum())
            rule = "ISO 3166-1 alpha-2 country code"
        elif col == "date_of_birth":
            dob = pd.to_datetime(s[present], errors="coerce", format="mixed")
            ref = record_dates[present] if record_dates is not None else pd.Series(reference, index=dob.index)
            ref = ref.fillna(reference)
            age = (ref - dob).dt.days / 365.25
            valid = int((dob.notna() & (dob <= reference) & (age >= 0) & (age <= 110)).sum())
            rule = "a real date, age 0-110 at the record date"
        elif col == "record_date":
            d = pd.to_datetime(s[present], errors="coerce", format="mixed")
            valid = int((d.notna() & (d <= reference) & (d >= pd.Timestamp("1990-01-01"))).sum())
            rule = "a real date between 1990 and the reference date"
        rows.append({
            "field": col, "standard": col in STANDARD_FIELDS, "completeness": n_present / len(frame) if len(frame) else np.nan,
            "validity": (valid / n_present) if (valid is not None and n_present) else np.nan, "rule": rule,
        })
    return pd.DataFrame(rows)


def _read_lists(data: Path) -> dict[str, pd.DataFrame]:
    folder = data / "lists" if (data / "lists").is_dir() else data
    files = sorted(folder.glob("*.parquet")) or sorted(folder.glob("*.csv"))
    if not files:
        raise LanternError("no lists/*.parquet (or .csv) in the data directory", record=str(data))
    out = {}
    for f in files:
        frame = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f, dtype=str)
        missing = [c for c in ("record_id", "record_date") if c not in frame.columns]
        if missing:
            raise LanternError(f"list without required column(s): {', '.join(missing)}", record=f.name)
        out[f.stem] = frame
    return out


def _histories_from_truth(records: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    wide = pd.crosstab(records["person_id"], records["list"]).clip(upper=1)
    for n in names:
        if n not in wide.columns:
            wide[n] = 0
    wide = wide[names]
    return wide.value_counts().rename("count").reset_index()


def _estimate(histories: pd.DataFrame, names: list[str]) -> dict[str, Any]:
    try:
        from lantern.estimation import MSE
    except ImportError:
        return {"available": False, "note": "lantern.estimation is not installed: coverage not estimated"}
    try:
        model = MSE("stepwise", seed=0).fit(histories)
    except Exception as exc:  # any failure of the estimate must not stop the quality report
        return {"available": False, "note": f"the estimation could not be made: {exc}"}
    level = 0.95
    interval = None
    for _method, by_level in (model.intervals_ or {}).items():
        if level in by_level:
            interval = by_level[level]
            break
    return {"available": True, "estimate": float(model.estimate_), "interval": interval, "model": model.model_.label,
            "observed": int(model.observed_), "warnings": list(model.warnings_ or [])}


def assess_sources(
    data: str | Path,
    *,
    reference_date: str | None = None,
    link: bool = False,
    use_truth: bool = True,
) -> SourcesReport:
    """Assess every list of a data directory (see the module notes)."""
    data = Path(data)
    if not data.is_dir():
        raise LanternError("no such data directory", record=str(data))
    lists = _read_lists(data)
    names = list(lists)
    all_dates = pd.concat([pd.to_datetime(f["record_date"], errors="coerce", format="mixed") for f in lists.values()])
    if reference_date:
        try:
            reference = pd.Timestamp(reference_date)
        except ValueError as exc:
            raise LanternError("not a date (YYYY-MM-DD)", field="reference_date") from exc
    else:
        reference = all_dates.max() if all_dates.notna().any() else pd.Timestamp(dt.date.today())
    notes: list[str] = []
    truth_path = data / "truth" / "records.parquet"
    truth = pd.read_parquet(truth_path) if use_truth and truth_path.is_file() else None
    people_path = data / "truth" / "people.parquet"
    people = pd.read_parquet(people_path) if use_truth and people_path.is_file() else None
    histories = None
    overlap_method = "none"
    if link:
        try:
            from lantern.linkage import link_to_histories

            files = sorted((data / "lists").glob("*.parquet")) or sorted((data / "lists").glob("*.csv"))
            linked = link_to_histories(list(files))
            missing = [n for n in names if n not in linked.columns]
            if missing:
                notes.append(f"the linkage returned no column for {', '.join(missing)}: overlap from the truth only")
            else:
                histories = linked
                overlap_method = "record linkage (lantern.linkage)"
        except ImportError:
            notes.append("lantern.linkage is not available: overlap from the truth only")
    if histories is None and truth is not None:
        histories = _histories_from_truth(truth[truth["list"].isin(names)], names)
        overlap_method = "simulation truth (evaluation only: real data need the linkage)"
    if histories is None:
        notes.append("no overlap or coverage: give --link to link the lists, or evaluate on simulated data with its truth")
    estimate: dict[str, Any] = (
        _estimate(histories, names) if histories is not None else {"available": False, "note": "no capture histories"}
    )
    if not estimate.get("available"):
        notes.append(estimate.get("note", "coverage not estimated"))
    sources = []
    for name, frame in lists.items():
        fields_q = field_quality(frame, reference=reference)
        dates = pd.to_datetime(frame["record_date"], errors="coerce", format="mixed")
        last = dates.max()
        timeliness = {
            "first_record": None if pd.isna(dates.min()) else dates.min().date().isoformat(),
            "last_record": None if pd.isna(last) else last.date().isoformat(),
            "days_since_last": None if pd.isna(last) else int((reference - last).days),
            "share_last_90_days": float((dates > reference - pd.Timedelta(days=90)).mean()) if len(dates) else np.nan,
            "records_per_month": float(len(frame) / max(1.0, (dates.max() - dates.min()).days / 30.44)) if dates.notna().sum() > 1 else np.nan,
        }
        key_cols = [c for c in ("given_name", "family_name", "date_of_birth", "sex", "citizenship") if c in frame.columns]
        key = frame[key_cols].apply(lambda col: col.map(_norm)).agg("|".join, axis=1) if key_cols else pd.Series([], dtype=str)
        complete_key = frame[key_cols].apply(_present).all(axis=1) if key_cols else pd.Series([], dtype=bool)
        dup_mask = key[complete_key].duplicated(keep="first")
        duplicates: dict[str, Any] = {"exact_key_duplicates": int(dup_mask.sum()),
                                      "exact_key_share": float(dup_mask.sum() / len(frame)) if len(frame) else 0.0}
        persons_in_list = None
        if truth is not None:
            mine = truth[truth["list"] == name]
            persons_in_list = int(mine["person_id"].nunique())
            true_dups = len(mine) - persons_in_list
            duplicates["true_repeats"] = int(true_dups)
            duplicates["found_by_exact_key"] = (float(dup_mask.sum()) / true_dups) if true_dups else None
        overlap = {}
        if histories is not None:
            h = histories
            in_me = h[name] == 1
            for other in names:
                if other != name:
                    overlap[other] = int(h.loc[in_me & (h[other] == 1), "count"].sum())
            persons_linked = int(h.loc[in_me, "count"].sum())
        else:
            persons_linked = None
        coverage: dict[str, Any] = {}
        n_persons = persons_linked if persons_linked is not None else persons_in_list
        if estimate.get("available") and n_persons:
            coverage["persons"] = n_persons
            coverage["estimated"] = n_persons / estimate["estimate"]
            if estimate.get("interval"):
                lo, hi = estimate["interval"]
                coverage["interval"] = (n_persons / hi if hi else None, n_persons / lo if lo else None)
        if people is not None and persons_in_list is not None and len(people):
            coverage["true_all"] = persons_in_list / len(people)
            if "exploited" in people.columns and truth is not None:
                exploited = set(people.loc[people["exploited"].fillna(False).astype(bool), "person_id"])
                if exploited:
                    mine_ids = set(truth.loc[truth["list"] == name, "person_id"])
                    coverage["true_exploited"] = len(mine_ids & exploited) / len(exploited)
        sq = SourceQuality(name, len(frame), fields_q, timeliness, duplicates, overlap, coverage)
        sq.recommendations = recommendations(sq)
        sources.append(sq)
    return SourcesReport(sources, reference.date().isoformat(), overlap_method, estimate, notes)


def recommendations(sq: SourceQuality) -> list[str]:
    """Plain actions for the agency that keeps the source."""
    recs = []
    for r in sq.fields.itertuples(index=False):
        if r.standard and r.completeness < 0.9:
            recs.append(
                f"Record '{r.field}' for every person (filled in {r.completeness:.0%} of records): linkage and "
                "statistics depend on it; make it a required field at intake, with 'unknown' as an explicit choice."
            )
        if r.standard and not np.isnan(r.validity) and r.validity < 0.98:
            how = {
                "sex": "offer the standard's code list in the intake form",
                "citizenship": "pick the country from the standard's list instead of typing it",
                "date_of_birth": "use a date picker and check the age on entry",
                "record_date": "fill the record date automatically",
            }.get(r.field, "check the value on entry")
            recs.append(f"{1 - r.validity:.1%} of '{r.field}' values break the rule ({r.rule}): {how}.")
    days = sq.timeliness.get("days_since_last")
    if days is not None and days > 90:
        recs.append(f"The last record is {days} days older than the reference date: send updates at least quarterly.")
    share = sq.duplicates.get("exact_key_share", 0.0)
    if share > 0.02:
        recs.append(
            f"{share:.1%} of records repeat a person already in the list: search before creating a record, and keep one "
            "record per person with several contacts."
        )
    cov = sq.coverage.get("estimated")
    if cov is not None and cov < 0.2:
        recs.append(
            f"The source sees about {cov:.0%} of the estimated population: it is useful for linkage and estimation, "
            "but its counts alone understate the phenomenon."
        )
    if not recs:
        recs.append("No action needed on completeness, validity, timeliness or duplicates.")
    return recs


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data-source suitability</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.bad{background:#fde2e1}.ok{background:#e6f4ea}
.recs li{margin:.3rem 0}.note{color:#555;font-size:.9rem}
</style></head><body>
<h1>Data-source suitability</h1>
<p class="note">Recommendation 1.4: which sources are fit for counting and estimating. Reference date {{ r.reference_date }}.
Overlap from: {{ r.overlap_method }}. No name or date of birth appears in this report.</p>
{% if r.estimate.available %}
<p>Estimated population (multiple systems estimation, model {{ r.estimate.model }}): <strong>{{ "{:,.0f}".format(r.estimate.estimate) }}</strong>
{% if r.estimate.interval %}(95% interval {{ "{:,.0f}".format(r.estimate.interval[0]) }}–{{ "{:,.0f}".format(r.estimate.interval[1]) }}){% endif %};
{{ "{:,}".format(r.estimate.observed) }} persons observed in at least one source.</p>
{% endif %}
{% for n in r.notes %}<p class="note">{{ n }}</p>{% endfor %}
<h2>Summary</h2>
<table><tr><th class="l">source</th><th>records</th><th>mean completeness</th><th>days since last record</th>
<th>exact-key duplicates</th><th>estimated coverage</th>{% if has_truth %}<th>true coverage</th>{% endif %}</tr>
{% for s in r.sources %}<tr><td class="l"><a href="#{{ s.name }}">{{ s.name }}</a></td><td>{{ "{:,}".format(s.records) }}</td>
<td>{{ "{:.0%}".format(s.fields[s.fields.standard].completeness.mean()) }}</td>
<td>{{ s.timeliness.days_since_last if s.timeliness.days_since_last is not none else "–" }}</td>
<td>{{ "{:.1%}".format(s.duplicates.exact_key_share) }}</td>
<td>{{ "{:.0%}".format(s.coverage.estimated) if s.coverage.estimated is defined else "–" }}</td>
{% if has_truth %}<td>{{ "{:.0%}".format(s.coverage.true_all) if s.coverage.true_all is defined else "–" }}</td>{% endif %}</tr>{% endfor %}
</table>
{% if overlap is not none %}<h2>Overlap between sources (persons in both)</h2>
<table><tr><th class="l"></th>{% for n in names %}<th>{{ n }}</th>{% endfor %}</tr>
{% for s in r.sources %}<tr><th class="l">{{ s.name }}</th>{% for n in names %}<td>{{ "{:,}".format(s.overlap[n]) if n in s.overlap else "–" }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
{% for s in r.sources %}
<h2 id="{{ s.name }}">{{ s.name }}</h2>
<h3>What to do</h3><ul class="recs">{% for rec in s.recommendations %}<li>{{ rec }}</li>{% endfor %}</ul>
<h3>Fields</h3>
<table><tr><th class="l">field</th><th>complete</th><th>valid</th><th class="l">validity rule</th></tr>
{% for f in s.fields.itertuples() %}<tr><td class="l">{{ f.field }}{% if f.standard %} *{% endif %}</td>
<td class="{{ 'bad' if f.standard and f.completeness < 0.9 else 'ok' if f.standard else '' }}">{{ "{:.1%}".format(f.completeness) }}</td>
<td class="{{ 'bad' if f.validity == f.validity and f.validity < 0.98 else 'ok' if f.validity == f.validity else '' }}">{{ "{:.1%}".format(f.validity) if f.validity == f.validity else "–" }}</td>
<td class="l">{{ f.rule }}</td></tr>{% endfor %}</table>
<p class="note">* field of the data standard.</p>
<h3>Timeliness and duplicates</h3>
<table><tr><th class="l">item</th><th>value</th></tr>
<tr><td class="l">first / last record</td><td>{{ s.timeliness.first_record }} / {{ s.timeliness.last_record }}</td></tr>
<tr><td class="l">records in the last 90 days</td><td>{{ "{:.0%}".format(s.timeliness.share_last_90_days) }}</td></tr>
<tr><td class="l">records per month</td><td>{{ "{:,.1f}".format(s.timeliness.records_per_month) }}</td></tr>
<tr><td class="l">exact-key duplicate records</td><td>{{ "{:,}".format(s.duplicates.exact_key_duplicates) }}</td></tr>
{% if s.duplicates.true_repeats is defined %}<tr><td class="l">true repeated records (truth)</td><td>{{ "{:,}".format(s.duplicates.true_repeats) }}</td></tr>{% endif %}
{% if s.coverage.interval is defined and s.coverage.interval[0] %}<tr><td class="l">estimated coverage, 95% interval</td><td>{{ "{:.0%}".format(s.coverage.interval[0]) }}–{{ "{:.0%}".format(s.coverage.interval[1]) }}</td></tr>{% endif %}
{% if s.coverage.true_exploited is defined %}<tr><td class="l">true coverage of exploited persons (truth)</td><td>{{ "{:.0%}".format(s.coverage.true_exploited) }}</td></tr>{% endif %}
</table>
{% endfor %}
</body></html>
"""


def render_report(report: SourcesReport) -> str:
    """The HTML report (self-contained: no external CSS, script or font)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)  # noqa: S701 (autoescape is on)
    names = [s.name for s in report.sources]
    overlap = True if any(s.overlap for s in report.sources) else None
    has_truth = any("true_all" in s.coverage for s in report.sources)
    return env.from_string(_TEMPLATE).render(r=report, names=names, overlap=overlap, has_truth=has_truth)


def write_report(report: SourcesReport, path: str | Path) -> Path:
    from lantern.statistics.export import atomic_path

    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise LanternError("the report must end in .html", field="report", record=str(path))
    html = render_report(report)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)

"""The analytic core run on the agency's own data: tables, rates, routes, sources, DP counts.

Thin glue between the scoped selectors (which read the database) and :mod:`lantern.statistics` /
:mod:`lantern.routes` (which compute). Every table goes through the spec's disclosure control; the
``--sdc none`` option of the command line is not offered here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lantern.errors import LanternError
from lantern.platform import vocab
from lantern.platform.analytics import selectors

MEASURES = ("persons", "vulnerable", "presumed_victims", "identified_victims", "registered_victims")
COMPOSE_VARIABLES = ("period", "country", "region", "citizenship", "citizenship_group", "sex", "age_band",
                     "exploitation_form", "exploitation_group", "sector", "legal_status", "education")
RATE_DIMENSIONS = ("country", "citizenship")
#: DP counts may be grouped by these person attributes; the public keys are the standard's code lists.
DP_VARIABLES = {"sex": "sex", "exploitation_form": "exploitation_form", "sector": "sector",
                "legal_status": "legal_status", "education": "education"}
DP_FILTERS = ("persons", "vulnerable", "presumed_victim")
UNKNOWN = "UNK"


def examples_dir() -> Path:
    import lantern

    return Path(lantern.__file__).resolve().parents[2] / "examples" / "stats"


def shipped_specs() -> dict[str, dict[str, Any]]:
    """The example specs shipped under ``examples/stats/`` (name → parsed YAML), for the spec chooser."""
    out: dict[str, dict[str, Any]] = {}
    folder = examples_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and data.get("tables"):
            out[path.stem] = data
    return out


def composed_spec(*, measure: str, by: list[str], period: str = "year", population: str = "tcn",
                  title: str = "") -> dict[str, Any]:
    """A one-table spec from the analyst's choices (validated by :func:`lantern.statistics.parse_spec`)."""
    by = [b for b in by if b]
    by = ["period", *[b for b in by if b != "period"]] if "period" in by or not by else by
    table = {"id": "composed", "title": title or f"{measure} by {', '.join(by)}", "measure": measure,
             "by": list(dict.fromkeys(by)), "period": period, "population": population}
    return {"standard_version": vocab.current_version(), "title": table["title"], "tables": [table]}


def spec_choice(*, example: str = "", spec: dict[str, Any] | None = None, measure: str = "",
                by: list[str] | tuple[str, ...] = (), period: str = "year", population: str = "tcn",
                title: str = "") -> tuple[dict[str, Any], str]:
    """The spec a client asked for — exactly one of a shipped example, a whole spec, or a composed table —
    and its source label; refused (``LanternError``) otherwise. The spec itself is validated by the service."""
    given = [name for name, value in (("example", example), ("spec", spec), ("measure", measure)) if value]
    if len(given) != 1:
        raise LanternError("give exactly one of 'example', 'spec' or 'measure'", field="spec", record="release")
    if example:
        specs = shipped_specs()
        if example not in specs:
            raise LanternError(f"no such example specification; choose one of {', '.join(specs)}", field="example",
                               record="release")
        return specs[example], f"examples/stats/{example}.yaml"
    if spec is not None:
        return spec, "api"
    if measure not in MEASURES:
        raise LanternError(f"unknown measure; choose one of {', '.join(MEASURES)}", field="measure", record="release")
    if len(by) > 3:
        raise LanternError("at most three variables", field="by", record="release")
    return composed_spec(measure=measure, by=list(by), period=period, population=population, title=title), "composed"


def parse(spec: dict[str, Any], *, source: str = "spec"):
    from lantern.statistics.spec import parse_spec

    return parse_spec(spec, source=source)


def dataset(*, user, purpose: str, columns: list[str] | None = None):
    """A :class:`lantern.statistics.Dataset` over the agency's assessments (screened), or a clear error."""
    from lantern.statistics.tables import Dataset

    frame = selectors.assessment_frame(user=user, purpose=purpose)
    if frame is None:
        raise LanternError("your agency has no assessments yet: there is nothing to count", record=user.agency.key)
    return Dataset(frame, columns=columns)


def compute(*, user, spec: dict[str, Any], purpose: str, source: str = "spec") -> list:
    """Every table of ``spec`` on the agency's data, disclosure-controlled by the spec's rules."""
    from lantern.statistics.tables import compute_tables, spec_columns

    parsed = parse(spec, source=source)
    ds = dataset(user=user, purpose=purpose, columns=spec_columns(parsed))
    try:
        return compute_tables(ds, parsed)
    finally:
        ds.close()


@dataclass
class TableView:
    id: str
    title: str
    dims: list[str]
    rows: list[list[str]]
    standard_version: str
    primary: int
    secondary: int
    columns: list[str] = field(default_factory=list)


def table_views(tables, spec: dict[str, Any]) -> list[TableView]:
    """What a page shows of each table: the displayed values (numbers, ``<11``, ``x``), never true counts."""
    titles = {t.get("id"): t.get("title", "") for t in spec.get("tables", [])}
    out = []
    for t in tables:
        frame = t.frame()
        rows = [[str(r[d]) for d in t.dims] + [str(r["display"])] for _, r in frame.iterrows()]
        status = frame["status"]
        out.append(TableView(t.id, titles.get(t.id) or t.id, t.dims, rows, t.standard_version,
                             int((status == "primary").sum()), int((status == "secondary").sum()),
                             [*t.dims, t.spec.measure]))
    return out


def rates(*, user, measure: str, dimension: str, period: str, denominators_path: Path) -> tuple[Any, Any]:
    """Rates per 1,000 of a disclosure-controlled table (period × ``dimension``) and an uploaded denominator
    CSV; the denominator file is validated first (every problem with its line)."""
    from lantern.statistics.rates import compute_rates, load_denominators

    den = load_denominators(denominators_path)
    by = ["period"] + ([dimension] if dimension else [])
    spec = composed_spec(measure=measure, by=by, period=period)
    (table,) = compute(user=user, spec=spec, purpose="rates")
    return compute_rates(table.frame(), den), table


@dataclass
class RoutesResult:
    tables: dict[str, Any]
    undated: int
    persons: int
    summary: Any = None


ROUTE_GROUPS = ("sex", "citizenship")


def routes(*, user, group_by: str = "") -> RoutesResult:
    """Route tables of the agency's journeys (disclosure-controlled by the core); ``group_by`` adds a group
    column (sex or citizenship at the first interview) to the table by period."""
    from lantern.routes import build_corridors, route_tables

    if group_by and group_by not in ROUTE_GROUPS:
        raise LanternError(f"group by one of {', '.join(ROUTE_GROUPS)}", field="group_by", record="routes")
    legs, undated = selectors.journey_legs(user=user)
    if legs.empty:
        return RoutesResult({}, undated, 0)
    summary = build_corridors(legs, standard_version=vocab.current_version())
    groups = selectors.journey_groups(user=user) if group_by else None
    tables = route_tables(summary, groups=groups, group_by=group_by or None)
    return RoutesResult(tables, undated, len(summary.persons), summary)


FIGURES = ("sankey", "flowmap")
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def route_figures(*, user) -> dict[str, bytes]:
    """Both route pictures in the three formats (``{"sankey.png": bytes, …}``), drawn offline by the core;
    cached until the agency's journeys change."""
    import shutil
    import tempfile

    from django.core.cache import cache

    from lantern.routes.figures import draw_flow_map, draw_sankey

    key = f"lantern-routes:{user.agency_id}:{selectors.journeys_signature(user=user)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = routes(user=user)
    tmp = Path(tempfile.mkdtemp(prefix="lantern-routes-"))
    try:
        if result.summary is None:
            import pandas as pd

            from lantern.routes.corridors import LEG_COLUMNS

            empty_persons = pd.DataFrame(columns=["entry", "origin", "transit", "onward"])
            draw_sankey(empty_persons, tmp / "sankey")
            draw_flow_map(pd.DataFrame(columns=list(LEG_COLUMNS)), tmp / "flowmap", eu=frozenset())
        else:
            draw_sankey(result.summary.persons, tmp / "sankey")
            draw_flow_map(result.summary.legs, tmp / "flowmap", eu=result.summary.eu)
        files = {p.name: p.read_bytes() for p in tmp.iterdir() if p.suffix.lstrip(".") in FORMATS}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cache.set(key, files, timeout=3600)
    return files


def sources(*, user):
    """The data-source suitability report of the agency's register (:mod:`lantern.statistics.sources`)."""
    import shutil
    import tempfile

    from lantern.statistics.sources import assess_sources

    register = selectors.source_register(user=user)
    if register.empty:
        raise LanternError("your agency has no subjects yet: there is no register to assess", record=user.agency.key)
    tmp = Path(tempfile.mkdtemp(prefix="lantern-sources-"))
    try:
        (tmp / "lists").mkdir()
        register.to_parquet(tmp / "lists" / f"{user.agency.key}.parquet", index=False)
        return assess_sources(tmp, use_truth=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the tokens and dates never outlive the request


def ctdc(*, user):
    """CTDC-aligned microdata of the agency's registered victims, k-anonymised with k = 11 (the core's
    generalise-then-suppress); returns the frame and the :class:`KAnonymityReport`."""
    from lantern.statistics.export import ctdc_microdata, k_anonymise

    ds = dataset(user=user, purpose="ctdc")
    try:
        persons = ds.con.execute("SELECT * FROM persons").df()
    finally:
        ds.close()
    return k_anonymise(ctdc_microdata(persons, standard_version=vocab.current_version()), k=11)


def dp_keys(variable: str) -> list[str]:
    std = vocab.current()
    return [*std.code_list(DP_VARIABLES[variable]).active_ids(), UNKNOWN]


def dp_plan(*, user, release, ledger, epsilon: float, by: list[str], where: str):
    """Plan a DP count of the agency's TCNs (one row per person) against ``release``'s budget: nothing is
    spent; the returned :class:`lantern.statistics.dp.DPQuery` shows its accuracy."""
    import polars as pl

    from lantern.errors import Problem
    from lantern.statistics.dp import dp_count

    problems = []
    by = [b for b in by if b]
    for b in by:
        if b not in DP_VARIABLES:
            problems.append(Problem(f"not a variable with public categories; choose from {', '.join(DP_VARIABLES)}",
                                    field="by", record=release.ref))
    if len(by) > 2:
        problems.append(Problem("at most two grouping variables", field="by", record=release.ref))
    if where not in DP_FILTERS:
        problems.append(Problem(f"choose what to count: {', '.join(DP_FILTERS)}", field="where", record=release.ref))
    if not (isinstance(epsilon, float) and math.isfinite(epsilon) and epsilon > 0):
        problems.append(Problem("ε must be a positive number", field="epsilon", record=release.ref))
    if problems:
        raise LanternError(problems)
    ds = dataset(user=user, purpose="dp", columns=list(DP_VARIABLES))
    try:
        persons = ds.con.sql("SELECT * FROM persons").pl()
    finally:
        ds.close()
    std = vocab.current()
    eu = [c.id for c in std.countries if c.eu]
    persons = persons.with_columns([pl.col(b).fill_null(UNKNOWN).cast(pl.String) for b in by])
    tcn = pl.col("citizenship").is_not_null() & ~pl.col("citizenship").is_in(eu)
    condition = tcn if where == "persons" else tcn & pl.col(where).fill_null(False)
    persons = persons.filter(condition).select([*by, "person"] if by else ["person"])
    keys = {b: dp_keys(b) for b in by}
    query = dp_count(persons, ledger=ledger, release_id=release.ref, epsilon=epsilon, by=by, keys=keys)
    label = "TCNs" if where == "persons" else f"{where.replace('_', ' ')} TCNs"
    query.description = f"{label} by {', '.join(by) or 'nothing (total)'}"
    return query


# -- cross-agency data-source suitability (national anti-trafficking agency) --------------------------------

@dataclass
class NationalSources:
    """Everything one cross-source run produced, *before* disclosure control (never rendered as it is)."""

    agencies: list[Any]
    base: Any  # lantern.statistics.sources.SourcesReport (quality per source; overlap and coverage filled here)
    histories: Any  # capture histories from the privacy-preserving linkage (pandas), or None
    estimate: dict[str, Any]
    linked_records: int = 0
    notes: list[str] = field(default_factory=list)


def national_sources_run(*, user, link_threshold: float | None = None) -> NationalSources:
    """The cross-source suitability run over the registers shared with the user's national agency.

    1. each register is reduced inside its agency's scope (:func:`selectors.contributed_register`) to
       quality tokens and Bloom-filter encodings under a random secret made for this run (kept in memory,
       never stored, never given to the linker);
    2. the encodings are linked by :func:`lantern.linkage.link_lists` with ``encoded=True``;
    3. the capture histories feed :mod:`lantern.estimation` (the core's stepwise MSE, as
       ``lantern stats sources --link``); overlap and coverage per source are computed as the core does;
    4. field completeness, validity, timeliness and exact duplicates come from
       :func:`lantern.statistics.sources.assess_sources` on the tokenised registers.
    """
    import secrets
    import shutil
    import tempfile

    from lantern.linkage import link_lists
    from lantern.linkage.bloom import BloomParams, write_encoded
    from lantern.linkage.bloom import _metadata as encoding_metadata
    from lantern.statistics.sources import _estimate, assess_sources, recommendations

    agencies = selectors.contributing_agencies(user=user)
    secret = secrets.token_bytes(32)
    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="lantern-national-"))
    try:
        (tmp / "lists").mkdir()
        (tmp / "encoded").mkdir()
        names, encoded_paths, used = [], [], []
        for agency in agencies:
            quality, encoded = selectors.contributed_register(user=user, agency=agency, secret=secret)
            if quality.empty:
                notes.append(f"{agency.key}: no register yet (left out)")
                continue
            quality.to_parquet(tmp / "lists" / f"{agency.key}.parquet", index=False)
            meta = encoding_metadata(secret, BloomParams(), list(selectors.LINKAGE_ROLES), [])
            encoded_paths.append(write_encoded(encoded, tmp / "encoded" / f"{agency.key}.parquet", metadata=meta))
            names.append(agency.key)
            used.append(agency)
        del secret  # only the encodings carry it, as HMAC keys
        if not names:
            raise LanternError("no register to assess: neither your agency nor any contributing agency has subjects",
                               record=user.agency.key)
        base = assess_sources(tmp, use_truth=False)
        histories, linked = None, 0
        if len(encoded_paths) >= 2:
            try:
                result = link_lists(encoded_paths, encoded=True, threshold=link_threshold)
            except LanternError as exc:
                notes.append(f"the linkage could not be made: {exc}")
            except Exception as exc:  # Splink on very small registers: report it, keep the quality figures
                notes.append(f"the linkage could not be made ({type(exc).__name__}): too few records to train the "
                             "model?")
            else:
                histories, linked = result.histories(), len(result.records)
        else:
            notes.append("overlap and coverage need at least two registers: no other agency shares its register with "
                         "yours yet")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # encodings and tokens never outlive the request
    estimate = (_estimate(histories, names) if histories is not None
                else {"available": False, "note": "no capture histories"})
    if histories is not None and not estimate.get("available"):
        notes.append(estimate.get("note", "coverage not estimated"))
    for sq in base.sources:  # overlap and coverage exactly as lantern.statistics.sources.assess_sources
        if histories is None:
            continue
        in_me = histories[sq.name] == 1
        sq.overlap = {other: int(histories.loc[in_me & (histories[other] == 1), "count"].sum())
                      for other in names if other != sq.name}
        persons = int(histories.loc[in_me, "count"].sum())
        sq.coverage = {"persons": persons}
        if estimate.get("available") and persons:
            sq.coverage["estimated"] = persons / estimate["estimate"]
            if estimate.get("interval"):
                lo, hi = estimate["interval"]
                sq.coverage["interval"] = (persons / hi if hi else None, persons / lo if lo else None)
        sq.recommendations = recommendations(sq)
    base.overlap_method = "privacy-preserving record linkage (keyed Bloom filters, lantern.linkage)" \
        if histories is not None else "none"
    return NationalSources(used, base, histories, estimate, linked, notes)


def _protected_count(n: int | None, rules) -> dict[str, Any]:
    """A count as released: 0, ``<11`` for 1 .. threshold-1 (value ``None``), else rounded (base 5, never into
    1 .. threshold-1) by the core's :func:`lantern.statistics.sdc.round_released`."""
    import numpy as np

    from lantern.statistics.sdc import round_released

    if n is None:
        return {"value": None, "display": "–"}
    if n == 0:
        return {"value": 0, "display": "0"}
    if n < rules.threshold:
        return {"value": None, "display": f"<{rules.threshold}"}
    value = int(round_released(np.array([float(n)]), rules)[0])
    return {"value": value, "display": f"{value:,}"}


def _pct(share) -> int | None:
    return None if share is None or (isinstance(share, float) and math.isnan(share)) else int(round(100 * share))


def national_sources_view(run: NationalSources) -> dict[str, Any]:
    """What leaves the run: aggregates only, disclosure-controlled with the platform's rules (threshold 11,
    rounding base 5). Counts of records, persons, overlaps and duplicates are protected; shares are whole
    percents and only for sources of at least 11 records; coverage only for sources with at least 11 linked
    persons; the estimate and its interval are rounded to 5. No name, token, date of birth, record id or
    capture-history cell is in it."""
    from dataclasses import replace

    from lantern.statistics.sdc import SDCRules
    from lantern.statistics.sources import recommendations

    rules = SDCRules()
    by_key = {a.key: a for a in run.agencies}
    sources = []
    for sq in run.base.sources:
        small = sq.records < rules.threshold
        dups = int(sq.duplicates.get("exact_key_duplicates", 0))
        persons = sq.coverage.get("persons") if run.histories is not None else None
        cov_ok = persons is not None and persons >= rules.threshold and "estimated" in sq.coverage
        # the recommendations again, from what is released: no coverage where it is hidden, no small
        # duplicate share, and whole percents (a share to 0.1 % times the rounded record count pins a count)
        masked = replace(sq, coverage=sq.coverage if cov_ok else {},
                         duplicates={**sq.duplicates, "exact_key_share": 0.0} if 0 < dups < rules.threshold
                         else sq.duplicates)
        recs = [_whole_percents(r) for r in recommendations(masked)]
        if 0 < dups < rules.threshold:  # the share would give the small count away
            recs = [*recs, f"Fewer than {rules.threshold} records repeat a person already in the list: "
                    "search before creating a record."]
            recs = [r for r in recs if not r.startswith("No action needed")]
        interval = sq.coverage.get("interval") if cov_ok else None
        sources.append({
            "agency": sq.name, "name": by_key[sq.name].name if sq.name in by_key else sq.name,
            "records": _protected_count(sq.records, rules),
            "persons": _protected_count(persons, rules),
            "fields": None if small else [
                {"field": r["field"], "standard": bool(r["standard"]), "completeness": _pct(r["completeness"]),
                 "validity": _pct(r["validity"]), "rule": r["rule"]} for r in sq.fields.to_dict("records")],
            "timeliness": None if small else {
                "days_since_last": sq.timeliness.get("days_since_last"),
                "share_last_90_days": _pct(sq.timeliness.get("share_last_90_days"))},
            "duplicates": _protected_count(dups, rules),
            "overlap": {k: _protected_count(v, rules) for k, v in sq.overlap.items()},
            "coverage": {"estimated": _pct(sq.coverage["estimated"]) if cov_ok else None,
                         "interval": [_pct(v) if v is not None else None for v in interval] if interval else None},
            "recommendations": [] if small else recs,
        })
    est = run.estimate
    estimate: dict[str, Any] = {"available": bool(est.get("available"))}
    if est.get("available"):
        observed = int(est.get("observed", 0))
        estimate.update({"observed": _protected_count(observed, rules), "model": est.get("model"),
                         "estimate": _round5(est["estimate"]) if observed >= rules.threshold else None,
                         "interval": [_round5(v) for v in est["interval"]] if est.get("interval")
                         and observed >= rules.threshold else None})
    return {"reference_date": run.base.reference_date, "method": run.base.overlap_method,
            "threshold": rules.threshold, "rounding": rules.rounding, "sources": sources, "estimate": estimate,
            "linked_records": _protected_count(run.linked_records, rules) if run.histories is not None else None,
            "notes": [*run.notes, *[n for n in run.base.notes if "--link" not in n and "capture histories" not in n]]}


def _whole_percents(text: str) -> str:
    """``3.1%`` → ``3%`` (``<1%`` for a positive share under one half percent)."""
    import re

    def whole(m) -> str:
        value = float(m.group(1))
        return "<1%" if 0 < value < 0.5 else f"{round(value)}%"

    return re.sub(r"(\d+\.\d+)%", whole, text)


def _round5(value) -> int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return int(5 * math.floor(float(value) / 5 + 0.5))


def national_sources(*, user) -> dict[str, Any]:
    """The cross-source report as released (:func:`national_sources_view` of :func:`national_sources_run`),
    audited as one ``sources.national`` read with the number of sources."""
    from lantern.platform.audit.services import audit_record

    view = national_sources_view(national_sources_run(user=user))
    audit_record(actor=user, action="sources.national", object_type="analytics", object_ref="sources.national",
                 detail=f"sources={len(view['sources'])}")
    return view

"""Rates per 1,000 TCNs with user-supplied denominators and exact Poisson (Garwood) intervals.

Denominators are read from a CSV in Eurostat's long layout — columns ``geo``, ``citizen``, ``time``,
``value`` (other columns such as ``freq`` or ``unit`` are allowed and ignored), e.g. first residence
permits (``migr_resfirst``) or the resident TCN population (``migr_pop1ctz``). ``geo`` and ``citizen``
are ISO 3166-1 alpha-2 codes (Eurostat's ``EL`` and ``UK`` are accepted for GR and GB) or ``TOTAL``;
``time`` is a year (``2025``), quarter (``2025-Q1``) or month (``2025-03``) matching the table's
period; ``value`` a non-negative number, or ``:`` (Eurostat's "not available").

Assumptions and caveats
-----------------------
* The count is treated as a Poisson variable and the denominator as fixed and exact. The interval is
  Garwood's (1936) exact central interval: ``[chi2(alpha/2, 2x)/2, chi2(1-alpha/2, 2x+2)/2]``, divided
  by the denominator; it is conservative (coverage at least ``1 - alpha``).
* On a disclosure-controlled table the rate is computed from the *released* (rounded) count, and a
  suppressed count gives a suppressed rate — otherwise rate x public denominator would undo the
  protection. The interval then ignores the rounding error (at most half the rounding base).
* The numerator counts persons at their first assessment (see :mod:`lantern.statistics.tables`); a
  denominator of permits issued counts permits, not persons: the rate is an indicator, not a prevalence.

References
----------
Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28, 437-442.
Ulm, K. (1990). A simple method to calculate the confidence interval of a standardized mortality
ratio. *American Journal of Epidemiology* 131, 373-375 (the chi-square form used here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import LanternError, Problem
from lantern.statistics.sdc import PUBLISHED, TOTAL

REQUIRED = ("geo", "citizen", "time", "value")
EUROSTAT_ALIASES = {"EL": "GR", "UK": "GB"}
AGGREGATES = {"TOTAL"}


def garwood_interval(count: np.ndarray | float, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence limits for a Poisson mean given an observed ``count``."""
    from scipy.stats import chi2

    x = np.asarray(count, dtype=float)
    lower = np.where(x > 0, chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
    upper = chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return lower, upper


def _valid_codes() -> set[str]:
    import pycountry

    return {c.alpha_2 for c in pycountry.countries}


def load_denominators(path: str | Path) -> pd.DataFrame:
    """Read and validate a denominator CSV; every problem is reported with its line number.

    Returns
    -------
    DataFrame with columns ``geo``, ``citizen``, ``time`` (str) and ``value`` (float, NaN for ``:``).
    """
    path = Path(path)
    if not path.is_file():
        raise LanternError("no such denominator file", record=str(path))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise LanternError(f"not a readable CSV file: {exc}", record=path.name) from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "time_period" in frame.columns and "time" not in frame.columns:
        frame = frame.rename(columns={"time_period": "time"})
    if "obs_value" in frame.columns and "value" not in frame.columns:
        frame = frame.rename(columns={"obs_value": "value"})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise LanternError(
            [Problem(f"required column missing (need {', '.join(REQUIRED)})", field=c, record=path.name) for c in missing]
        )
    codes = _valid_codes()
    problems: list[Problem] = []
    out = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"{path.name} line {i}"
        geo = EUROSTAT_ALIASES.get(row.geo.strip().upper(), row.geo.strip().upper())
        citizen = EUROSTAT_ALIASES.get(row.citizen.strip().upper(), row.citizen.strip().upper())
        for name, code in (("geo", geo), ("citizen", citizen)):
            if code not in codes and code not in AGGREGATES:
                problems.append(Problem(f"unknown country code {code!r} (ISO 3166-1 alpha-2 or TOTAL)", field=name, record=where))
        time = row.time.strip()
        if not time or not (time[:4].isdigit() and len(time) in (4, 7)):
            problems.append(Problem(f"time {time!r} is not a year (2025), quarter (2025-Q1) or month (2025-03)", field="time", record=where))
        raw = row.value.strip()
        if raw in (":", ""):
            value = np.nan
        else:
            try:
                value = float(raw.replace(" ", ""))
            except ValueError:
                problems.append(Problem(f"value {raw!r} is not a number", field="value", record=where))
                continue
            if value < 0:
                problems.append(Problem("value must not be negative", field="value", record=where))
        out.append((geo, citizen, time, value))
        if len(problems) > 50:
            break
    if problems:
        raise LanternError(problems)
    result = pd.DataFrame(out, columns=list(REQUIRED))
    dup = result.duplicated(["geo", "citizen", "time"], keep=False)
    if dup.any():
        first = result[dup].iloc[0]
        raise LanternError(
            f"{int(dup.sum())} rows repeat the same geo/citizen/time (first: {first.geo}/{first.citizen}/{first.time})",
            record=path.name,
        )
    return result


def compute_rates(
    table_frame: pd.DataFrame,
    denominators: pd.DataFrame,
    *,
    per: float = 1000.0,
    alpha: float = 0.05,
    value_column: str = "value",
) -> pd.DataFrame:
    """Rates per ``per`` persons for a (published) long table.

    Parameters
    ----------
    table_frame : DataFrame
        ``StatTable.frame()``: may be broken down by ``period``, ``country`` and ``citizenship`` only
        (the denominators' dimensions); a missing dimension matches the denominator's ``TOTAL``.
    denominators : DataFrame
        From :func:`load_denominators`.

    Returns
    -------
    DataFrame
        The table's rows plus ``denominator``, ``rate``, ``rate_lower``, ``rate_upper`` (NaN where the
        count is suppressed or the denominator missing or zero) and ``rate_note``.
    """
    allowed = {"period": "time", "country": "geo", "citizenship": "citizen"}
    fixed = {"table_id", "measure", "value", "status", "display", "standard_version", "true_value"}
    dims = [c for c in table_frame.columns if c not in fixed]
    dims = [d for d in dims if table_frame[d].notna().any()]
    extra = [d for d in dims if d not in allowed]
    if extra:
        raise LanternError(
            f"rates need a table broken down only by period, country and/or citizenship; this one also has {', '.join(extra)}",
            field="by",
        )
    den = denominators.copy()
    lookup: dict[tuple[str, str, str], float] = {(r.geo, r.citizen, r.time): r.value for r in den.itertuples(index=False)}
    # a TOTAL that is not given is the sum of the codes given for that time (and geo / citizen)
    sums_geo = den[den.citizen != "TOTAL"].groupby(["geo", "time"])["value"].sum(min_count=1)
    sums_cit = den[den.geo != "TOTAL"].groupby(["citizen", "time"])["value"].sum(min_count=1)
    sums_all_cit = den[(den.geo != "TOTAL") & (den.citizen == "TOTAL")].groupby("time")["value"].sum(min_count=1)
    sums_all_geo = den[(den.geo == "TOTAL") & (den.citizen != "TOTAL")].groupby("time")["value"].sum(min_count=1)
    sums_all_cells = den[(den.geo != "TOTAL") & (den.citizen != "TOTAL")].groupby("time")["value"].sum(min_count=1)
    sums_all = sums_all_cit.combine_first(sums_all_geo).combine_first(sums_all_cells)

    def find(geo: str, citizen: str, time: str) -> float:
        if (geo, citizen, time) in lookup:
            return lookup[(geo, citizen, time)]
        if citizen == "TOTAL" and geo != "TOTAL":
            return float(sums_geo.get((geo, time), np.nan))
        if geo == "TOTAL" and citizen != "TOTAL":
            return float(sums_cit.get((citizen, time), np.nan))
        if geo == "TOTAL" and citizen == "TOTAL":
            return float(sums_all.get(time, np.nan))
        return np.nan

    out = table_frame.copy()
    times = out["period"].astype(str) if "period" in dims else pd.Series(["TOTAL"] * len(out), index=out.index)
    geos = out["country"].astype(str) if "country" in dims else pd.Series(["TOTAL"] * len(out), index=out.index)
    cits = out["citizenship"].astype(str) if "citizenship" in dims else pd.Series(["TOTAL"] * len(out), index=out.index)
    if "period" not in dims:
        raise LanternError("rates need a table broken down by period (the denominators are per time)", field="by")
    denom = np.array(
        [find(g if g != TOTAL else "TOTAL", c if c != TOTAL else "TOTAL", t) for g, c, t in zip(geos, cits, times, strict=True)],
        dtype=float,
    )
    counts = pd.to_numeric(out[value_column], errors="coerce").astype(float).to_numpy()
    if "status" in out.columns:
        counts = np.where(out["status"].to_numpy() == PUBLISHED, counts, np.nan)
    usable = ~np.isnan(counts) & ~np.isnan(denom) & (denom > 0)
    safe_counts = np.where(usable, counts, 0.0)
    safe_denom = np.where(usable, denom, 1.0)
    lo, hi = garwood_interval(safe_counts, alpha)
    out["denominator"] = denom
    out["rate"] = np.where(usable, safe_counts / safe_denom * per, np.nan)
    out["rate_lower"] = np.where(usable, lo / safe_denom * per, np.nan)
    out["rate_upper"] = np.where(usable, hi / safe_denom * per, np.nan)
    notes = np.where(
        np.isnan(counts), "count suppressed", np.where(np.isnan(denom) | (denom <= 0), "no denominator", "")
    )
    out["rate_note"] = notes
    out["rate_per"] = per
    return out

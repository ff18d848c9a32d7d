"""Covariate-stratified estimates: one MSE fit per stratum (e.g. by sex or form of exploitation).

Capture probabilities often differ between groups (heterogeneity that a log-linear model on the
lists alone cannot remove). Fitting each stratum separately and adding the estimates removes the
part of that heterogeneity explained by the covariate. Strata must be large enough to show the
overlaps: strata with fewer than ``min_observed`` people are refused rather than silently pooled.
The total's interval is not the sum of the strata intervals; with ``bootstrap`` set, a BCa-free
percentile interval of the summed bootstrap replicates is given (strata resampled independently).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lantern.errors import Problem, ValidationError
from lantern.estimation.estimator import MSE, R_DEFAULT_SEED, EstimationResult
from lantern.estimation.table import table_from_frame


@dataclass
class StratifiedResult:
    by: str
    strata: dict[str, EstimationResult]
    total: float
    observed: int
    interval_95: tuple[float, float] | None

    def to_dict(self) -> dict:
        return {"by": self.by, "total": self.total, "observed": self.observed,
                "interval_95": None if self.interval_95 is None else list(self.interval_95),
                "strata": {k: v.to_dict() for k, v in self.strata.items()}}


def estimate_by_stratum(frame, by: str, *, min_observed: int = 30, **mse_kwargs) -> StratifiedResult:
    """Fit :class:`MSE` separately within each value of column ``by`` of a per-person or counted frame."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        frame = frame.to_pandas()
    if by not in frame.columns:
        raise ValidationError(f"no column named {by!r} to stratify by", field=by)
    strata: dict[str, EstimationResult] = {}
    boots = []
    problems = []
    # one seed per stratum: with a shared seed the strata's resamples would reuse one random stream,
    # their bootstrap estimates would move together and the interval of the sum would be too wide
    base_seed = mse_kwargs.pop("seed", None)
    base_seed = R_DEFAULT_SEED if base_seed is None else int(base_seed)
    for k, (value, part) in enumerate(frame.groupby(by, dropna=False, sort=True)):
        name = "(missing)" if pd.isna(value) else str(value)
        table = table_from_frame(part.drop(columns=[by]), source=f"stratum {by}={name}")
        if table.observed < min_observed:
            problems.append(Problem(
                f"only {table.observed} people observed in this stratum (fewer than {min_observed}); "
                "merge it with another or do not stratify by this column", field=by, record=f"{by}={name}"))
            continue
        fit = MSE(**mse_kwargs, seed=(base_seed + k) % (2**31 - 1)).fit(table)
        strata[name] = fit.result_
        if fit.bootstrap_estimates_ is not None:
            boots.append(fit.bootstrap_estimates_)
    if problems:
        raise ValidationError(problems)
    total = float(sum(r.estimate for r in strata.values()))
    observed = int(sum(r.observed for r in strata.values()))
    interval = None
    if boots and len(boots) == len(strata):
        summed = np.sum(np.vstack(boots), axis=0)
        summed = summed[np.isfinite(summed)]
        interval = (float(np.quantile(summed, 0.025)), float(np.quantile(summed, 0.975)))
    return StratifiedResult(by, strata, total, observed, interval)

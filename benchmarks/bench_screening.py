"""Screening benchmarks: batch screening and scoring speed, and the score on generated labelled data.

    .venv/bin/python -m benchmarks screening            # 1,000,000 assessments (target <= 5 s)
    .venv/bin/python -m benchmarks screening --quick    # 100,000

The assessments are random answers (1 / 0 / unknown) for every indicator and factor of the standard,
with a mix of adults and children, labour and sexual exploitation: no real people.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl


def generate(n: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """Random flat assessments (and a latent label) for every answer column of the standard."""
    from lantern.screening.spec import spec_for

    spec = spec_for(None)
    rng = np.random.default_rng(seed)
    exploited = rng.random(n) < 0.15
    cols: dict[str, object] = {
        "assessment_id": pl.int_range(0, n, eager=True).cast(pl.Utf8),
        "standard_version": pl.repeat(spec.version, n, eager=True),
        "age": pl.Series(rng.integers(12, 70, n).astype(np.int16)),
        "exploitation_form": pl.Series(np.where(rng.random(n) < 0.2, "sexual_exploitation", "forced_labour")),
    }
    for ident in spec.answer_ids:
        p_yes = np.where(exploited, 0.12, 0.03)
        u = rng.random(n)
        v = np.where(u < 0.1, 2, (u < 0.1 + p_yes).astype(np.int8)).astype(np.int8)
        s = pl.Series(ident, v)
        cols[ident] = pl.when(s == 2).then(None).otherwise(s)
    df = pl.DataFrame({k: v for k, v in cols.items() if not isinstance(v, pl.Expr)})
    df = df.with_columns([v.alias(k) for k, v in cols.items() if isinstance(v, pl.Expr)])
    return df, exploited


def run(quick: bool = False) -> list[dict]:
    from lantern.screening import screen_batch
    from lantern.screening.evaluate import auc_ci
    from lantern.standard import load_standard

    std = load_standard()
    n = 100_000 if quick else 1_000_000
    df, y = generate(n)
    screen_batch(df.head(1000), standard=std)  # warm-up (imports, caches)
    import os

    load = os.getloadavg()[0]
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        out = screen_batch(df, standard=std)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best = min(times)
    target = 5.0 * n / 1_000_000
    auc, ci = auc_ci(y[:200_000], out["risk_score"].to_numpy()[:200_000])
    return [
        {"name": f"screen_batch {n:,} assessments (best of 3, s)", "value": round(best, 3), "target": f"<= {target:g}",
         "ok": best <= target, "median_s": round(float(np.median(times)), 3)},
        {"name": "CPU time of that run, all threads (s)", "value": round(cpu[times.index(best)], 3), "target": "",
         "ok": None},
        {"name": "load average when started (shared machine)", "value": round(load, 2), "target": "", "ok": None},
        {"name": "rows per second", "value": int(n / best), "target": "", "ok": None},
        {"name": "answer columns per row", "value": len([c for c in df.columns if "." in c]), "target": "", "ok": None},
        {"name": "AUC on generated labels (first 200k)", "value": round(auc, 4),
         "target": "> 0.5 (sanity; synthetic)", "ok": auc > 0.5},
        {"name": "presumed victims (share)", "value": round(float(out["presumed_victim"].mean()), 4), "target": "", "ok": None},
    ]

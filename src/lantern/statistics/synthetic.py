"""Fast synthetic assessments for tests and benchmarks (no real data; not the simulator).

The simulator (``lantern.simulate``) is the reference synthetic world with a known truth. This module
only makes *large* flat-format files quickly (10 million rows in seconds with numpy), with the
screening flags already attached, for the performance benchmark and for unit tests of the tables.
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


def synthetic_assessments(n: int, *, seed: int = 0, repeat_share: float = 0.1, years=(2024, 2025, 2026)) -> pd.DataFrame:
    """``n`` assessment rows in the flat format, with ``vulnerable`` and ``presumed_victim`` flags.

    About ``repeat_share`` of the rows are repeat assessments of an earlier subject.
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
    return pd.DataFrame(
        {
            "assessment_id": np.char.add("a", np.arange(n).astype(str)),
            "subject_ref": np.char.add("p", subject.astype(str)),
            "standard_version": "1.0",
            "agency": np.asarray(["ngo", "police", "igi", "labour"])[rng.integers(0, 4, n)],
            "interview_date": dates,
            "sex": np.asarray(SEXES)[rng.choice(3, n, p=[0.35, 0.63, 0.02])],
            "age": pd.array(age, dtype="Int64"),
            "citizenship": cit,
            "country_of_interview": country,
            "region": None,
            "sector": np.asarray(SECTORS)[rng.integers(0, len(SECTORS), n)],
            "exploitation_form": form,
            "vulnerable": vulnerable,
            "presumed_victim": presumed,
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

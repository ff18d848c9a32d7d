"""A small simulated directory with three agency lists and their truth (no real data)."""

from __future__ import annotations

import numpy as np
import pandas as pd

GIVEN = ["Asha", "Binod", "Chandra", "Deepa", "Esh", "Farid", "Gita", "Hari", "Indra", "Jamal", "Kiran", "Lata"]
FAMILY = ["Shrestha", "Gurung", "Tamang", "Rai", "Perera", "Silva", "Khan", "Hossain", "Singh", "Patel"]


def make_directory(folder, *, n_people=3000, seed=0):
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(n_people)],
        "given_name": [f"{rng.choice(GIVEN)}{i}" for i in range(n_people)],
        "family_name": rng.choice(FAMILY, n_people),
        "date_of_birth": (pd.Timestamp("1970-01-01") + pd.to_timedelta(rng.integers(0, 12000, n_people), unit="D")).strftime("%Y-%m-%d"),
        "sex": rng.choice(["female", "male"], n_people),
        "citizenship": rng.choice(["NP", "LK", "IN", "BD"], n_people),
        "exploited": rng.random(n_people) < 0.3,
    })
    capture = {"ngo": 0.30, "police": 0.20, "labour": 0.10}
    records, truth = {}, []
    for name, p in capture.items():
        caught = people[rng.random(n_people) < p]
        repeats = caught.sample(frac=0.05, random_state=seed)  # 5% come twice
        rows = pd.concat([caught, repeats], ignore_index=True)
        rows = rows.assign(record_id=[f"{name}-{i}" for i in range(len(rows))], list=name,
                           record_date=(pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, len(rows)), unit="D")).strftime("%Y-%m-%d"))
        truth.append(rows[["list", "record_id", "person_id"]])
        rows = rows.drop(columns=["person_id", "exploited"])
        if name == "police":  # poor source: missing dates of birth and bad codes
            rows.loc[rows.sample(frac=0.4, random_state=1).index, "date_of_birth"] = None
            rows.loc[rows.sample(frac=0.1, random_state=2).index, "citizenship"] = "Nepal"
        if name == "labour":  # stale source
            rows["record_date"] = (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, len(rows)), unit="D")).strftime("%Y-%m-%d")
        records[name] = rows
    (folder / "lists").mkdir(parents=True, exist_ok=True)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    for name, rows in records.items():
        rows.to_parquet(folder / "lists" / f"{name}.parquet", index=False)
    pd.concat(truth).to_parquet(folder / "truth" / "records.parquet", index=False)
    people.to_parquet(folder / "truth" / "people.parquet", index=False)
    return people, records, pd.concat(truth)

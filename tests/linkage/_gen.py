"""Small generated agency lists with a known truth (for CLI and unit tests; no real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

GIVEN = ["Olena", "Mohammed", "Ayse", "Raul", "Priya", "Yuliya", "Tigist", "Oleksandr", "Fatima", "Amina",
         "Dmytro", "Sana", "Ibrahim", "Maria", "Nguyen", "Ali", "Hassan", "Irina", "Svitlana", "Kiran"]
FAMILY = ["Kovalchuk", "Al-Hassan", "Ozturk", "Garcia", "Sharma", "Petrenko", "Bekele", "Tran", "Shevchenko",
          "Haddad", "Khan", "Popescu", "Demir", "Rahman", "Bondarenko", "Mensah", "Ionescu", "Yilmaz", "Singh", "Okafor"]
VARIANTS = {"Mohammed": ["Muhammad", "Mohamed"], "Yuliya": ["Iuliia", "Julija"], "Oleksandr": ["Olexandr"],
            "Kovalchuk": ["Kowalczuk"], "Dmytro": ["Dmitro"], "Shevchenko": ["Shevtchenko"]}


def make_lists(directory: Path, *, people: int = 300, lists=("police", "ngo", "immigration"), seed: int = 0,
               fmt: str = "csv") -> tuple[list[Path], pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pid = np.arange(people)
    given = rng.choice(GIVEN, people)
    family = rng.choice(FAMILY, people)
    dob = pd.to_datetime("1960-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, people), unit="D")
    sex = rng.choice(["F", "M"], people)
    cit = rng.choice(["UA", "SY", "TR", "NG", "IN"], people)
    paths, truth = [], []
    directory.mkdir(parents=True, exist_ok=True)
    for li, name in enumerate(lists):
        on = pid[rng.random(people) < 0.5]
        rows = []
        for j, p in enumerate(on):
            g, f = given[p], family[p]
            if rng.random() < 0.3 and g in VARIANTS:
                g = rng.choice(VARIANTS[g])
            if rng.random() < 0.3 and f in VARIANTS:
                f = rng.choice(VARIANTS[f])
            if rng.random() < 0.05:
                g, f = f, g
            d = dob[p].strftime("%Y-%m-%d")
            if rng.random() < 0.05:
                d = dob[p].strftime("%Y-%d-%m") if dob[p].day <= 12 else d
            if rng.random() < 0.05:
                d = None
            rows.append({"record_id": f"{name[:3]}{li}{j:05d}", "list": name, "given_name": g, "family_name": f,
                         "date_of_birth": d, "sex": sex[p], "citizenship": cit[p], "record_date": "2025-01-01"})
            truth.append((name, f"{name[:3]}{li}{j:05d}", int(p)))
        df = pd.DataFrame(rows)
        path = directory / f"{name}.{fmt}"
        if fmt == "csv":
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
        paths.append(path)
    return paths, pd.DataFrame(truth, columns=["list", "record_id", "person_id"])

"""Generated journeys with a known truth: each person follows one of a few designed routes."""

from __future__ import annotations

import numpy as np
import pandas as pd

# (route legs as (from, to, mode, crossing, stay_days in `to`), number of persons)
ROUTES = [
    ([("NP", "AE", "air", "DXB", 1), ("AE", "RO", "air", "OTP", 200), ("RO", "DE", "road", "Nadlac", None)], 40),
    ([("NP", "AE", "air", "DXB", 0), ("AE", "RO", "air", "OTP", None)], 120),
    ([("IN", "QA", "air", "DOH", 2), ("QA", "RO", "air", "OTP", None)], 60),
    ([("UA", "RO", "road", "Siret", 30), ("RO", "HU", "road", "Nadlac", 10), ("HU", "AT", "road", "Hegyeshalom", None)], 25),
    ([("MD", "RO", "road", "Albita", None)], 5),  # a small corridor: under the threshold
    ([("EG", "TR", "air", "IST", 40), ("TR", "RS", "air", "BEG", 30)], 12),  # never reaches the EU
]


def make_legs(seed: int = 0) -> tuple[pd.DataFrame, list[int]]:
    rng = np.random.default_rng(seed)
    rows = []
    route_of = []
    pid = 0
    for r, (legs, n) in enumerate(ROUTES):
        for _ in range(n):
            day = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 600)))
            for k, (frm, to, mode, crossing, stay) in enumerate(legs):
                exit_date = day + pd.Timedelta(days=stay) if stay is not None else pd.NaT
                rows.append({"person_id": f"p{pid}", "leg_no": k + 1, "from_country": frm, "to_country": to,
                             "entry_date": day, "exit_date": exit_date, "mode": mode, "crossing_point": crossing,
                             "facilitator_type": "none", "intra_eu": frm in {"RO", "HU", "DE", "AT"} and to in {"RO", "HU", "DE", "AT"}})
                if stay is not None:
                    day = exit_date
            route_of.append(r)
            pid += 1
    legs = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)  # order must not matter
    return legs, route_of



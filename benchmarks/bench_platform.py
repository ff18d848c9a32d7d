"""Platform figures: bulk import throughput, list-page latency and query counts, identity search.

Runs on a throw-away SQLite database in a temporary folder (no server needed):

    .venv/bin/python -m benchmarks platform [--quick]
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import tempfile
import time


def _setup(tmp: str) -> None:
    os.environ["LANTERN_VAR_DIR"] = tmp
    os.environ.setdefault("LANTERN_FIELD_KEYS", "dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
    os.environ.setdefault("LANTERN_INDEX_KEY", "bench-index-key")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.platform.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _rows(n: int, seed: int = 5) -> tuple[bytes, int]:
    from lantern.simulate import simulate

    world = simulate(scenario="romania", people=max(1000, n * 14), seed=seed)
    rows = world.assessments.head(n).to_dicts()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    for r in rows:
        r["subject_ref"], r["agency"] = "", ""
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue().encode(), len(rows)


def run(quick: bool = False) -> list[dict]:
    tmp = tempfile.mkdtemp(prefix="lantern-bench-")
    _setup(tmp)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from lantern.platform.accounts.models import Agency, User
    from lantern.platform.cases import imports, services

    setup_test_environment()
    agency = Agency.objects.create(key="bench", name="Bench NGO", type="ngo", country="RO")
    user = User.objects.create_user(username="bench", password=None, agency=agency, role="caseworker")
    n = 200 if quick else 2000
    content, n = _rows(n)
    t0 = time.perf_counter()
    report = imports.assessments_import(user=user, content=content, fmt="csv")
    import_s = time.perf_counter() - t0
    assert report.ok, report.problems[:3]
    for i in range(50):
        services.subject_create(user=user, identity={"given_name": f"Name{i}", "family_name": "Bench"})

    client = Client()
    client.force_login(user)
    client.get("/subjects/")
    times, queries = [], 0
    for _ in range(7):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            assert client.get("/subjects/?page=3").status_code == 200
            times.append(time.perf_counter() - t)
        queries = len(ctx.captured_queries)
    search = []
    for i in range(7):
        t = time.perf_counter()
        r = client.get(f"/subjects/?name=name{i}%20bench")
        search.append(time.perf_counter() - t)
        assert "(1)" in r.content.decode()
    rate = n / import_s
    list_ms = statistics.median(times) * 1000
    return [
        {"name": f"CSV import, rows/s ({n} rows, all-or-nothing)", "value": round(rate, 1), "target": ">= 100",
         "ok": rate >= 100},
        {"name": f"subject list page, median ms ({n + 50} subjects)", "value": round(list_ms, 1), "target": "<= 300",
         "ok": list_ms <= 300},
        {"name": "subject list page, SQL queries", "value": queries, "target": "<= 9", "ok": queries <= 9},
        {"name": "exact name search (blind index), median ms", "value": round(statistics.median(search) * 1000, 1),
         "target": "<= 300", "ok": statistics.median(search) <= 0.3},
    ]

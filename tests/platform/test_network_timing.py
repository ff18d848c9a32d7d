"""Timings of the network pages on the demo data, quoted in docs/network.md (``-s`` prints them):
``DATABASE_URL= .venv/bin/pytest -p no:cacheprovider -q -s tests/platform/test_network_timing.py``.
The bounds are generous (a shared 2-core machine); the figures are what matters."""

from __future__ import annotations

import time

from django.db import connections
from django.test.utils import CaptureQueriesContext

from lantern.platform.accounts.models import User
from lantern.platform.network import services
from lantern.platform.network.models import ActionPlan


def _timed(fn, n=5):
    fn()  # warm
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


def test_network_pages_on_the_demo_data(db, client):
    from lantern.platform.seed import seed_demo

    seed_demo(people=200, seed=7, password="Demo-Password-123")
    coord = User.objects.get(username="anti-trafficking-coordinator")
    plan = ActionPlan.objects.get()
    client.force_login(coord)
    figures = {}
    for name, url in (("home", "/"), ("directory", "/network/"), ("matrix", "/network/responsibilities/"),
                      ("plan", f"/network/plans/{plan.ref}/")):
        connections["default"].queries_log.clear()  # the seed filled the log (9,000 rows kept)
        with CaptureQueriesContext(connections["default"]) as q:
            assert client.get(url).status_code == 200
        queries = len(q.captured_queries)  # before the timed requests reset the log
        figures[name] = (_timed(lambda u=url: client.get(u)), queries)
    figures["kpi refresh"] = (_timed(lambda: services.plan_kpis_refresh(user=coord, plan=plan)), None)
    for name, (ms, queries) in figures.items():
        print(f"{name}: {ms:.1f} ms" + (f", {queries} queries" if queries is not None else ""))
    assert all(ms < 3000 for ms, _q in figures.values())

"""The timings docs/referrals.md quotes, reproduced: ``pytest tests/platform/test_referrals_timing.py -s``
prints them (medians, Django test client, the test database). The bounds asserted are generous (a loaded
shared machine); they catch an order-of-magnitude regression such as a query per referral."""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest

from lantern.platform.cases import services as case_services
from lantern.platform.referrals import services
from lantern.platform.roles import Role

pytestmark = pytest.mark.slow


def _median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def test_referral_timings(client, agencies, make_user, make_subject):
    own, police = agencies
    cw, pol = make_user(Role.CASEWORKER), make_user(Role.CASEWORKER, agency=police)
    subjects = [make_subject(cw, assessment=False) for _ in range(50)]
    consents = {s.pk: case_services.consent_record(user=cw, subject=s, purpose="referral", scope="referral_network",
                                                   given_by="subject", given_on=dt.date.today().isoformat())
                for s in subjects}
    pending = iter(subjects)

    def send():
        s = next(pending)
        return services.referral_send(user=cw, subject=s, to_agency=police, consent=consents[s.pk])

    sent = []
    send_ms = _median_ms(lambda: sent.append(send()), 7)
    queue = iter(sent)
    accept_ms = _median_ms(lambda: services.referral_accept(user=pol, referral=next(queue)), 7)
    for _ in range(50 - len(sent)):
        sent.append(send())
    client.force_login(pol)
    list_ms = _median_ms(lambda: client.get("/referrals/"), 15)
    detail_ms = _median_ms(lambda: client.get(f"/referrals/{sent[0].ref}/"), 15)
    client.force_login(cw)
    subject_ms = _median_ms(lambda: client.get(f"/subjects/{subjects[0].ref}/"), 15)
    form_ms = _median_ms(lambda: client.get(f"/subjects/{subjects[-1].ref}/refer/"), 15)
    figures = {"referral_send": send_ms, "referral_accept (with the grant)": accept_ms,
               "referrals page, 50 referrals": list_ms, "a referral page": detail_ms,
               "subject page with the referrals panel": subject_ms, "referral form": form_ms}
    for name, ms in figures.items():
        print(f"{name}: {ms:.1f} ms")
    assert max(figures.values()) < 1000

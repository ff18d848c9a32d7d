"""KPIs computed from the platform's own data, as disclosure-controlled aggregates only.

A count of 1 .. 10 is never shown (suppressed, like ``<11`` in the published tables); a count of 11 or
more is rounded to base 5 by :func:`lantern.statistics.sdc.round_released`; a median is given only when
it rests on at least 11 referrals. The scope is every platform agency of the plan's country.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from lantern.errors import ValidationError

METRICS = {
    "referrals_accepted": _("Referrals accepted (count)"),
    "referral_days_to_accept": _("Median days from referral to acceptance"),
    "persons_screened": _("Persons screened (pseudonymous subjects interviewed)"),
}
_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


@dataclass(frozen=True)
class Measured:
    value: Decimal | None
    suppressed: bool


def period_range(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``2026`` or ``2026-Q3``."""
    m = _PERIOD.match(period or "")
    if not m:
        raise ValidationError("must be a year (2026) or a quarter (2026-Q3)", field="period")
    year, q = int(m.group(1)), m.group(2)
    if not q:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    first = dt.date(year, 3 * (int(q) - 1) + 1, 1)
    nxt = dt.date(year + (first.month == 10), (first.month + 3 - 1) % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def quarters(start: dt.date, end: dt.date) -> list[str]:
    """The quarters from ``start`` to ``end`` (inclusive), e.g. ``['2026-Q1', '2026-Q2']``."""
    out, y, q = [], start.year, (start.month - 1) // 3 + 1
    while (y, q) <= (end.year, (end.month - 1) // 3 + 1):
        out.append(f"{y}-Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def protected_count(n: int) -> Measured:
    import numpy as np

    from lantern.statistics.sdc import SDCRules, round_released

    rules = SDCRules()
    if n == 0:
        return Measured(Decimal(0), False)
    if n < rules.threshold:
        return Measured(None, True)
    return Measured(Decimal(int(round_released(np.array([float(n)]), rules)[0])), False)


def _accepted(country: str, start: dt.date, end: dt.date):
    from lantern.platform.referrals.models import Referral, Status

    return (Referral.objects.filter(to_agency__country=country, responded_at__date__gte=start,
                                    responded_at__date__lte=end)
            .exclude(status=Status.DECLINED))


def compute(metric: str, *, country: str, period: str) -> Measured:
    """The value of ``metric`` in ``country`` for ``period``, disclosure-controlled."""
    from lantern.platform.cases.models import Assessment
    from lantern.statistics.sdc import SDCRules

    start, end = period_range(period)
    if metric == "referrals_accepted":
        return protected_count(_accepted(country, start, end).count())
    if metric == "persons_screened":
        n = (Assessment.objects.filter(agency__country=country, interview_date__gte=start, interview_date__lte=end)
             .values("subject_id").distinct().count())
        return protected_count(n)
    if metric == "referral_days_to_accept":
        days = [(r - s).total_seconds() / 86400 for s, r in _accepted(country, start, end)
                .values_list("sent_at", "responded_at")]
        if len(days) < SDCRules().threshold:
            return Measured(None, bool(days))
        return Measured(Decimal(str(round(statistics.median(days), 1))), False)
    raise ValidationError(f"must be one of {', '.join(METRICS)}", field="metric")

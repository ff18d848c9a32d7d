"""The privacy-budget ledger kept in the platform's database.

Implements :class:`lantern.statistics.dp.BudgetLedger` over :class:`StatRelease` (the budget) and
:class:`PrivacyCharge` (the spends), scoped to one agency. ``charge`` locks the release row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers) so that the check of the remaining
budget and the write of the charge happen together: two concurrent queries cannot both spend the last ε.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lantern.errors import LanternError, Problem
from lantern.platform.analytics.models import PrivacyCharge, ReleaseState, StatRelease
from lantern.statistics.dp import BudgetExceeded

TOLERANCE = 1e-12


class DatabaseLedger:
    """A :class:`~lantern.statistics.dp.BudgetLedger` for the releases of one agency.

    Parameters
    ----------
    agency_id : int
        Only this agency's releases are visible (another agency's release is "no such release").
    user : User, optional
        Recorded as ``charged_by`` on each charge.
    """

    def __init__(self, agency_id: int, user=None):
        self.agency_id = agency_id
        self.user = user
        self.last_charge: PrivacyCharge | None = None

    def _release(self, release_id: str, *, lock: bool = False) -> StatRelease:
        qs = StatRelease.objects.filter(agency_id=self.agency_id, ref=release_id)
        if lock:
            qs = qs.select_for_update()
        release = qs.first()
        if release is None:
            raise LanternError("no such release in the privacy ledger", record=release_id)
        return release

    def open_release(self, release_id: str, epsilon: float) -> None:
        if not epsilon or not epsilon > 0:
            raise LanternError("a release's privacy budget must be positive", field="epsilon", record=release_id)
        with transaction.atomic():
            release = self._release(release_id, lock=True)
            if release.dp_budget is not None:
                raise LanternError(f"the release already has a budget of ε={release.dp_budget:g}; a budget is never "
                                   "raised", field="epsilon", record=release_id)
            release.dp_budget = float(epsilon)
            release.save(update_fields=["dp_budget"])

    def budget(self, release_id: str) -> float:
        release = self._release(release_id)
        if release.dp_budget is None:
            raise LanternError("this release has no privacy budget (open it with a budget first)", field="epsilon",
                               record=release_id)
        return float(release.dp_budget)

    def spent(self, release_id: str) -> float:
        from django.db.models import Sum

        release = self._release(release_id)
        return float(PrivacyCharge.objects.filter(release=release).aggregate(s=Sum("epsilon"))["s"] or 0.0)

    def remaining(self, release_id: str) -> float:
        return self.budget(release_id) - self.spent(release_id)

    def charge(self, release_id: str, epsilon: float, query: str) -> None:
        """Record a charge, or raise :class:`BudgetExceeded` — the check and the write in one transaction."""
        from django.db.models import Sum

        if not epsilon or not epsilon > 0:
            raise LanternError("a query must spend a positive ε", field="epsilon", record=query)
        with transaction.atomic():
            release = self._release(release_id, lock=True)
            if release.state == ReleaseState.PUBLISHED:
                raise LanternError("a published release is immutable: no more queries may spend its budget",
                                   record=release_id)
            if release.dp_budget is None:
                raise LanternError("this release has no privacy budget", field="epsilon", record=release_id)
            budget = float(release.dp_budget)
            spent = float(PrivacyCharge.objects.filter(release=release).aggregate(s=Sum("epsilon"))["s"] or 0.0)
            if spent + epsilon > budget + TOLERANCE:
                raise BudgetExceeded([Problem(
                    f"query refused: it needs ε={epsilon:g} but the release has only ε={max(budget - spent, 0):g} left "
                    f"of {budget:g} (spent {spent:g})", field="epsilon", record=release_id)])
            self.last_charge = PrivacyCharge.objects.create(release=release, query=query[:300], epsilon=float(epsilon),
                                                            charged_by=self.user)

    def charges(self, release_id: str) -> list[dict[str, Any]]:
        release = self._release(release_id)
        return [{"query": c.query, "epsilon": c.epsilon, "charged_at": c.charged_at}
                for c in PrivacyCharge.objects.filter(release=release).order_by("charged_at", "id")]

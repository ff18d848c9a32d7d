"""Audited writes of the analyst's pages: releases (draft → checked → published) and DP queries.

Each service checks the capability first (so the audit row of a refusal survives), does the heavy
computing *outside* the transaction, then writes and appends an audit row in one transaction. Audit rows
name the release and the action, with counts only (``tables=3``, ``epsilon=0.3``), never a value.

The disclosure check and the publication both recompute the tables from the agency's data at that
moment with the core (:class:`lantern.statistics.release.Release`), so what is published is exactly
what was checked: publication refuses when the released cells differ from those checked (the data
changed in between) and sends the release back to draft.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from lantern.errors import LanternError, Problem
from lantern.platform import vocab
from lantern.platform.analytics import compute
from lantern.platform.analytics.ledger import DatabaseLedger
from lantern.platform.analytics.models import PrivacyCharge, ReleaseFile, ReleaseState, StatRelease
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.selectors import require

CAPABILITY = "assessment.analyse"
PLATFORM_MIN_THRESHOLD = 11


def _json_safe(value: Any) -> Any:
    """A report as strict JSON: an unbounded audited interval (∞) or a NaN becomes ``None``."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _refuse(user, action: str, release: StatRelease | None, exc: LanternError) -> None:
    audit_record(actor=user, action=action, object_type="release", object_ref=release.ref if release else "",
                 outcome=Outcome.INVALID, detail=f"problems={len(exc.problems)}")


def release_create(*, user, title: str, spec: dict[str, Any], spec_source: str = "",
                   dp_budget: float | None = None) -> StatRelease:
    """A draft release of the tables of ``spec`` (validated now; nothing is computed yet)."""
    require(user, CAPABILITY, action="release.create", object_type="release")
    problems: list[Problem] = []
    title = (title or spec.get("title") or "").strip()
    if not title:
        problems.append(Problem("give the release a title", field="title", record="release"))
    if len(title) > 200:
        problems.append(Problem("at most 200 characters", field="title", record="release"))
    if dp_budget is not None and not (math.isfinite(dp_budget) and 0 < dp_budget <= 10):
        problems.append(Problem("the privacy budget ε must be a number above 0 and at most 10", field="dp_budget",
                                record="release"))
    try:
        parsed = compute.parse(spec, source=spec_source or "spec")
    except LanternError as exc:
        problems.extend(exc.problems)
        parsed = None
    if parsed is not None and parsed.sdc.enabled and parsed.sdc.threshold < PLATFORM_MIN_THRESHOLD:
        # a spec may ask for stricter rules, never for weaker ones than the platform's (cells 1-10 protected)
        problems.append(Problem(f"the platform publishes no cell under {PLATFORM_MIN_THRESHOLD}: the spec's threshold "
                                f"must be at least {PLATFORM_MIN_THRESHOLD}", field="sdc.threshold", record="release"))
    if problems:
        exc = LanternError(problems)
        _refuse(user, "release.create", None, exc)
        raise exc
    with transaction.atomic():
        release = StatRelease.objects.create(
            agency_id=user.agency_id, title=title, spec=spec, spec_source=spec_source[:120],
            standard_version=parsed.standard_version, dp_budget=dp_budget, created_by=user)
        audit_record(actor=user, action="release.create", object_type="release", object_ref=release.ref,
                     detail=f"tables={len(parsed.tables)}")
    return release


def _core_release(*, user, release: StatRelease, purpose: str):
    from lantern.statistics.release import Release

    tables = compute.compute(user=user, spec=release.spec, purpose=purpose, source=release.spec_source or release.ref)
    return Release(release.ref, release.title, tables)


def release_check(*, user, release: StatRelease) -> dict[str, Any]:
    """Run the disclosure check; on success the release becomes ``checked`` with its report stored.

    A failing check stores the report (with every problem) and raises; the release stays a draft.
    """
    require(user, CAPABILITY, action="release.check", object_type="release", object_ref=release.ref)
    release.refresh_from_db()
    if release.state == ReleaseState.PUBLISHED:
        exc = LanternError("a published release cannot be checked again; make a new release", record=release.ref)
        _refuse(user, "release.check", release, exc)
        raise exc
    failure: LanternError | None = None
    core = _core_release(user=user, release=release, purpose=f"check {release.ref}")
    try:
        report = core.check(actor=user.username)
    except LanternError as exc:
        failure = exc
        report = core.report
    with transaction.atomic():
        release = StatRelease.objects.select_for_update().get(pk=release.pk)
        release.report = _json_safe(report.as_dict()) if report is not None else None
        release.checked_at = timezone.now()
        release.checked_by = user
        release.state = ReleaseState.DRAFT if failure else ReleaseState.CHECKED
        release.fingerprint = "" if failure else (core.fingerprint or "")
        release.save()
        audit_record(actor=user, action="release.check", object_type="release", object_ref=release.ref,
                     outcome=Outcome.INVALID if failure else Outcome.OK,
                     detail=f"tables={len(core.tables)} problems={len(failure.problems) if failure else 0}")
    if failure:
        raise failure
    return release.report


def release_publish(*, user, release: StatRelease) -> StatRelease:
    """Publish a checked release: CSV, Excel and the disclosure report stored in the database; immutable after.

    Refused (nothing published) unless the release is ``checked`` and the tables recomputed now release
    exactly the cells that were checked.
    """
    require(user, CAPABILITY, action="release.publish", object_type="release", object_ref=release.ref)
    release.refresh_from_db()
    if release.state != ReleaseState.CHECKED:
        exc = LanternError(f"only a checked release can be published (this one is {release.state}): run the "
                           "disclosure check first", record=release.ref)
        _refuse(user, "release.publish", release, exc)
        raise exc
    core = _core_release(user=user, release=release, purpose=f"publish {release.ref}")
    try:
        core.check(actor=user.username)
    except LanternError as exc:
        _refuse(user, "release.publish", release, exc)
        with transaction.atomic():
            StatRelease.objects.filter(pk=release.pk, state=ReleaseState.CHECKED).update(
                state=ReleaseState.DRAFT, fingerprint="")
        raise
    if core.fingerprint != release.fingerprint:
        exc = LanternError("the tables changed since the disclosure check (new or changed assessments): check the "
                           "release again before publishing", record=release.ref)
        _refuse(user, "release.publish", release, exc)
        StatRelease.objects.filter(pk=release.pk, state=ReleaseState.CHECKED).update(
            state=ReleaseState.DRAFT, fingerprint="")
        raise exc
    out = Path(tempfile.mkdtemp(prefix="lantern-release-"))
    try:
        written = core.publish(out, actor=user.username)
        files = [(p.suffix.lstrip("."), p.name, p.read_bytes()) for p in written]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    files += _extra_files(release, core.tables)
    with transaction.atomic():
        locked = StatRelease.objects.select_for_update().get(pk=release.pk)
        if locked.state != ReleaseState.CHECKED or locked.fingerprint != core.fingerprint:
            raise LanternError("the release changed while it was being published; check it again", record=release.ref)
        for fmt, name, content in files:
            ReleaseFile.objects.create(release=locked, fmt=fmt, name=name, content=content,
                                       sha256=hashlib.sha256(content).hexdigest())
        locked.report = _json_safe(core.report.as_dict()) if core.report else locked.report
        locked.state = ReleaseState.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = user
        locked.save()
        audit_record(actor=user, action="release.publish", object_type="release", object_ref=locked.ref,
                     detail=f"tables={len(core.tables)} files={len(files)}")
    return locked


def _open_for_queries(user, action: str, release: StatRelease) -> None:
    if release.state == ReleaseState.PUBLISHED:
        exc = LanternError("a published release is immutable: no more queries may spend its budget", record=release.ref)
        _refuse(user, action, release, exc)
        raise exc
    if release.dp_budget is None:
        exc = LanternError("this release has no privacy budget", field="epsilon", record=release.ref)
        _refuse(user, action, release, exc)
        raise exc


def _extra_files(release: StatRelease, tables) -> list[tuple[str, str, bytes]]:
    """Eurostat's crim_thb layout when tables fit it, and the release's DP answers when it has any."""
    import csv
    import io

    from lantern.statistics.export import crim_thb_frame

    extra = []
    try:
        frame = crim_thb_frame(tables)
    except LanternError:
        frame = None
    if frame is not None:
        extra.append(("crim_thb", f"{release.ref}.crim_thb.csv", frame.to_csv(index=False).encode()))
    charges = list(PrivacyCharge.objects.filter(release=release).order_by("charged_at", "id"))
    if charges:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["query", "epsilon", "ci_half_width_95", "group", "noisy_count"])
        for c in charges:
            for row in c.result or []:
                group = "; ".join(f"{k}={v}" for k, v in row.items() if k not in ("count", "ci_half_width"))
                writer.writerow([c.query, c.epsilon, c.accuracy, group or "total", row.get("count")])
        extra.append(("dp", f"{release.ref}.dp.csv", buf.getvalue().encode()))
    return extra


def _epsilon(value: Any) -> float:
    try:
        eps = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return eps


def dp_query_plan(*, user, release: StatRelease, epsilon: Any, by: list[str], where: str) -> dict[str, Any]:
    """What a DP query would spend and how accurate it would be — before anything is spent."""
    require(user, CAPABILITY, action="dp.plan", object_type="release", object_ref=release.ref)
    _open_for_queries(user, "dp.plan", release)
    ledger = DatabaseLedger(user.agency_id, user)
    query = compute.dp_plan(user=user, release=release, ledger=ledger, epsilon=_epsilon(epsilon), by=by, where=where)
    plan = query.summary()
    plan["remaining"] = ledger.remaining(release.ref)
    plan["budget"] = ledger.budget(release.ref)
    plan["fits"] = plan["epsilon"] <= plan["remaining"] + 1e-12
    return plan


def dp_query_run(*, user, release: StatRelease, epsilon: Any, by: list[str], where: str) -> PrivacyCharge:
    """Spend ε from the release's budget and store the noisy counts; past the budget: ``BudgetExceeded``,
    nothing spent, nothing computed."""
    from lantern.statistics.dp import BudgetExceeded

    require(user, CAPABILITY, action="dp.query", object_type="release", object_ref=release.ref)
    _open_for_queries(user, "dp.query", release)
    ledger = DatabaseLedger(user.agency_id, user)
    eps = _epsilon(epsilon)
    if math.isfinite(eps) and eps > 0:
        try:  # refuse early without planning (the charge below re-checks atomically)
            remaining = ledger.remaining(release.ref)
            if eps > remaining + 1e-12:
                ledger.charge(release.ref, eps, "refused before planning")
        except LanternError as exc:
            audit_record(actor=user, action="dp.query", object_type="release", object_ref=release.ref,
                         outcome=Outcome.DENIED if isinstance(exc, BudgetExceeded) else Outcome.INVALID,
                         detail=f"epsilon={eps:g}")
            raise
    query = compute.dp_plan(user=user, release=release, ledger=ledger, epsilon=_epsilon(epsilon), by=by, where=where)
    try:
        with transaction.atomic():
            result = query.release()  # charges the ledger first (refusing past the budget), then computes
            charge = ledger.last_charge
            assert charge is not None
            charge.accuracy = query.accuracy
            charge.result = [{k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in row.items()}
                             for row in result.to_dicts()]
            charge.save(update_fields=["accuracy", "result"])
            audit_record(actor=user, action="dp.query", object_type="release", object_ref=release.ref,
                         detail=f"epsilon={query.epsilon:g} groups={len(by)}")
    except (BudgetExceeded, LanternError) as exc:
        audit_record(actor=user, action="dp.query", object_type="release", object_ref=release.ref,
                     outcome=Outcome.DENIED if isinstance(exc, BudgetExceeded) else Outcome.INVALID,
                     detail=f"epsilon={query.epsilon:g}")
        raise
    return charge


def standard_version() -> str:
    return vocab.current_version()


# -- data-sharing records for the national cross-source report ----------------------------------------------

_AGENCY_KEY = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


def _safe_key(key: str) -> str:
    """An agency key for the audit trail; anything else typed there is not copied into it."""
    return key if _AGENCY_KEY.match(key or "") else "(malformed)"


def _recipient(user, recipient_key: str, action: str):
    from lantern.platform.analytics.selectors import national_agencies_for

    agency = national_agencies_for(user=user).filter(key=recipient_key).first()
    if agency is None:
        exc = LanternError("not a national anti-trafficking agency of your country", field="agency",
                           record=(recipient_key or "")[:60])
        audit_record(actor=user, action=action, object_type="sharing", object_ref=_safe_key(recipient_key),
                     outcome=Outcome.INVALID, detail="problems=1")
        raise exc
    return agency


def sharing_enable(*, user, recipient_key: str):
    """My agency (the administrator's) agrees to contribute its register to ``recipient_key``'s cross-source
    report. Idempotent: an active record is returned as it is."""
    from lantern.platform.analytics.models import SourceSharing

    require(user, "agency.admin", action="sharing.enable", object_type="sharing", object_ref=_safe_key(recipient_key))
    recipient = _recipient(user, recipient_key, "sharing.enable")
    with transaction.atomic():
        record = SourceSharing.objects.select_for_update().filter(
            contributor_id=user.agency_id, recipient=recipient, disabled_at__isnull=True).first()
        if record is None:
            try:
                with transaction.atomic():  # a savepoint: the constraint may refuse the insert
                    record = SourceSharing.objects.create(contributor_id=user.agency_id, recipient=recipient,
                                                          enabled_by=user)
            except IntegrityError:  # a concurrent request enabled it between the lookup and the insert
                record = SourceSharing.objects.get(contributor_id=user.agency_id, recipient=recipient,
                                                   disabled_at__isnull=True)
            else:
                audit_record(actor=user, action="sharing.enable", object_type="sharing", object_ref=recipient.key,
                             detail="purpose=sources.national")
    return record


def sharing_disable(*, user, recipient_key: str) -> int:
    """Withdraw the agreement: later reports leave my register out. Returns the number of records ended."""
    from lantern.platform.analytics.models import SourceSharing

    require(user, "agency.admin", action="sharing.disable", object_type="sharing", object_ref=_safe_key(recipient_key))
    recipient = _recipient(user, recipient_key, "sharing.disable")
    with transaction.atomic():
        ended = 0
        for record in SourceSharing.objects.select_for_update().filter(
                contributor_id=user.agency_id, recipient=recipient, disabled_at__isnull=True):
            record.disabled_at = timezone.now()
            record.disabled_by = user
            record.save(update_fields=["disabled_at", "disabled_by"])
            ended += 1
        audit_record(actor=user, action="sharing.disable", object_type="sharing", object_ref=recipient.key,
                     detail=f"ended={ended}")
    return ended

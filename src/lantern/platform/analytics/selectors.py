"""Scoped reads for the analyst's pages: the agency's own data as the analytic core's tables.

Everything here requires ``assessment.analyse`` and reads **only the user's agency's** records (never
records shared with it by a grant: an agency publishes what it collected). The frames carry pseudonyms
only as far as the core needs a person key (the count unit); no page or export shows them, and journey
legs get a throw-away ordinal instead. Identifiers are never read here except in
:func:`source_register`, which reduces them to what the quality checks need before they leave this module.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from django.http import Http404

from lantern.platform import vocab
from lantern.platform.analytics.models import StatRelease
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import Assessment, JourneyLeg, Subject
from lantern.platform.cases.selectors import require

CAPABILITY = "assessment.analyse"
_RELEASE_REF = re.compile(r"^R-[0-9A-Z]{6,16}$")


def assessment_frame(*, user, purpose: str):
    """The agency's assessments in the flat assessment format (a Polars frame; ``None`` when there are none).

    Reuses the platform's own flat export (``cases.selectors.assessment_rows_for_analysis`` and
    ``cases.export.assessment_flat_row``, as ``GET /api/v1/assessments/export.csv``): one query.
    ``purpose`` names the page in the audit row (``detail`` carries the number of rows only).
    """
    import polars as pl

    from lantern.platform.cases.export import assessment_flat_row
    from lantern.platform.cases.selectors import assessment_rows_for_analysis

    require(user, CAPABILITY, action="analytics.read", object_type="analytics", object_ref=purpose)
    std = vocab.current()
    schema = {}
    for c in std.assessment_columns():
        schema[c.name] = (pl.Date if c.name == "interview_date" else
                          pl.Int64 if c.name == "age" or c.dtype == "flag" else pl.String)
    rows = []
    for a in assessment_rows_for_analysis(user=user).order_by("interview_date", "id").iterator(chunk_size=2000):
        flat = assessment_flat_row(a)
        flat["interview_date"] = a.interview_date
        rows.append({c: flat.get(c) for c in schema})
    audit_record(actor=user, action="analytics.read", object_type="analytics", object_ref=purpose,
                 detail=f"rows={len(rows)}")
    if not rows:
        return None
    return pl.DataFrame(rows, schema=schema)


def journey_legs(*, user) -> tuple[Any, int]:
    """The agency's journeys as the core's border crossings (``lantern.routes.read_journeys`` layout).

    The platform stores *stays* (leg 1 is usually the country of origin); a crossing is each stay after the
    first: from the previous stay's country into this one, on this stay's entry date (or the previous stay's
    exit date). A person whose crossings cannot all be dated is left out; their number is returned.
    ``person_id`` is an ordinal, not the pseudonym.
    """
    import pandas as pd

    require(user, CAPABILITY, action="analytics.read", object_type="analytics", object_ref="routes")
    stays = list(JourneyLeg.objects.filter(subject__agency_id=user.agency_id)
                 .order_by("subject_id", "order").values_list("subject_id", "country", "entry_date", "exit_date",
                                                              "mode", "crossing_point", "facilitator_type"))
    audit_record(actor=user, action="analytics.read", object_type="analytics", object_ref="routes",
                 detail=f"legs={len(stays)}")
    by_subject: dict[int, list[tuple]] = {}
    for s in stays:
        by_subject.setdefault(s[0], []).append(s)
    rows, undated = [], 0
    for person, (_sid, legs) in enumerate(by_subject.items(), start=1):
        crossings = []
        for k in range(1, len(legs)):
            prev, cur = legs[k - 1], legs[k]
            date = cur[2] or prev[3]
            if date is None:
                crossings = None
                break
            crossings.append({"person_id": person, "leg_no": k, "from_country": prev[1], "to_country": cur[1],
                              "entry_date": date, "exit_date": cur[3], "mode": cur[4] or None,
                              "crossing_point": cur[5] or None, "facilitator_type": cur[6] or None,
                              "intra_eu": vocab.is_eu(prev[1]) and vocab.is_eu(cur[1]) and prev[1] != cur[1]})
        if crossings is None:
            undated += 1
        else:
            rows += crossings
    columns = ["person_id", "leg_no", "from_country", "to_country", "entry_date", "exit_date", "mode",
               "crossing_point", "facilitator_type", "intra_eu"]
    return pd.DataFrame(rows, columns=columns), undated


def journey_groups(*, user):
    """Per journey ``person_id`` (the same ordinals as :func:`journey_legs`): ``sex`` and ``citizenship`` at
    the person's first interview, for route tables by group (``UNK`` when there is no interview)."""
    import pandas as pd

    require(user, CAPABILITY, action="analytics.read", object_type="analytics", object_ref="routes")
    subjects = list(JourneyLeg.objects.filter(subject__agency_id=user.agency_id).order_by("subject_id")
                    .values_list("subject_id", flat=True).distinct())
    first: dict[int, tuple[str, str]] = {}
    for sid, sex, cit in (Assessment.objects.filter(agency_id=user.agency_id, subject_id__in=subjects)
                          .order_by("subject_id", "interview_date", "id").values_list("subject_id", "sex",
                                                                                       "citizenship")):
        first.setdefault(sid, (sex or "UNK", cit or "UNK"))
    rows = [{"person_id": i, "sex": first.get(sid, ("UNK", "UNK"))[0], "citizenship": first.get(sid, ("UNK", "UNK"))[1]}
            for i, sid in enumerate(subjects, start=1)]
    return pd.DataFrame(rows, columns=["person_id", "sex", "citizenship"])


def journeys_signature(*, user) -> str:
    """A hash of the agency's journeys (one query), to cache the route figures until a leg changes."""
    require(user, CAPABILITY, action="analytics.read", object_type="analytics", object_ref="routes")
    h = hashlib.sha256()
    for row in (JourneyLeg.objects.filter(subject__agency_id=user.agency_id).order_by("id")
                .values_list("id", "subject_id", "order", "country", "entry_date", "exit_date", "mode",
                             "crossing_point")):
        h.update(repr(row).encode())
    return h.hexdigest()


def _token(value: str, key: bytes) -> str:
    """A stand-in for a name: equal names give equal tokens; placeholders are kept so they are still found."""
    from lantern.statistics.sources import PLACEHOLDERS, _norm

    norm = _norm(value)
    if norm in PLACEHOLDERS:
        return value or ""
    return "t" + hmac.new(key, norm.encode(), hashlib.sha256).hexdigest()[:16]


def _register(agency_id: int) -> tuple[list, dict[int, tuple]]:
    """An agency's subjects (with their encrypted identities) and, per subject, the sex and citizenship of
    its first interview — the register as a data source. The caller has checked access."""
    subjects = list(Subject.objects.filter(agency_id=agency_id).select_related("identity").order_by("id"))
    first: dict[int, tuple] = {}
    for sid, sex, cit in (Assessment.objects.filter(agency_id=agency_id)
                          .order_by("subject_id", "interview_date", "id").values_list("subject_id", "sex",
                                                                                       "citizenship")):
        first.setdefault(sid, (sex, cit))
    return subjects, first


def source_register(*, user):
    """The agency's register of subjects as one source for the suitability report (a pandas frame).

    Columns of the core's list layout: ``record_id`` (an ordinal), ``list`` (the agency key), ``given_name``
    and ``family_name`` replaced by keyed tokens (placeholders such as ``UNKNOWN`` kept as they are, so that
    completeness, validity and exact duplicates are measured without any name leaving this function),
    ``date_of_birth``, ``sex`` and ``citizenship`` (of the first interview), ``record_date`` (the subject's
    creation date). Decrypting the identifiers is audited (field names and counts only).
    """
    import secrets

    import pandas as pd

    require(user, CAPABILITY, action="analytics.read", object_type="analytics", object_ref="sources")
    subjects, first = _register(user.agency_id)
    key = secrets.token_bytes(32)  # per report: tokens cannot be compared across reports
    rows = []
    for i, s in enumerate(subjects, start=1):
        ident = getattr(s, "identity", None) if hasattr(s, "identity") else None
        sex, cit = first.get(s.pk, ("", ""))
        rows.append({
            "record_id": f"r{i}", "list": user.agency.key,
            "given_name": _token(ident.given_name, key) if ident and ident.given_name else None,
            "family_name": _token(ident.family_name, key) if ident and ident.family_name else None,
            "date_of_birth": (ident.date_of_birth or None) if ident else None,
            "sex": sex or None, "citizenship": cit or None,
            "record_date": s.created_at.date().isoformat(),
        })
    audit_record(actor=user, action="analytics.read", object_type="analytics", object_ref="sources",
                 detail=f"records={len(rows)} fields=given_name,family_name,date_of_birth")
    return pd.DataFrame(rows, columns=["record_id", "list", "given_name", "family_name", "date_of_birth", "sex",
                                       "citizenship", "record_date"])


def safe_release_ref(ref: str) -> str:
    """A requested release reference as it may appear in the audit trail (whatever was typed could be a name)."""
    return ref if _RELEASE_REF.match(ref or "") else "(malformed)"


def release_list_for_user(*, user, state: str = "", audit: bool = False):
    """My agency's releases, newest first (``state`` filters; an unknown state matches nothing)."""
    require(user, CAPABILITY, action="release.list")
    qs = StatRelease.objects.filter(agency_id=user.agency_id).select_related("created_by").order_by(
        "-created_at", "-id")
    if state:
        qs = qs.filter(state=state)
    if audit:
        qs = list(qs)
        audit_record(actor=user, action="release.list", object_type="release", detail=f"releases={len(qs)}")
    return qs


def release_get_for_user(*, user, ref: str, audit: bool = False) -> StatRelease:
    """One of my agency's releases, or Http404 (missing and another agency's alike)."""
    require(user, CAPABILITY, action="release.read", object_type="release")
    release = (StatRelease.objects.filter(agency_id=user.agency_id, ref=ref)
               .select_related("created_by", "checked_by", "published_by").first())
    if release is None:
        audit_record(actor=user, action="release.read", object_type="release", object_ref=safe_release_ref(ref),
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such release")
    if audit:
        audit_record(actor=user, action="release.read", object_type="release", object_ref=release.ref)
    return release


# -- cross-agency data-source suitability (national anti-trafficking agency) --------------------------------

NATIONAL_CAPABILITY = "sources.national"
LINKAGE_ROLES = ["record_id", "given_name", "family_name", "date_of_birth", "sex", "citizenship"]


def require_national(user, *, action: str = "sources.national") -> None:
    """403 (audited) unless the user holds ``sources.national`` *and* works for a national anti-trafficking
    agency: the role alone is not enough (an NGO's analyst sees only the own register)."""
    from django.core.exceptions import PermissionDenied

    from lantern.platform.analytics.models import NATIONAL_AGENCY_TYPE

    require(user, NATIONAL_CAPABILITY, action=action, object_type="analytics", object_ref="sources.national")
    if user.agency.type != NATIONAL_AGENCY_TYPE:
        audit_record(actor=user, action=action, object_type="analytics", object_ref="sources.national",
                     outcome=Outcome.DENIED, detail=f"agency type {user.agency.type} is not {NATIONAL_AGENCY_TYPE}")
        raise PermissionDenied


def national_agencies_for(*, user):
    """The national anti-trafficking agencies of the user's country other than the user's own (recipients a
    register can be shared with)."""
    from lantern.platform.accounts.models import Agency
    from lantern.platform.analytics.models import NATIONAL_AGENCY_TYPE

    return (Agency.objects.filter(type=NATIONAL_AGENCY_TYPE, country=user.agency.country)
            .exclude(pk=user.agency_id).order_by("name"))


def sharing_for_contributor(*, user) -> list[dict[str, Any]]:
    """For the agency administrator: each national agency and whether my agency's register is shared with it."""
    from lantern.platform.analytics.models import SourceSharing

    require(user, "agency.admin", action="sharing.list", object_type="sharing")
    active = {s.recipient_id: s for s in SourceSharing.objects.filter(contributor_id=user.agency_id,
                                                                      disabled_at__isnull=True)
              .select_related("enabled_by")}
    return [{"agency": a, "sharing": active.get(a.pk)} for a in national_agencies_for(user=user)]


def contributing_agencies(*, user) -> list:
    """The registers the national analyst's report may cover: the own agency's, then every agency with an
    active sharing record naming the user's agency, by key."""
    from lantern.platform.accounts.models import Agency
    from lantern.platform.analytics.models import SourceSharing

    require_national(user)
    shared = SourceSharing.objects.filter(recipient_id=user.agency_id, disabled_at__isnull=True).values(
        "contributor_id")
    others = list(Agency.objects.filter(pk__in=shared).exclude(pk=user.agency_id).order_by("key"))
    return [user.agency, *others]


def contributed_register(*, user, agency, secret: bytes) -> tuple[Any, Any]:
    """One agency's register for the national report, reduced **inside that agency's scope** to what may
    cross the agency boundary:

    * ``quality`` — the core's list layout for field completeness, validity, timeliness and exact duplicates,
      names replaced by tokens keyed per agency *and* per report (placeholders kept), so they cannot be
      compared with another agency's tokens;
    * ``encoded`` — the linkage features encoded by :func:`lantern.linkage.bloom.encode_features` under the
      report's secret (keyed, balanced Bloom filters and keyed tokens; no plaintext identifier).

    Refused (404, audited) unless ``agency`` is the user's own or shares its register with it now. The
    decryption is audited naming the contributing agency (fields and counts only).
    """
    import hashlib as _hashlib
    import hmac as _hmac

    import pandas as pd

    from lantern.linkage.bloom import encode_features
    from lantern.linkage.features import prepare_features
    from lantern.platform.analytics.models import SourceSharing

    require_national(user)
    allowed = agency.pk == user.agency_id or SourceSharing.objects.filter(
        contributor_id=agency.pk, recipient_id=user.agency_id, disabled_at__isnull=True).exists()
    if not allowed:
        audit_record(actor=user, action="sources.contribute", object_type="agency", object_ref=agency.key,
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such source")
    subjects, first = _register(agency.pk)
    token_key = _hmac.new(secret, f"quality/{agency.key}".encode(), _hashlib.sha256).digest()
    plain, quality = [], []
    for i, s in enumerate(subjects, start=1):
        ident = getattr(s, "identity", None) if hasattr(s, "identity") else None
        sex, cit = first.get(s.pk, ("", ""))
        given = ident.given_name if ident and ident.given_name else None
        family = ident.family_name if ident and ident.family_name else None
        dob = (ident.date_of_birth or None) if ident else None
        row = {"record_id": f"r{i}", "list": agency.key, "date_of_birth": dob, "sex": sex or None,
               "citizenship": cit or None}
        plain.append({**row, "given_name": given, "family_name": family})
        quality.append({**row, "given_name": _token(given, token_key) if given else None,
                        "family_name": _token(family, token_key) if family else None,
                        "record_date": s.created_at.date().isoformat()})
    columns = ["record_id", "list", "given_name", "family_name", "date_of_birth", "sex", "citizenship"]
    raw = pd.DataFrame(plain, columns=columns)
    encoded = encode_features(prepare_features(raw, LINKAGE_ROLES), secret) if len(raw) else None
    del raw, plain  # the plaintext never leaves this function
    audit_record(actor=user, action="sources.contribute", object_type="agency", object_ref=agency.key,
                 detail=f"records={len(quality)} fields=given_name,family_name,date_of_birth encoded=bloom")
    return pd.DataFrame(quality, columns=[*columns, "record_date"]), encoded

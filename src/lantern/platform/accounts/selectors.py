"""Scoped reads of agencies' users and tokens (agency admins)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from lantern.platform.accounts.models import ApiToken, User
from lantern.platform.cases.selectors import require


def users_of_my_agency(*, user):
    require(user, "agency.admin", action="user.list")
    now = timezone.now()
    active = Q(api_tokens__revoked_at__isnull=True) & (Q(api_tokens__expires_at__isnull=True)
                                                       | Q(api_tokens__expires_at__gt=now))
    return (User.objects.filter(agency_id=user.agency_id)
            .annotate(active_tokens=Count("api_tokens", filter=active)).order_by("username"))


def token_get_for_admin(*, user, token_id: int) -> ApiToken:
    require(user, "agency.admin", action="token.revoke")
    token = ApiToken.objects.select_related("user").filter(pk=token_id, user__agency_id=user.agency_id).first()
    if token is None:
        raise Http404("No such token")
    return token


def tokens_of_my_agency(*, user):
    require(user, "agency.admin", action="token.list")
    return (ApiToken.objects.select_related("user").filter(user__agency_id=user.agency_id, revoked_at__isnull=True)
            .order_by("-created_at"))


def user_get_for_admin(*, user, user_id: int, action: str = "user.read"):
    """One user of the admin's agency; another agency's user answers 404 exactly like a missing one."""
    require(user, "agency.admin", action=action, object_type="user")
    target = (User.objects.filter(pk=user_id, agency_id=user.agency_id).select_related("agency")
              .annotate(unused_recovery_codes=Count("recovery_codes", filter=Q(recovery_codes__used_at__isnull=True)))
              .first())
    if target is None:
        raise Http404("No such user")
    return target


def user_tokens_for_admin(*, user, target):
    """The target user's active API tokens (the target already scoped by :func:`user_get_for_admin`)."""
    now = timezone.now()
    return (ApiToken.objects.filter(user=target, revoked_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("-created_at"))

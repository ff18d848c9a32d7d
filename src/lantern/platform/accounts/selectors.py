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

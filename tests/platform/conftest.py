"""Fixtures for the platform tests: two agencies, users of every role, subjects built through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.platform import vocab
from lantern.platform.roles import Role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.3 s a hash on this machine; tests create many users
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def std():
    return vocab.current()


def _answers(std, value="no"):
    cols = std.assessment_columns()
    return {c.name: value for c in cols if c.kind in ("indicator", "factor")}


@pytest.fixture
def flat_row(std):
    """A valid assessment in the flat format (JSON-like values)."""

    def make(**overrides):
        row = {
            "standard_version": std.version,
            "interview_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
            "sex": std.code_list("sex").active_ids()[0],
            "age": 29,
            "citizenship": "NP",
            "country_of_interview": "RO",
            "sector": std.code_list("sector").active_ids()[0],
            **_answers(std, 0),
        }
        row.update(overrides)
        return row

    return make


@pytest.fixture
def agencies(db):
    from lantern.platform.accounts.models import Agency

    own = Agency.objects.create(key="ngo-a", name="NGO A", type="ngo", country="RO")
    other = Agency.objects.create(key="police-b", name="Police B", type="police", country="RO")
    return own, other


@pytest.fixture
def make_user(agencies):
    from lantern.platform.accounts.models import User

    def make(role=Role.CASEWORKER, agency=None, username=None):
        agency = agency or agencies[0]
        username = username or f"{agency.key}-{role}"
        user = User.objects.create_user(username=username, password="pw-Secret-123", agency=agency, role=role)
        return user

    return make


@pytest.fixture
def caseworker(make_user):
    return make_user(Role.CASEWORKER)


@pytest.fixture
def other_caseworker(make_user, agencies):
    return make_user(Role.CASEWORKER, agency=agencies[1])


@pytest.fixture
def make_subject(flat_row):
    from lantern.platform.cases import services

    def make(user, *, identity=None, assessment=True, legs=None):
        subject = services.subject_create(user=user, identity=identity)
        if assessment:
            services.assessment_create(user=user, subject=subject, data=flat_row())
        if legs:
            services.journey_replace(user=user, subject=subject, legs=legs)
        return subject

    return make

"""The people rules on their own: roles, and when an invite enrols someone."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from knowledge.people import (
    INVITE_REASONS,
    ROLES,
    Invite,
    check_choice,
    check_invite_terms,
    higher,
    may,
    new_invite_code,
    redeem_refusal,
    validate,
)

NOW = datetime.now(UTC)  # `Invite.active` reads the clock: keep the invites current
OPEN = Invite(
    code="abcdefghijkl", role="trainee", cohort="2025-spring", category=None, max_uses=2,
    uses=0, expires_at=NOW + timedelta(days=14), created_by=1, revoked=False,
    created_at=NOW - timedelta(days=1),
)  # fmt: skip


def test_each_role_may_do_what_those_below_it_may():
    assert may("admin", "instructor") and may("admin", "trainee") and may("instructor", "trainee")
    assert not may("trainee", "instructor") and not may("instructor", "admin")
    assert all(may(role, role) for role in ROLES)


def test_a_second_invite_never_lowers_a_role():
    assert higher("admin", "trainee") == "admin"  # an admin redeeming a trainee invite
    assert higher("trainee", "instructor") == "instructor"  # a trainee promoted by one


def test_an_open_invite_enrols():
    assert redeem_refusal(OPEN, enrolled=False, now=NOW) is None
    assert OPEN.active is True


def test_an_invite_that_cannot_enrol_says_why():
    cases = {
        "unknown": None,
        "revoked": replace(OPEN, revoked=True),
        "expired": replace(OPEN, expires_at=NOW),
        "used_up": replace(OPEN, uses=2),
    }
    assert set(cases) == set(INVITE_REASONS)
    for reason, invite in cases.items():
        assert redeem_refusal(invite, enrolled=False, now=NOW) == reason
        assert invite is None or not invite.active


def test_someone_enrolled_by_the_code_keeps_their_place_until_it_is_revoked():
    # Re-redeeming is let through (the store then takes no use), even once it expired or filled.
    for invite in (OPEN, replace(OPEN, uses=2), replace(OPEN, expires_at=NOW - timedelta(1))):
        assert redeem_refusal(invite, enrolled=True, now=NOW) is None
    assert redeem_refusal(replace(OPEN, revoked=True), enrolled=True, now=NOW) == "revoked"


def test_invite_codes_fit_a_telegram_deep_link_and_differ():
    codes = {new_invite_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code) for code in codes)


def test_unknown_choices_are_refused():
    validate(role="instructor", category="editorial", lang="zh", name="anything")
    validate(category=None, lang=None)  # both optional
    for bad in ({"role": "owner"}, {"role": None}, {"category": "chef"}, {"lang": "fr"}):
        with pytest.raises(ValueError):
            validate(**bad)
    with pytest.raises(ValueError, match="max_uses"):
        check_invite_terms(role="trainee", category=None, max_uses=0)
    with pytest.raises(ValueError, match="expected one of a, b"):
        check_choice("thing", "c", ("a", "b"), optional=False)

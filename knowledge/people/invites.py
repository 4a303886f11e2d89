"""Invites: codes that enrol people with a role, cohort and category, and when they can."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from .users import validate

InviteReason = Literal["unknown", "expired", "used_up", "revoked"]
INVITE_REASONS: tuple[InviteReason, ...] = get_args(InviteReason)


class InviteError(Exception):
    """An invite code that cannot be redeemed; `reason` is one of INVITE_REASONS."""

    def __init__(self, reason: InviteReason) -> None:
        self.reason = reason
        super().__init__(f"invite cannot be redeemed: {reason}")


@dataclass(frozen=True)
class Invite:
    code: str
    role: str
    cohort: str | None
    category: str | None
    max_uses: int
    uses: int
    expires_at: datetime
    created_by: int
    revoked: bool
    created_at: datetime

    @property
    def active(self) -> bool:
        """Whether the code can still enrol someone."""
        return redeem_refusal(self, enrolled=False, now=datetime.now(UTC)) is None


def new_invite_code() -> str:
    """A fresh, unguessable code of 12 URL-safe characters: it fits a Telegram deep link
    (`?start=<code>`, at most 64 of [A-Za-z0-9_-])."""
    return secrets.token_urlsafe(9)


def check_invite_terms(*, role: str, category: str | None, max_uses: int) -> None:
    """Raise ValueError unless an invite with these terms could be made."""
    validate(role=role, category=category)
    if max_uses < 1:
        raise ValueError("an invite needs max_uses of at least 1")


def redeem_refusal(invite: Invite | None, *, enrolled: bool, now: datetime) -> InviteReason | None:
    """Why redeeming `invite` (None: no such code) fails at `now`, or None when it may go on.

    `enrolled`: the user was already enrolled by this very code. They keep their place, with
    no use taken, even once the invite has expired or filled up; a revoked code stops them too.
    A use is still to be taken atomically by the store: `uses` here is only a snapshot.
    """
    if invite is None:
        return "unknown"
    if invite.revoked:
        return "revoked"
    if enrolled:
        return None
    if invite.expires_at <= now:
        return "expired"
    if invite.uses >= invite.max_uses:
        return "used_up"
    return None

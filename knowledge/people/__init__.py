"""People: who they are, their roles and what each may do, invites and their rules.

Plain records and pure rules, no storage: `knowledge.records` reads and writes people and
invites, and asks these rules what to allow. People depends on the shared vocabulary only.
"""

from .invites import (
    INVITE_REASONS,
    Invite,
    InviteError,
    InviteReason,
    check_invite_terms,
    new_invite_code,
    redeem_refusal,
)
from .roles import ROLES, higher, may
from .users import User, check_choice, validate

__all__ = [
    "INVITE_REASONS",
    "ROLES",
    "Invite",
    "InviteError",
    "InviteReason",
    "User",
    "check_choice",
    "check_invite_terms",
    "higher",
    "may",
    "new_invite_code",
    "redeem_refusal",
    "validate",
]

"""The learner-records store: users, invites, the question log, feedback, canonical answers."""

from .models import CATEGORIES, LANGS, ROLES, Canonical, Invite, InviteError, QuestionRecord, User
from .store import Records

__all__ = [
    "CATEGORIES",
    "LANGS",
    "ROLES",
    "Canonical",
    "Invite",
    "InviteError",
    "QuestionRecord",
    "Records",
    "User",
]

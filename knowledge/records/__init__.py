"""The learner-records store: users, invites, the question log, feedback, canonical answers,
and quizzes (the question bank, sessions, attempts, mastery, review cards)."""

from .models import (
    CATEGORIES,
    LANGS,
    ROLES,
    AnswerResult,
    Attempt,
    Canonical,
    Invite,
    InviteError,
    Mastery,
    PollRef,
    QuestionRecord,
    QuizSession,
    User,
)
from .store import Records
from .web import SigninError

__all__ = [
    "CATEGORIES",
    "LANGS",
    "ROLES",
    "AnswerResult",
    "Attempt",
    "Canonical",
    "Invite",
    "InviteError",
    "Mastery",
    "PollRef",
    "QuestionRecord",
    "QuizSession",
    "Records",
    "SigninError",
    "User",
]

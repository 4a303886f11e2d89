"""The learner-records store: users, invites, the question log, feedback, canonical answers,
and quizzes (the question bank, sessions, attempts, mastery and its history, review cards).

The rules for people and invites live in `knowledge.people`; this package stores them."""

from knowledge.people import User  # still re-exported: the store returns it to many callers

from .models import (
    AnswerResult,
    Attempt,
    Canonical,
    CanonicalRevision,
    CanonicalsVersion,
    InFlight,
    Mastery,
    MasteryPoint,
    PollRef,
    QuestionRecord,
    QuizSession,
)
from .store import Records
from .web import SigninError

__all__ = [
    "AnswerResult",
    "Attempt",
    "Canonical",
    "CanonicalRevision",
    "CanonicalsVersion",
    "InFlight",
    "Mastery",
    "MasteryPoint",
    "PollRef",
    "QuestionRecord",
    "QuizSession",
    "Records",
    "SigninError",
    "User",
]

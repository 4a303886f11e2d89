"""The records the store hands out: frozen snapshots, never live ORM rows.

People and invites (`User`, `Invite`) are defined with their rules in `knowledge.people`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    user_id: int
    chat_id: int
    question: str
    lang: str
    answer: str
    abstained: bool
    citations: list[dict[str, Any]]
    canonical_id: int | None
    created_at: datetime
    rating: bool | None  # the asker's own rating, if they gave one


@dataclass(frozen=True)
class Canonical:
    id: int
    question: str
    lang: str
    answer: str
    author_id: int | None
    author_name: str
    source_question_id: int | None
    created_at: datetime
    standalone: str | None = None  # the question without the asker's details, if written
    retired_at: datetime | None = None  # no longer served (kept in the records), migration 0007


@dataclass(frozen=True)
class CanonicalRevision:
    """A wording a canonical answer had until `editor_name` replaced it at `replaced_at`
    (migration 0012); the editor's id and name are None once they are forgotten."""

    id: int
    canonical_id: int
    question: str
    answer: str
    editor_id: int | None
    editor_name: str | None
    replaced_at: datetime


class CanonicalsVersion(NamedTuple):
    """How many canonical answers there are (retired ones too), the newest's id, and when one
    last changed (migration 0011): while it stays equal, the same answers are in force."""

    answers: int
    last_id: int | None
    revised_at: datetime | None


@dataclass(frozen=True)
class QuizSession:
    id: int
    user_id: int
    size: int  # how many questions the session asks
    focus: tuple[str, ...] | None  # competency ids the session is limited to, if any
    asked: tuple[str, ...]  # item ids sent so far, in order
    current: str | None  # the item being answered
    selected: tuple[int, ...]  # options toggled so far on a multiple-choice item
    sent_at: datetime | None  # when `current` was sent
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class AnswerResult:
    attempt_id: int
    item_id: str
    correct: bool
    mastery: dict[str, float]  # the item's competencies, after this answer
    score: int  # right answers in the session so far
    answered: int  # answers in the session so far
    finished: bool  # whether the session has now had `size` answers


@dataclass(frozen=True)
class Mastery:
    competency: str
    score: float  # on the 1-5 proficiency scale (0-5)
    attempts: int


@dataclass(frozen=True)
class MasteryPoint:
    """A value mastery of a competency took, and when (migration 0010)."""

    at: datetime
    score: float


@dataclass(frozen=True)
class PollRef:
    """A Telegram quiz poll sent for an item of a session."""

    poll_id: str
    user_id: int
    session_id: int
    item_id: str
    chat_id: int
    message_id: int | None


@dataclass(frozen=True)
class Attempt:
    id: int
    user_id: int
    item_id: str
    session_id: int | None  # None once the session is gone
    response: tuple[int, ...] | str  # chosen option indexes, or typed text
    correct: bool
    seconds: float
    answered_at: datetime


@dataclass(frozen=True)
class InFlight:
    """Work begun for a person and not yet finished: a question or an upload (migration 0006)."""

    id: int
    user_id: int
    chat_id: int  # where the reply was to go
    kind: str  # "question" or "upload"
    about: str  # the question shortened, or the file name
    lang: str  # the person's language when it began
    started_at: datetime
    # the message its progress is shown in (chat, message id), once the channel sent one
    status_chat_id: int | None = None
    status_message_id: int | None = None

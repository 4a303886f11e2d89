"""ORM models of the records database (the schema itself is made by the Alembic migrations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from knowledge.learning.questions import Question
from knowledge.people import Invite, User

from .models import (
    Attempt,
    Canonical,
    CanonicalRevision,
    InFlight,
    Mastery,
    QuestionRecord,
    QuizSession,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect (SQLite stores and returns naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    cohort: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(20))
    lang: Mapped[str | None] = mapped_column(String(8))
    pending: Mapped[str | None] = mapped_column(Text)
    recent: Mapped[str | None] = mapped_column(Text)  # their last questions (JSON), oldest first
    invite_code: Mapped[str | None] = mapped_column(String(64))  # the invite that enrolled them
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def record(self) -> User:
        return User(
            self.id, self.name, self.role, self.cohort, self.category, self.lang,
            self.pending, self.created_at,
        )  # fmt: skip


class IdentityRow(Base):
    """How a person is known on a channel: ('telegram', their Telegram id) -> their user
    (migration 0009)."""

    __tablename__ = "identities"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InviteRow(Base):
    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    cohort: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(20))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def record(self) -> Invite:
        return Invite(
            self.code, self.role, self.cohort, self.category, self.max_uses, self.uses,
            self.expires_at, self.created_by, self.revoked, self.created_at,
        )  # fmt: skip


class QuestionRow(Base):
    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(Text)
    abstained: Mapped[bool] = mapped_column(Boolean)
    citations: Mapped[str] = mapped_column(Text)  # a JSON list of objects
    canonical_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def record(self, rating: bool | None) -> QuestionRecord:
        return QuestionRecord(
            self.id, self.user_id, self.chat_id, self.question, self.lang, self.answer,
            self.abstained, json.loads(self.citations), self.canonical_id, self.created_at,
            rating,
        )  # fmt: skip


class RatingRow(Base):
    __tablename__ = "ratings"
    question_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CanonicalRow(Base):
    __tablename__ = "canonical_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    author_name: Mapped[str] = mapped_column(String(200))
    source_question_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("questions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    standalone: Mapped[str | None] = mapped_column(Text)  # migration 0003
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # migration 0007
    # last written, reworded, retired, or its question rewritten by forgetting the asker
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # migration 0011

    def record(self) -> Canonical:
        return Canonical(
            self.id, self.question, self.lang, self.answer, self.author_id, self.author_name,
            self.source_question_id, self.created_at, self.standalone, self.retired_at,
        )  # fmt: skip


class CanonicalRevisionRow(Base):
    """A wording a canonical answer had until an edit replaced it (migration 0012)."""

    __tablename__ = "canonical_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    canonical_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("canonical_answers.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(BigInteger)  # who replaced it
    editor_name: Mapped[str | None] = mapped_column(String(200))  # None: they were forgotten
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def record(self) -> CanonicalRevision:
        return CanonicalRevision(
            self.id, self.canonical_id, self.question, self.answer, self.editor_id,
            self.editor_name, self.replaced_at,
        )  # fmt: skip


class ProcessedUpdateRow(Base):
    __tablename__ = "processed_updates"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# quizzes (migration 0002)


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="CASCADE")


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


class QuizItemRow(Base):
    __tablename__ = "quiz_items"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text)  # JSON lists, like answer, accepted, competencies
    answer: Mapped[str] = mapped_column(Text)
    accepted: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text)
    source_doc: Mapped[str] = mapped_column(String(200))
    clause: Mapped[str] = mapped_column(Text)
    competencies: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    bloom: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @staticmethod
    def values(q: Question) -> dict[str, object]:
        """The columns for a question (all but updated_at)."""
        return dict(
            id=q.id, lang=q.lang, kind=q.kind, stem=q.stem, options=dumps(q.options),
            answer=dumps(q.answer), accepted=dumps(q.accepted), explanation=q.explanation,
            feedback=q.feedback, source_doc=q.source_doc, clause=q.clause,
            competencies=dumps(q.competencies), level=q.level, bloom=q.bloom, status=q.status,
        )  # fmt: skip

    def question(self) -> Question:
        def tup(text: str) -> tuple[Any, ...]:
            return tuple(json.loads(text))

        # lang, kind and status are stored as text, only ever from a Question that passed
        # `problems()` (import, the console's form): the Literal types hold for what is read.
        return Question(
            self.id, self.lang, self.kind, self.stem, tup(self.options),  # type: ignore[arg-type]
            tup(self.answer), tup(self.accepted), self.explanation, self.feedback,
            self.source_doc, self.clause, tup(self.competencies), self.level, self.bloom,
            self.status,  # type: ignore[arg-type]
        )  # fmt: skip


class QuizSessionRow(Base):
    __tablename__ = "quiz_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    size: Mapped[int] = mapped_column(Integer)
    focus: Mapped[str | None] = mapped_column(Text)  # a JSON list of competency ids
    asked: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list of item ids
    current: Mapped[str | None] = mapped_column(String(100))
    selected: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list of option indexes
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def record(self) -> QuizSession:
        focus = None if self.focus is None else tuple(json.loads(self.focus))
        return QuizSession(
            self.id, self.user_id, self.size, focus, tuple(json.loads(self.asked)),
            self.current, tuple(json.loads(self.selected)), self.sent_at, self.started_at,
            self.finished_at,
        )  # fmt: skip


class AttemptRow(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("session_id", "item_id", name="uq_attempts_session_item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    item_id: Mapped[str] = mapped_column(String(100), ForeignKey("quiz_items.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("quiz_sessions.id", ondelete="SET NULL")
    )
    response: Mapped[str] = mapped_column(Text)  # JSON: a list of option indexes, or the text
    correct: Mapped[bool] = mapped_column(Boolean)
    seconds: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def record(self) -> Attempt:
        response = json.loads(self.response)
        response = response if isinstance(response, str) else tuple(response)
        return Attempt(
            self.id, self.user_id, self.item_id, self.session_id, response, self.correct,
            self.seconds, self.answered_at,
        )  # fmt: skip


class MasteryRow(Base):
    __tablename__ = "mastery"
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    competency: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def record(self) -> Mastery:
        return Mastery(self.competency, self.score, self.attempts)


class MasteryHistoryRow(Base):
    """One value mastery took, appended whenever `mastery` is written (migration 0010)."""

    __tablename__ = "mastery_history"
    __table_args__ = (
        Index("ix_mastery_history_user_competency_at", "user_id", "competency", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    competency: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewCardRow(Base):
    __tablename__ = "review_cards"
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(100), ForeignKey("quiz_items.id"), primary_key=True)
    card: Mapped[str | None] = mapped_column(Text)  # fsrs Card JSON; None until first reviewed
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PollRow(Base):
    __tablename__ = "polls"
    poll_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("quiz_sessions.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# the web console (migration 0004): only hashes of the tokens are kept


class WebSigninRow(Base):
    __tablename__ = "web_signins"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSessionRow(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DismissalRow(Base):
    """Feedback an instructor dismissed: it leaves the queue (migration 0004)."""

    __tablename__ = "feedback_dismissals"
    question_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int | None] = mapped_column(BigInteger)  # who dismissed it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InFlightRow(Base):
    """Work begun and not yet finished (migration 0006): one insert before, one delete after."""

    __tablename__ = "in_flight"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    about: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # where the channel shows the work's progress (migration 0008), once it has
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)

    def record(self) -> InFlight:
        return InFlight(
            self.id, self.user_id, self.chat_id, self.kind, self.about, self.lang,
            self.started_at, self.status_chat_id, self.status_message_id,
        )  # fmt: skip

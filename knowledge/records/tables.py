"""ORM models of the records database (the schema itself is made by the Alembic migrations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .models import Canonical, Invite, QuestionRecord, User


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
    invite_code: Mapped[str | None] = mapped_column(String(64))  # the invite that enrolled them
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def record(self) -> User:
        return User(
            self.id, self.name, self.role, self.cohort, self.category, self.lang,
            self.pending, self.created_at,
        )  # fmt: skip


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

    def record(self) -> Canonical:
        return Canonical(
            self.id, self.question, self.lang, self.answer, self.author_id, self.author_name,
            self.source_question_id, self.created_at,
        )  # fmt: skip


class ProcessedUpdateRow(Base):
    __tablename__ = "processed_updates"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

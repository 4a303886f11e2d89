"""Quizzes: the question bank, sessions, attempts, mastery, review cards and sent polls.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, index=index)


def _user(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=not primary_key,
    )


def _text(*names: str, nullable: bool = False) -> list[sa.Column]:
    return [sa.Column(name, sa.Text, nullable=nullable) for name in names]


def upgrade() -> None:
    op.create_table(
        "quiz_items",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        *_text("stem", "options", "answer", "accepted", "explanation", "feedback"),
        sa.Column("source_doc", sa.String(200), nullable=False),
        *_text("clause", "competencies"),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("bloom", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        _when("updated_at"),
    )
    op.create_table(
        "quiz_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user(),
        sa.Column("size", sa.Integer, nullable=False),
        *_text("focus", nullable=True),
        *_text("asked"),
        sa.Column("current", sa.String(100)),
        *_text("selected"),
        _when("sent_at", nullable=True),
        _when("started_at"),
        _when("finished_at", nullable=True),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user(),
        sa.Column(
            "item_id", sa.String(100), sa.ForeignKey("quiz_items.id"), nullable=False, index=True
        ),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("quiz_sessions.id", ondelete="SET NULL")),
        *_text("response"),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        _when("answered_at", index=True),
        sa.UniqueConstraint("session_id", "item_id", name="uq_attempts_session_item"),
    )
    op.create_table(
        "mastery",
        _user(primary_key=True),
        sa.Column("competency", sa.String(100), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _when("updated_at"),
    )
    op.create_table(
        "review_cards",
        _user(primary_key=True),
        sa.Column("item_id", sa.String(100), sa.ForeignKey("quiz_items.id"), primary_key=True),
        *_text("card", nullable=True),
        _when("due_at", index=True),
    )
    op.create_table(
        "polls",
        sa.Column("poll_id", sa.String(100), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("quiz_sessions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.BigInteger),
        _when("sent_at"),
    )


def downgrade() -> None:
    for table in ("polls", "review_cards", "mastery", "attempts", "quiz_sessions", "quiz_items"):
        op.drop_table(table)

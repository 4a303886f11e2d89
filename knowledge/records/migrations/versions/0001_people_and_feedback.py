"""People and feedback: users, invites, the question log, ratings, canonical answers, updates.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _created_at(index: bool = False) -> sa.Column:
    return sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.current_timestamp(),
        index=index,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("cohort", sa.String(100)),
        sa.Column("category", sa.String(20)),
        sa.Column("lang", sa.String(8)),
        sa.Column("pending", sa.Text),
        sa.Column("invite_code", sa.String(64)),
        _created_at(),
    )
    op.create_table(
        "invites",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("cohort", sa.String(100)),
        sa.Column("category", sa.String(20)),
        sa.Column("max_uses", sa.Integer, nullable=False),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        _created_at(),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("abstained", sa.Boolean, nullable=False),
        sa.Column("citations", sa.Text, nullable=False),
        sa.Column("canonical_id", sa.Integer),
        _created_at(index=True),
    )
    op.create_table(
        "ratings",
        sa.Column(
            "question_id",
            sa.Integer,
            sa.ForeignKey("questions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        _created_at(),
    )
    op.create_table(
        "canonical_answers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("author_id", sa.BigInteger),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column(
            "source_question_id",
            sa.Integer,
            sa.ForeignKey("questions.id", ondelete="SET NULL"),
            index=True,
        ),
        _created_at(),
    )
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        _created_at(index=True),
    )


def downgrade() -> None:
    for table in (
        "processed_updates",
        "canonical_answers",
        "ratings",
        "questions",
        "invites",
        "users",
    ):
        op.drop_table(table)

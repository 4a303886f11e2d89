"""The web console: one-time sign-in links and browser sessions, both kept as hashes only;
feedback an instructor dismissed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _user() -> sa.Column:
    return sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "web_signins",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _user(),
        _when("expires_at"),
        _when("used_at", nullable=True),
        _when("created_at"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _user(),
        _when("expires_at"),
        _when("created_at"),
    )

    op.create_table(
        "feedback_dismissals",
        sa.Column(
            "question_id",
            sa.Integer,
            sa.ForeignKey("questions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.BigInteger, nullable=True),
        _when("created_at"),
    )


def downgrade() -> None:
    op.drop_table("feedback_dismissals")
    op.drop_table("web_sessions")
    op.drop_table("web_signins")

"""Mastery over time: every value written to `mastery` is also appended to `mastery_history`
(in the same transaction), so a trainee's page can chart how each competency moved. Each
existing mastery row becomes its competency's first point, at the time it was last updated,
so trainees who answered before this migration have a starting point.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mastery_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("competency", sa.String(100), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_mastery_history_user_competency_at",
        "mastery_history",
        ["user_id", "competency", "at"],
    )
    op.execute(
        "INSERT INTO mastery_history (user_id, competency, score, at) "
        "SELECT user_id, competency, score, COALESCE(updated_at, CURRENT_TIMESTAMP) "
        "FROM mastery ORDER BY user_id, competency"
    )


def downgrade() -> None:
    op.drop_index("ix_mastery_history_user_competency_at", table_name="mastery_history")
    op.drop_table("mastery_history")

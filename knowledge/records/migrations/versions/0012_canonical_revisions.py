"""A canonical answer's earlier wordings: each edit that changes its question or answer keeps
the wording it replaces, with who replaced it and when, so the console can show its history.
Existing answers start with no history (their earlier wordings were not kept).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canonical_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "canonical_id",
            sa.Integer,
            sa.ForeignKey("canonical_answers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("editor_id", sa.BigInteger),
        sa.Column("editor_name", sa.String(200)),  # None once the editor is forgotten
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_canonical_revisions_canonical_id", "canonical_revisions", ["canonical_id"])


def downgrade() -> None:
    op.drop_index("ix_canonical_revisions_canonical_id", table_name="canonical_revisions")
    op.drop_table("canonical_revisions")

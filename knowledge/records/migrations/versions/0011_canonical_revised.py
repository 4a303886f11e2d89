"""Canonical answers note when they last changed (written, reworded, retired, or their question
rewritten by forgetting the asker), so a process serving them can tell that another changed
them and reload. Existing answers count as last changed when they were written.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canonical_answers") as batch:
        batch.add_column(sa.Column("revised_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE canonical_answers SET revised_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("canonical_answers") as batch:
        batch.drop_column("revised_at")

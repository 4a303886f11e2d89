"""Canonical answers keep a question worded without the asker's details, for forgetting them.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canonical_answers") as batch:
        batch.add_column(sa.Column("standalone", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("canonical_answers") as batch:
        batch.drop_column("standalone")

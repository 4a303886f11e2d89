"""A canonical answer an instructor retires is kept in the records, marked with when it was
retired, and no longer served.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canonical_answers") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("canonical_answers") as batch:
        batch.drop_column("retired_at")

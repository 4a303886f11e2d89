"""A person's last questions live in their record, so every worker (and a restart) sees the
context a follow-up question refers to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("recent", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("recent")

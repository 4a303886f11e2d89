"""Work in flight remembers the status message an upload's progress is shown in (its chat and
message id), so that after a crash the next start can edit it to say the upload did not
finish, instead of leaving it at "Indexing 16/150" for good.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("in_flight") as batch:
        batch.add_column(sa.Column("status_chat_id", sa.BigInteger))
        batch.add_column(sa.Column("status_message_id", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("in_flight") as batch:
        batch.drop_column("status_message_id")
        batch.drop_column("status_chat_id")

"""People have one identity across channels: `users.id` is our own id, and each way a person
reaches the bot (Telegram today, later others) is a row in `identities` linking the channel's
id of them to their user. Every existing user came by Telegram with their Telegram id as
their user id, so each gets the identity ('telegram', their id): no record changes. (The
console chat's owner, user 0, is no Telegram user: Telegram's ids are positive.)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("external_id", sa.String(200), primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.current_timestamp(),
        ),
    )
    op.execute(
        "INSERT INTO identities (channel, external_id, user_id, created_at) "
        "SELECT 'telegram', CAST(id AS VARCHAR(200)), id, created_at FROM users WHERE id > 0"
    )


def downgrade() -> None:
    op.drop_table("identities")

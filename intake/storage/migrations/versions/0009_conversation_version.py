"""conversation version: counted up by every update, so a conversation turn that read an older
version tries again instead of overwriting the turn that wrote in between (bot.chat)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default=sa.text("0"),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("version")

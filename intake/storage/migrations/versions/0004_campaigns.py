"""campaigns: invitations and "you said, we did" messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("tracker_item_id", sa.Integer(), nullable=True),
        sa.Column("texts", JSON, nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("excluded", JSON, nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_campaign_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(
            ["tracker_item_id"], ["tracker_item.id"], name=op.f("fk_campaign_tracker_item_id_tracker_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_tracker_item_id"), ["tracker_item_id"], unique=False)

    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbound_message_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_message_campaign_id_campaign"), "campaign", ["campaign_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbound_message_campaign_id_campaign"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbound_message_campaign_id"))
        batch_op.drop_column("campaign_id")

    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_tracker_item_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_consultation_id"))

    op.drop_table("campaign")

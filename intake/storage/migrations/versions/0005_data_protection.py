"""data protection and repeat deliveries: when an item was erased, its original text or a raw
payload removed; when a chat turn's answer was final; temporary staff passwords; links staff
removed (so routing re-runs leave them removed)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("original_removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("inbound_message") as batch:
        batch.add_column(sa.Column("payload_removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversation_turn") as batch:
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "removed_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("removed_by", sa.String(length=200), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"],
                                name=op.f("fk_removed_link_feedback_id_feedback")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removed_link")),
        sa.UniqueConstraint("feedback_id", "target", "target_id",
                            name=op.f("uq_removed_link_feedback_id_target_target_id")),
    )
    op.create_index(op.f("ix_removed_link_feedback_id"), "removed_link", ["feedback_id"], unique=False)
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # Turns stored before this revision were answered when they were stored.
    op.execute("UPDATE conversation_turn SET answered_at = created_at")


def downgrade() -> None:
    op.drop_index(op.f("ix_removed_link_feedback_id"), table_name="removed_link")
    op.drop_table("removed_link")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("must_change_password")
    with op.batch_alter_table("conversation_turn") as batch:
        batch.drop_column("answered_at")
    with op.batch_alter_table("inbound_message") as batch:
        batch.drop_column("payload_removed_at")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("original_removed_at")
        batch.drop_column("erased_at")

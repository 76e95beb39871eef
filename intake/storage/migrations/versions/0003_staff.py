"""staff accounts, notes and status history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Re-tagging records "reprocess:<pipeline version>", which outgrew 64 characters.
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.String(length=64),
                              type_=sa.String(length=200), existing_nullable=True)
        batch_op.alter_column("retracted_by", existing_type=sa.String(length=64),
                              type_=sa.String(length=200), existing_nullable=True)

    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("api_token_hash", sa.String(length=64), nullable=True),
        sa.Column("api_token_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("api_token_hash", name=op.f("uq_staff_user_api_token_hash")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    op.create_table(
        "feedback_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_feedback_note_author_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_note_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_note")),
    )
    with op.batch_alter_table("feedback_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_note_feedback_id"), ["feedback_id"], unique=False)

    op.create_table(
        "feedback_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.String(length=16), nullable=False),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_status_change_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_status_change")),
    )
    with op.batch_alter_table("feedback_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_status_change_feedback_id"), ["feedback_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("feedback_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_status_change_feedback_id"))

    op.drop_table("feedback_status_change")
    with op.batch_alter_table("feedback_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_note_feedback_id"))

    op.drop_table("feedback_note")
    op.drop_table("staff_user")
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.String(length=200),
                              type_=sa.String(length=64), existing_nullable=True)
        batch_op.alter_column("retracted_by", existing_type=sa.String(length=200),
                              type_=sa.String(length=64), existing_nullable=True)

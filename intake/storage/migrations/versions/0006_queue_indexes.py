"""queue indexes: active tags by kind, value and item (the facet counts read only the index), active
tags by kind and item (the "has a tag of this kind" tests and the "none" counts), and feedback by
received_at and id (the queue's order)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = sa.text("retracted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("tag") as batch:
        batch.create_index("ix_tag_active_kind_value_feedback", ["kind", "value", "feedback_id"],
                           unique=False, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch.create_index("ix_tag_active_kind_feedback", ["kind", "feedback_id", "value"],
                           unique=False, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    with op.batch_alter_table("feedback") as batch:
        batch.create_index("ix_feedback_received_at_id", ["received_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index("ix_feedback_received_at_id")
    with op.batch_alter_table("tag") as batch:
        batch.drop_index("ix_tag_active_kind_feedback")
        batch.drop_index("ix_tag_active_kind_value_feedback")

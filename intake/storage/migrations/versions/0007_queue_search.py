"""queue counts and text search: active tags by item, kind and value (the counts of a filtered
queue read each matching item's tags with one index look-up, not a scan of every tag); trigram
indexes (pg_trgm) on feedback's redacted text and reference, so the queue's word filter
(ILIKE '%word%') reads an index on PostgreSQL instead of every item; SQLite keeps its plain scan
(the trigram indexes there are declared empty)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from intake.storage.trigrams import trigram_opclass

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = {"ix_feedback_redacted_text_trgm": "redacted_text", "ix_feedback_reference_trgm": "reference"}
NOWHERE = sa.text("0")
ACTIVE = sa.text("retracted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("tag") as batch:
        batch.create_index("ix_tag_active_feedback_kind_value", ["feedback_id", "kind", "value"],
                           unique=False, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    if op.get_bind().dialect.name == "postgresql":
        opclass = trigram_opclass(op.get_bind())
        for name, column in INDEXES.items():
            op.create_index(name, "feedback", [column], postgresql_using="gin",
                            postgresql_ops={column: opclass})
        return
    with op.batch_alter_table("feedback") as batch:
        for name, column in INDEXES.items():
            batch.create_index(name, [column], sqlite_where=NOWHERE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.drop_index(name, table_name="feedback")
    else:
        with op.batch_alter_table("feedback") as batch:
            for name in INDEXES:
                batch.drop_index(name)
    with op.batch_alter_table("tag") as batch:
        batch.drop_index("ix_tag_active_feedback_kind_value")

"""counting sample: partial indexes over one item in a hundred (intake.feedback_sample) and its
active tags, so the counts of a queue view too broad to count exactly are estimated from a
hundredth of the data

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from intake.feedback_sample import MODULUS, MULTIPLIER, in_sample
from intake.storage.trigrams import trigram_opclass

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ITEM_IN_SAMPLE = in_sample(sa.column("id"))
# A word filter over the sample reads the sample's own trigram index (PostgreSQL): 5 ms for
# "interpreter" in a million items' sample, against 22 ms testing each of its texts.
TEXT_INDEX = "ix_feedback_sample_text_trgm"
ACTIVE_TAG_IN_SAMPLE = sa.and_(sa.text("retracted_at IS NULL"), in_sample(sa.column("feedback_id")))
# PostgreSQL: statistics of the hashed ids, so the planner knows the sample is a hundredth of a
# table (without them it guesses a third, and joins every tag to ten thousand items). The link
# tables have no index for the sample (they are small) but their counts need the estimate too.
STATISTICS = {"st_feedback_sample": ("feedback", "id"), "st_tag_sample": ("tag", "feedback_id"),
              "st_tracker_link_sample": ("feedback_tracker_link", "feedback_id"),
              "st_consultation_link_sample": ("feedback_consultation_link", "feedback_id")}


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.create_index("ix_feedback_sample", ["received_at", "id", "status", "channel"],
                           unique=False, sqlite_where=ITEM_IN_SAMPLE, postgresql_where=ITEM_IN_SAMPLE)
        if op.get_bind().dialect.name != "postgresql":   # declared, empty: no trigrams here
            batch.create_index(TEXT_INDEX, ["redacted_text"], sqlite_where=sa.text("0"))
    with op.batch_alter_table("tag") as batch:
        batch.create_index("ix_tag_sample_active", ["kind", "value", "feedback_id"], unique=False,
                           sqlite_where=ACTIVE_TAG_IN_SAMPLE, postgresql_where=ACTIVE_TAG_IN_SAMPLE)
    if op.get_bind().dialect.name == "postgresql":
        opclass = trigram_opclass(op.get_bind())
        op.create_index(TEXT_INDEX, "feedback", ["redacted_text"], postgresql_using="gin",
                        postgresql_ops={"redacted_text": opclass}, postgresql_where=ITEM_IN_SAMPLE)
        for name, (table, column) in STATISTICS.items():
            op.execute(f"CREATE STATISTICS {name} ON (({column} * {MULTIPLIER}) % {MODULUS}) "
                       f"FROM {table}")
            op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in STATISTICS:
            op.execute(f"DROP STATISTICS IF EXISTS {name}")
        op.drop_index(TEXT_INDEX, table_name="feedback")
    else:
        with op.batch_alter_table("feedback") as batch:
            batch.drop_index(TEXT_INDEX)
    with op.batch_alter_table("tag") as batch:
        batch.drop_index("ix_tag_sample_active")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index("ix_feedback_sample")

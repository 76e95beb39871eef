"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "services",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "questions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sms_keyword", sa.String(length=32), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
        sa.UniqueConstraint("slug", name=op.f("uq_consultation_slug")),
        sa.UniqueConstraint("sms_keyword", name=op.f("uq_consultation_sms_keyword")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_status"), ["status"], unique=False)

    op.create_table(
        "contributor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column("preferred_language", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributor")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_contributor_pseudonym")),
    )
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("provider_message_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload_encrypted", sa.Text(), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint(
            "channel",
            "provider_message_id",
            name=op.f("uq_inbound_message_channel_provider_message_id"),
        ),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_message_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_message_sender_hash"), ["sender_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbound_message_state"), ["state"], unique=False)

    op.create_table(
        "tracker_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "services",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("rag_rating", sa.String(length=8), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("expected_impact", sa.Text(), nullable=False),
        sa.Column("you_said_we_did", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("completed_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_item")),
    )
    with op.batch_alter_table("tracker_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracker_item_status"), ["status"], unique=False)

    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("wording_version", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["contributor.id"],
            name=op.f("fk_consent_record_contributor_id_contributor"),
        ),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_message.id"],
            name=op.f("fk_consent_record_inbound_message_id_inbound_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_record_contributor_id"), ["contributor_id"], unique=False
        )

    op.create_table(
        "contact_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["contributor.id"],
            name=op.f("fk_contact_address_contributor_id_contributor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_address")),
        sa.UniqueConstraint(
            "channel", "address_hash", name=op.f("uq_contact_address_channel_address_hash")
        ),
    )
    with op.batch_alter_table("contact_address", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_address_contributor_id"), ["contributor_id"], unique=False
        )

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("contributor_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("redacted_text", sa.Text(), nullable=False),
        sa.Column("on_behalf_of", sa.Boolean(), nullable=True),
        sa.Column("fft_rating", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pipeline_version", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_feedback_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["contributor.id"],
            name=op.f("fk_feedback_contributor_id_contributor"),
        ),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_message.id"],
            name=op.f("fk_feedback_inbound_message_id_inbound_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("inbound_message_id", name=op.f("uq_feedback_inbound_message_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_feedback_reference")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_channel"), ["channel"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feedback_contributor_id"), ["contributor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedback_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_status"), ["status"], unique=False)

    op.create_table(
        "rag_rating_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracker_item_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tracker_item_id"],
            ["tracker_item.id"],
            name=op.f("fk_rag_rating_change_tracker_item_id_tracker_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rag_rating_change")),
    )
    with op.batch_alter_table("rag_rating_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rag_rating_change_tracker_item_id"), ["tracker_item_id"], unique=False
        )

    op.create_table(
        "recorded_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["contributor.id"],
            name=op.f("fk_recorded_need_contributor_id_contributor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_need")),
    )
    with op.batch_alter_table("recorded_need", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recorded_need_contributor_id"), ["contributor_id"], unique=False
        )

    op.create_table(
        "feedback_consultation_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("linked_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_feedback_consultation_link_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_consultation_link_feedback_id_feedback"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_consultation_link")),
        sa.UniqueConstraint(
            "feedback_id",
            "consultation_id",
            name=op.f("uq_feedback_consultation_link_feedback_id_consultation_id"),
        ),
    )
    with op.batch_alter_table("feedback_consultation_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_consultation_link_consultation_id"),
            ["consultation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_consultation_link_feedback_id"), ["feedback_id"], unique=False
        )

    op.create_table(
        "feedback_tracker_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("tracker_item_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("linked_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_tracker_link_feedback_id_feedback"),
        ),
        sa.ForeignKeyConstraint(
            ["tracker_item_id"],
            ["tracker_item.id"],
            name=op.f("fk_feedback_tracker_link_tracker_item_id_tracker_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_tracker_link")),
        sa.UniqueConstraint(
            "feedback_id",
            "tracker_item_id",
            name=op.f("uq_feedback_tracker_link_feedback_id_tracker_item_id"),
        ),
    )
    with op.batch_alter_table("feedback_tracker_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_tracker_link_feedback_id"), ["feedback_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_tracker_link_tracker_item_id"),
            ["tracker_item_id"],
            unique=False,
        )

    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intent_key", sa.String(length=200), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=True),
        sa.Column("contact_address_id", sa.Integer(), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_message_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_address_id"],
            ["contact_address.id"],
            name=op.f("fk_outbound_message_contact_address_id_contact_address"),
        ),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["contributor.id"],
            name=op.f("fk_outbound_message_contributor_id_contributor"),
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_outbound_message_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
        sa.UniqueConstraint("intent_key", name=op.f("uq_outbound_message_intent_key")),
    )
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbound_message_contributor_id"), ["contributor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbound_message_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbound_message_provider_message_id"),
            ["provider_message_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_outbound_message_status"), ["status"], unique=False)

    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("tagger_version", sa.String(length=32), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_tag_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
    )
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_feedback_id"), ["feedback_id"], unique=False)
        batch_op.create_index(
            "ix_tag_kind_value_active", ["kind", "value", "retracted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_kind_value_active")
        batch_op.drop_index(batch_op.f("ix_tag_feedback_id"))

    op.drop_table("tag")
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_message_status"))
        batch_op.drop_index(batch_op.f("ix_outbound_message_provider_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_message_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbound_message_contributor_id"))

    op.drop_table("outbound_message")
    with op.batch_alter_table("feedback_tracker_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_tracker_link_tracker_item_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_tracker_link_feedback_id"))

    op.drop_table("feedback_tracker_link")
    with op.batch_alter_table("feedback_consultation_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_consultation_link_feedback_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_consultation_link_consultation_id"))

    op.drop_table("feedback_consultation_link")
    with op.batch_alter_table("recorded_need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recorded_need_contributor_id"))

    op.drop_table("recorded_need")
    with op.batch_alter_table("rag_rating_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rag_rating_change_tracker_item_id"))

    op.drop_table("rag_rating_change")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_status"))
        batch_op.drop_index(batch_op.f("ix_feedback_received_at"))
        batch_op.drop_index(batch_op.f("ix_feedback_contributor_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_channel"))

    op.drop_table("feedback")
    with op.batch_alter_table("contact_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_address_contributor_id"))

    op.drop_table("contact_address")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_contributor_id"))

    op.drop_table("consent_record")
    with op.batch_alter_table("tracker_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracker_item_status"))

    op.drop_table("tracker_item")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_message_state"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_sender_hash"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_received_at"))

    op.drop_table("inbound_message")
    op.drop_table("contributor")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_status"))

    op.drop_table("consultation")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")

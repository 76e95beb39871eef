"""Erasure (UK GDPR Article 17): remove what identifies a person and what they said, and keep
only anonymous counts, so reports of past periods do not change.

What goes: contact addresses, consents and recorded needs, the person's record itself, the text
of their feedback (original and redacted) and of staff notes on it, raw messages as received,
chat answers and replies, the text of messages sent to them (unsent ones are cancelled), and the
keyed hashes that tied messages to them. What stays: each feedback item's tags (service,
language, need, theme), status, links and dates, unlinked from anyone, so the counts in the
governing body's reports stay true; and the audit log, which records that the erasure happened.
One figure does change: counts of distinct people (the report's reach table) lose the person,
because nothing is left that could tell their items belonged to one person.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from intake.privacy.people import Person, PersonKey, audit_subject
from intake.privacy.records import records_of
from intake.storage.models import (
    AuditEvent,
    ConversationStatus,
    FeedbackNote,
    InboundState,
    OutboundStatus,
)

ERASED = "[erased at the person's request]"
UNSENT = (OutboundStatus.QUEUED, OutboundStatus.SENDING)
UNFINISHED = (InboundState.RECEIVED, InboundState.QUEUED, InboundState.FAILED)


@dataclass
class ErasureReport:
    feedback_items: int = 0
    staff_notes: int = 0
    messages_received: int = 0
    conversations: int = 0
    messages_sent: int = 0
    unsent_cancelled: int = 0
    contact_addresses: int = 0
    consents: int = 0
    needs: int = 0
    person_record: int = 0

    def lines(self) -> list[str]:
        return [f"{name.replace('_', ' ')}: {count}" for name, count in asdict(self).items()]


def erase_person(session: Session, person: Person, key: PersonKey, *, actor: str,
                 now: datetime, reason: str = "") -> ErasureReport:
    """Carry out the erasure in the caller's transaction. Safe to repeat: a second run finds
    nothing left to erase and says so."""
    records = records_of(session, person)
    report = ErasureReport()
    for feedback in records.feedback:
        if feedback.erased_at is None:
            report.feedback_items += 1
        feedback.text = feedback.redacted_text = ERASED
        feedback.erased_at = feedback.erased_at or now
        feedback.contributor_id = None
        for tag in feedback.tags:
            tag.evidence = None  # a quoted phrase from the text
        for note in session.query(FeedbackNote).filter(FeedbackNote.feedback_id == feedback.id):
            if note.text != ERASED:
                note.text, report.staff_notes = ERASED, report.staff_notes + 1
    for message in records.inbound:
        if message.payload_encrypted or message.sender_hash:
            report.messages_received += 1
        message.payload_encrypted, message.sender_hash = "", None
        message.payload_removed_at = message.payload_removed_at or now
        if message.state in UNFINISHED:  # nothing left to reprocess
            message.state, message.error = InboundState.IGNORED, "erased at the person's request"
    for conversation in records.conversations:
        if conversation.state or not conversation.address_hash.startswith("erased-"):
            report.conversations += 1
        conversation.state, conversation.contributor_id = {}, None
        conversation.address_hash = f"erased-{conversation.id}"
        if conversation.status == ConversationStatus.OPEN:
            conversation.status, conversation.closed_at = ConversationStatus.STOPPED, now
    for turn in records.turns:
        turn.replies = []
    for outbound in records.outbound:
        if outbound.status in UNSENT:
            outbound.status, outbound.last_error = OutboundStatus.CANCELLED, "erased"
            report.unsent_cancelled += 1
        if outbound.body != ERASED:
            report.messages_sent += 1
        outbound.body, outbound.contributor_id, outbound.contact_address_id = ERASED, None, None
    session.flush()
    for rows, field in ((records.consents, "consents"), (records.needs, "needs"),
                        (records.addresses, "contact_addresses")):
        for row in rows:
            session.delete(row)
        setattr(report, field, len(rows))
    if records.contributor is not None:
        session.flush()
        session.delete(records.contributor)
        report.person_record = 1
    entity_type, entity_id = audit_subject(person, key)
    session.add(AuditEvent(
        occurred_at=now, actor=actor, action="erasure.completed",
        entity_type=entity_type, entity_id=entity_id,
        details={"found_by": key.described(), "reason": reason[:500], **asdict(report)}))
    return report

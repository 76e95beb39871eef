"""Retention (UK GDPR storage limitation): `intake purge` removes personal data whose period in
``[retention]`` (pipeline.toml) has ended, and keeps the anonymised feedback for reporting.

- Raw payloads (the provider's message, with the sender's address) of messages that were dealt
  with, and the answers and replies of finished chats, after ``raw_payload_days``. Messages still
  failed or unprocessed are kept, so `intake reprocess --failed` can finish them.
- The original text of feedback, replaced by the redacted text the queue shows, after
  ``original_text_days``.
- Contact addresses not used for ``contact_details_days``; when a person has none left, their
  consents and recorded needs too. Their pseudonym stays, so staff still see which items came
  from one person, but nobody can be contacted or identified through it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from intake.config.schema import RetentionSettings
from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    ContactAddress,
    Conversation,
    ConversationStatus,
    ConversationTurn,
    Feedback,
    InboundMessage,
    InboundState,
    OutboundMessage,
    OutboundStatus,
    RecordedNeed,
    Tag,
)

FINISHED = (InboundState.PROCESSED, InboundState.REJECTED, InboundState.IGNORED,
            InboundState.CONVERSATION)


@dataclass
class PurgeReport:
    raw_payloads: int = 0
    chat_answers: int = 0
    original_texts: int = 0
    contact_addresses: int = 0
    consents: int = 0
    needs: int = 0

    def lines(self) -> list[str]:
        return [f"{name.replace('_', ' ')}: {count}" for name, count in asdict(self).items()]

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


def purge(session: Session, settings: RetentionSettings, now: datetime, *, actor: str) -> PurgeReport:
    """Apply every retention period in the caller's transaction (and audit it)."""
    report = PurgeReport()
    raw_cutoff = now - timedelta(days=settings.raw_payload_days)
    report.raw_payloads = session.execute(
        update(InboundMessage).where(InboundMessage.received_at < raw_cutoff,
                                     InboundMessage.state.in_(FINISHED),
                                     InboundMessage.payload_encrypted != "")
        .values(payload_encrypted="", payload_removed_at=now)).rowcount
    finished_chats = list(session.scalars(select(Conversation).where(
        Conversation.status != ConversationStatus.OPEN, Conversation.closed_at < raw_cutoff)))
    for conversation in finished_chats:
        if conversation.state:
            conversation.state, report.chat_answers = {}, report.chat_answers + 1
    for turn in session.scalars(select(ConversationTurn).where(
            ConversationTurn.conversation_id.in_([c.id for c in finished_chats]))):
        turn.replies = []

    text_cutoff = now - timedelta(days=settings.original_text_days)
    due = list(session.scalars(select(Feedback.id).where(
        Feedback.received_at < text_cutoff, Feedback.original_removed_at.is_(None),
        Feedback.erased_at.is_(None))))
    for batch in range(0, len(due), 500):
        ids = due[batch:batch + 500]
        session.execute(update(Feedback).where(Feedback.id.in_(ids))
                        .values(text=Feedback.redacted_text, original_removed_at=now))
        # Taggers' evidence quotes the original text: it goes with it.
        session.execute(update(Tag).where(Tag.feedback_id.in_(ids)).values(evidence=None))
    report.original_texts = len(due)

    _purge_contact_details(session, now - timedelta(days=settings.contact_details_days), now, report)
    if report.total:
        session.add(AuditEvent(occurred_at=now, actor=actor, action="retention.purged",
                               entity_type="retention", entity_id=now.date().isoformat(),
                               details={**asdict(report), **settings.model_dump()}))
    return report


def _purge_contact_details(session: Session, cutoff: datetime, now: datetime,
                           report: PurgeReport) -> None:
    stale = list(session.scalars(select(ContactAddress).where(ContactAddress.last_seen_at < cutoff)))
    if not stale:
        return
    ids, hashes = [a.id for a in stale], [a.address_hash for a in stale]
    people = {a.contributor_id for a in stale}
    session.execute(update(OutboundMessage).where(
        OutboundMessage.contact_address_id.in_(ids),
        OutboundMessage.status.in_((OutboundStatus.QUEUED, OutboundStatus.SENDING)))
        .values(status=OutboundStatus.CANCELLED, last_error="contact details past retention"))
    session.execute(update(OutboundMessage).where(OutboundMessage.contact_address_id.in_(ids))
                    .values(contact_address_id=None))
    session.execute(update(InboundMessage).where(InboundMessage.sender_hash.in_(hashes))
                    .values(sender_hash=None))
    for conversation in session.scalars(select(Conversation).where(
            Conversation.address_hash.in_(hashes), Conversation.status != ConversationStatus.OPEN)):
        conversation.address_hash = f"purged-{conversation.id}"
    report.contact_addresses = session.execute(
        delete(ContactAddress).where(ContactAddress.id.in_(ids))).rowcount
    # Consents and needs go with a person's last address: without one they can never be used.
    unreachable = [person for person in people if not session.scalar(
        select(func.count()).select_from(ContactAddress).where(ContactAddress.contributor_id == person))]
    if unreachable:
        report.consents = session.execute(delete(ConsentRecord).where(
            ConsentRecord.contributor_id.in_(unreachable))).rowcount
        report.needs = session.execute(delete(RecordedNeed).where(
            RecordedNeed.contributor_id.in_(unreachable))).rowcount

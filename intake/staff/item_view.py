"""Everything the team knows about one feedback item, shaped for the item page.

The text is the redacted copy unless an admin asks for the original, which is audited
(``feedback.unredacted-viewed``). A chat's whole conversation is shown turn by turn: what the
person sent is kept only in the encrypted raw inbox, so it is decrypted here and redacted like
the item's text; our replies are stored as sent. Contact addresses are never shown: the
contributor is their pseudonym, with their consents, opt-outs and communication needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.config import Config
from intake.message import message_from_json
from intake.privacy.vault import ContactVault, VaultError
from intake.staff.labels import Labels
from intake.staff.permissions import Action, can
from intake.storage.models import (
    AuditEvent,
    Consultation,
    ContactAddress,
    Conversation,
    ConversationTurn,
    Feedback,
    FeedbackConsultationLink,
    FeedbackNote,
    FeedbackStatus,
    FeedbackStatusChange,
    FeedbackTrackerLink,
    InboundMessage,
    Tag,
    TrackerItem,
)
from intake.tag_history import HUMAN_SOURCES
from intake.taggers.redaction import redact

KIND_LABELS = {"service": "Service", "language": "Language", "need": "Communication need",
               "flag": "Safety flag", "theme": "Theme"}
KIND_ORDER = {"flag": 0, "service": 1, "language": 2, "need": 3, "theme": 4}
SOURCE_LABELS = {"auto": "Automatic", "staff": "Staff", "contributor": "The person told us"}


class NotAllowed(PermissionError):
    """The person's role does not allow this."""


@dataclass(frozen=True)
class TagView:
    id: int
    kind: str
    kind_label: str
    value: str
    label: str
    code: str | None
    source: str
    source_label: str
    confidence: int            # per cent
    tagger: str | None
    evidence: str | None
    created_at: datetime
    created_by: str | None
    retracted_at: datetime | None
    retracted_by: str | None

    @property
    def automatic(self) -> bool:
        return self.source not in HUMAN_SOURCES


@dataclass(frozen=True)
class LinkView:
    target: str                # "tracker" or "consultation"
    target_id: int
    title: str
    made_by: str               # a person ("staff:…") or "rule <id>"
    created_at: datetime


@dataclass(frozen=True)
class NoteView:
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class StatusChangeView:
    old: str
    new: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class TurnView:
    at: datetime
    said: str | None           # None when the stored message cannot be decrypted
    replies: tuple[str, ...]


@dataclass(frozen=True)
class ConversationView:
    status: str
    started_at: datetime
    closed_at: datetime | None
    turns: list[TurnView]


@dataclass(frozen=True)
class ConsentView:
    purpose: str
    granted: bool
    wording_version: str
    channel: str
    recorded_at: datetime


@dataclass(frozen=True)
class AddressView:
    channel: str
    opted_out_at: datetime | None


@dataclass(frozen=True)
class RecordedNeedView:
    value: str
    label: str
    code: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class ContributorView:
    pseudonym: str
    preferred_language: str | None
    addresses: list[AddressView]
    consents: list[ConsentView]
    needs: list[RecordedNeedView]      # current ones; withdrawn needs are left out
    other_items: int                   # their other feedback

    @property
    def opted_out(self) -> bool:
        return any(a.opted_out_at is not None for a in self.addresses)


@dataclass(frozen=True)
class ItemView:
    id: int
    reference: str
    channel: str
    received_at: datetime
    status: str
    fft_rating: str | None
    on_behalf_of: bool | None
    text: str
    original: bool                     # ``text`` is the unredacted original
    entry_point: str | None            # the consultation it came in through
    pinned: bool                       # open and safety-flagged
    tags: list[TagView]
    history: list[TagView]             # retracted tags, newest first
    links: list[LinkView]
    notes: list[NoteView]
    status_history: list[StatusChangeView]
    conversation: ConversationView | None
    contributor: ContributorView | None

    def tags_of(self, kind: str) -> list[TagView]:
        return [t for t in self.tags if t.kind == kind]

    @property
    def language(self) -> str | None:
        """The language the text is in, for the page's ``lang`` attribute."""
        return next((t.value for t in self.tags_of("language") if t.value != "und"), None)

    @property
    def flags(self) -> list[TagView]:
        return self.tags_of("flag")

    @property
    def automatic_tags(self) -> int:
        return sum(t.automatic for t in self.tags)


def _tag_view(tag: Tag, labels: Labels) -> TagView:
    return TagView(
        id=tag.id, kind=tag.kind, kind_label=KIND_LABELS.get(tag.kind, tag.kind), value=tag.value,
        label=labels.label(tag.kind, tag.value), code=tag.code, source=tag.source,
        source_label=SOURCE_LABELS.get(tag.source, tag.source),
        confidence=round(tag.confidence * 100), tagger=tag.tagger_version, evidence=tag.evidence,
        created_at=tag.created_at, created_by=tag.created_by, retracted_at=tag.retracted_at,
        retracted_by=tag.retracted_by)


def _links(session: Session, feedback: Feedback) -> list[LinkView]:
    links = [LinkView("tracker", item.id, item.title, link.linked_by or f"rule {link.rule_id}",
                      link.created_at)
             for link, item in session.execute(
                 select(FeedbackTrackerLink, TrackerItem)
                 .join(TrackerItem, TrackerItem.id == FeedbackTrackerLink.tracker_item_id)
                 .where(FeedbackTrackerLink.feedback_id == feedback.id)
                 .order_by(FeedbackTrackerLink.id))]
    links += [LinkView("consultation", c.id, c.title, link.linked_by or f"rule {link.rule_id}",
                       link.created_at)
              for link, c in session.execute(
                  select(FeedbackConsultationLink, Consultation)
                  .join(Consultation, Consultation.id == FeedbackConsultationLink.consultation_id)
                  .where(FeedbackConsultationLink.feedback_id == feedback.id)
                  .order_by(FeedbackConsultationLink.id))]
    return links


def _conversation(session: Session, vault: ContactVault, feedback: Feedback,
                  original: bool) -> ConversationView | None:
    conversation = session.scalar(select(Conversation).where(
        Conversation.feedback_id == feedback.id).order_by(Conversation.id))
    if conversation is None:
        return None
    turns = []
    for turn, inbound in session.execute(
            select(ConversationTurn, InboundMessage)
            .join(InboundMessage, InboundMessage.id == ConversationTurn.inbound_message_id)
            .where(ConversationTurn.conversation_id == conversation.id)
            .order_by(InboundMessage.received_at, ConversationTurn.id)):
        try:
            said: str | None = message_from_json(vault.decrypt(inbound.payload_encrypted)).text
        except VaultError:
            said = None
        if said is not None and not original:
            said = redact(said).text
        turns.append(TurnView(inbound.received_at, said, tuple(turn.replies)))
    return ConversationView(conversation.status, conversation.started_at, conversation.closed_at,
                            turns)


def _contributor(session: Session, labels: Labels, feedback: Feedback) -> ContributorView | None:
    person = feedback.contributor
    if person is None:
        return None
    addresses = session.scalars(select(ContactAddress).where(
        ContactAddress.contributor_id == person.id).order_by(ContactAddress.id))
    others = session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.contributor_id == person.id, Feedback.id != feedback.id)) or 0
    return ContributorView(
        pseudonym=person.pseudonym,
        preferred_language=(labels.language(person.preferred_language)
                            if person.preferred_language else None),
        addresses=[AddressView(a.channel, a.opted_out_at) for a in addresses],
        consents=[ConsentView(c.purpose, c.granted, c.wording_version, c.channel, c.recorded_at)
                  for c in person.consents],
        needs=[RecordedNeedView(n.need, labels.need(n.need), n.code, n.recorded_at)
               for n in person.needs if n.withdrawn_at is None],
        other_items=others)


def item_view(session: Session, config: Config, vault: ContactVault, feedback: Feedback,
              role: str, *, original: bool = False, actor: str | None = None,
              now: datetime | None = None) -> ItemView:
    """The item page's content. ``original`` (admins only) shows the unredacted text and
    conversation, and records that ``actor`` saw it; the caller commits."""
    if original:
        if not can(role, Action.SEE_UNREDACTED):
            raise NotAllowed("Only admins may see the original text.")
        if actor is None or now is None:
            raise ValueError("seeing the original text is audited: pass actor and now")
        session.add(AuditEvent(occurred_at=now, actor=actor, action="feedback.unredacted-viewed",
                               entity_type="feedback", entity_id=feedback.reference, details={}))
    labels = Labels(config)
    tags = sorted(feedback.tags, key=lambda t: (KIND_ORDER.get(t.kind, 9), t.id))
    active = [_tag_view(t, labels) for t in tags if t.retracted_at is None]
    retracted = [_tag_view(t, labels) for t in feedback.tags if t.retracted_at is not None]
    retracted.sort(key=lambda t: (t.retracted_at, t.id), reverse=True)
    entry = session.get(Consultation, feedback.consultation_id) if feedback.consultation_id else None
    notes = session.scalars(select(FeedbackNote).where(FeedbackNote.feedback_id == feedback.id)
                            .order_by(FeedbackNote.created_at.desc(), FeedbackNote.id.desc()))
    changes = session.scalars(select(FeedbackStatusChange).where(
        FeedbackStatusChange.feedback_id == feedback.id)
        .order_by(FeedbackStatusChange.changed_at.desc(), FeedbackStatusChange.id.desc()))
    return ItemView(
        id=feedback.id, reference=feedback.reference, channel=feedback.channel,
        received_at=feedback.received_at, status=feedback.status, fft_rating=feedback.fft_rating,
        on_behalf_of=feedback.on_behalf_of,
        text=feedback.text if original else feedback.redacted_text, original=original,
        entry_point=entry.title if entry else None,
        pinned=any(t.kind == "flag" for t in active) and feedback.status != FeedbackStatus.CLOSED,
        tags=active, history=retracted, links=_links(session, feedback),
        notes=[NoteView(n.author.display_name, n.text, n.created_at) for n in notes],
        status_history=[StatusChangeView(labels.status(c.old_status), labels.status(c.new_status),
                                         c.changed_by, c.changed_at) for c in changes],
        conversation=_conversation(session, vault, feedback, original),
        contributor=_contributor(session, labels, feedback))

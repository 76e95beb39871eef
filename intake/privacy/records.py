"""Which stored rows are about one person: the one definition that subject access, erasure and
their tests share, so the two can never disagree about what "everything held" means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from intake.privacy.people import Person
from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    ContactAddress,
    Contributor,
    Conversation,
    ConversationTurn,
    Feedback,
    InboundMessage,
    OutboundMessage,
    RecordedNeed,
)


@dataclass
class PersonRecords:
    contributor: Contributor | None
    addresses: list[ContactAddress]
    consents: list[ConsentRecord]
    needs: list[RecordedNeed]
    feedback: list[Feedback]
    inbound: list[InboundMessage]
    conversations: list[Conversation]
    turns: list[ConversationTurn]
    outbound: list[OutboundMessage]
    audit: list[AuditEvent]


def records_of(session: Session, person: Person) -> PersonRecords:
    contributor = session.get(Contributor, person.contributor_id) if person.contributor_id else None
    addresses = list(contributor.addresses) if contributor else []
    hashes = [a.address_hash for a in addresses]
    feedback = list(session.scalars(select(Feedback).where(Feedback.id.in_(person.feedback_ids))
                                    .order_by(Feedback.id)))
    inbound_ids = {f.inbound_message_id for f in feedback if f.inbound_message_id}
    inbound = list(session.scalars(select(InboundMessage).where(or_(
        InboundMessage.id.in_(inbound_ids),
        InboundMessage.sender_hash.in_(hashes) if hashes else False)).order_by(InboundMessage.id)))
    conversation_filters = [Conversation.feedback_id.in_(person.feedback_ids)]
    if contributor:
        conversation_filters += [Conversation.contributor_id == contributor.id,
                                 Conversation.address_hash.in_(hashes)]
    conversations = list(session.scalars(select(Conversation).where(or_(*conversation_filters))
                                         .order_by(Conversation.id)))
    turns = list(session.scalars(select(ConversationTurn).where(or_(
        ConversationTurn.conversation_id.in_([c.id for c in conversations]),
        ConversationTurn.inbound_message_id.in_([m.id for m in inbound])))
        .order_by(ConversationTurn.id)))
    outbound_filters = [OutboundMessage.feedback_id.in_(person.feedback_ids)]
    if contributor:
        outbound_filters += [OutboundMessage.contributor_id == contributor.id,
                             OutboundMessage.contact_address_id.in_([a.id for a in addresses])]
    outbound = list(session.scalars(select(OutboundMessage).where(or_(*outbound_filters))
                                    .order_by(OutboundMessage.id)))
    audit = list(session.scalars(select(AuditEvent).where(or_(*_audit_filters(
        contributor, addresses, feedback, conversations))).order_by(AuditEvent.id)))
    return PersonRecords(
        contributor=contributor, addresses=addresses,
        consents=list(contributor.consents) if contributor else [],
        needs=list(contributor.needs) if contributor else [],
        feedback=feedback, inbound=inbound, conversations=conversations, turns=turns,
        outbound=outbound, audit=audit)


def _audit_filters(contributor: Contributor | None, addresses: list[ContactAddress],
                   feedback: list[Feedback], conversations: list[Conversation]) -> list[Any]:
    """Events about the person's records (entity) or done by the person (actor)."""
    filters: list[Any] = [
        (AuditEvent.entity_type == "feedback") & AuditEvent.entity_id.in_([f.reference for f in feedback]),
        (AuditEvent.entity_type == "conversation")
        & AuditEvent.entity_id.in_([str(c.id) for c in conversations])]
    if contributor is not None:
        filters += [
            (AuditEvent.entity_type == "contributor") & (AuditEvent.entity_id == contributor.pseudonym),
            AuditEvent.actor == f"contributor:{contributor.pseudonym}"]
    if addresses:
        ids = [str(a.id) for a in addresses]
        filters += [(AuditEvent.entity_type == "contact_address") & AuditEvent.entity_id.in_(ids),
                    AuditEvent.actor.in_([f"contact:{i}" for i in ids])]
    return filters

"""A subject access request (UK GDPR Article 15): everything held about one person, as JSON they
can be given. Addresses and raw messages are decrypted for it; staff are named by role only,
because staff identities are not the requester's personal data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.privacy.people import Person, PersonKey
from intake.privacy.records import PersonRecords, records_of
from intake.privacy.vault import ContactVault
from intake.storage.models import (
    Consultation,
    FeedbackConsultationLink,
    FeedbackNote,
    FeedbackStatusChange,
    FeedbackTrackerLink,
    TrackerItem,
)

FORMAT_VERSION = 1


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def subject_access(session: Session, vault: ContactVault, person: Person, key: PersonKey,
                   now: datetime) -> dict[str, Any]:
    records = records_of(session, person)
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": now.isoformat(),
        "found_by": key.described(),
        "person": _person(records),
        "contact_addresses": [{
            "channel": a.channel, "address": vault.decrypt(a.address_encrypted),
            "first_seen": _when(a.created_at), "last_seen": _when(a.last_seen_at),
            "opted_out": _when(a.opted_out_at)} for a in records.addresses],
        "consents": [{
            "purpose": c.purpose, "granted": c.granted, "wording_version": c.wording_version,
            "channel": c.channel, "recorded_at": _when(c.recorded_at)} for c in records.consents],
        "communication_needs": [{
            "need": n.need, "snomed_ct": n.code, "source": n.source,
            "recorded_at": _when(n.recorded_at), "withdrawn_at": _when(n.withdrawn_at)}
            for n in records.needs],
        "feedback": [_feedback(session, f) for f in records.feedback],
        "messages_received": [{
            "channel": m.channel, "provider_message_id": m.provider_message_id,
            "received_at": _when(m.received_at), "state": m.state,
            "as_received": (json.loads(vault.decrypt(m.payload_encrypted))
                            if m.payload_encrypted else None),
            "removed_at": _when(m.payload_removed_at)} for m in records.inbound],
        "conversations": [{
            "channel": c.channel, "status": c.status, "started_at": _when(c.started_at),
            "closed_at": _when(c.closed_at), "answers": c.state} for c in records.conversations],
        "replies_in_conversations": [{"replies": t.replies, "at": _when(t.created_at)}
                                     for t in records.turns],
        "messages_sent": [{
            "channel": m.channel, "purpose": m.purpose, "language": m.language, "text": m.body,
            "status": m.status, "created_at": _when(m.created_at), "sent_at": _when(m.sent_at)}
            for m in records.outbound],
        "history": [{"at": _when(e.occurred_at), "action": e.action,
                     "by": _role_of(e.actor)} for e in records.audit],
    }


def _person(records: PersonRecords) -> dict[str, Any] | None:
    contributor = records.contributor
    if contributor is None:
        return None
    return {"pseudonym": contributor.pseudonym, "preferred_language": contributor.preferred_language,
            "first_contact": _when(contributor.created_at)}


def _feedback(session: Session, feedback: Any) -> dict[str, Any]:
    trackers = session.scalars(select(TrackerItem.title).join(
        FeedbackTrackerLink, FeedbackTrackerLink.tracker_item_id == TrackerItem.id)
        .where(FeedbackTrackerLink.feedback_id == feedback.id))
    consultations = session.scalars(select(Consultation.title).join(
        FeedbackConsultationLink, FeedbackConsultationLink.consultation_id == Consultation.id)
        .where(FeedbackConsultationLink.feedback_id == feedback.id))
    notes = session.scalars(select(FeedbackNote).where(FeedbackNote.feedback_id == feedback.id))
    changes = session.scalars(select(FeedbackStatusChange).where(
        FeedbackStatusChange.feedback_id == feedback.id).order_by(FeedbackStatusChange.id))
    return {
        "reference": feedback.reference, "channel": feedback.channel,
        "received_at": _when(feedback.received_at), "text": feedback.text,
        "text_as_shown_to_staff": feedback.redacted_text, "on_behalf_of": feedback.on_behalf_of,
        "rating": feedback.fft_rating, "status": feedback.status,
        "tags": [{"kind": t.kind, "value": t.value, "code": t.code, "source": t.source,
                  "confidence": round(t.confidence, 3), "added_at": _when(t.created_at),
                  "removed_at": _when(t.retracted_at)} for t in feedback.tags],
        "linked_to_tracker_items": list(trackers),
        "linked_to_consultations": list(consultations),
        "staff_notes": [{"at": _when(n.created_at), "text": n.text} for n in notes],
        "status_history": [{"at": _when(c.changed_at), "from": c.old_status, "to": c.new_status}
                           for c in changes],
        "erased_at": _when(feedback.erased_at),
    }


def _role_of(actor: str) -> str:
    """Audit actors name staff by email; the requester is told only that a member of staff (or
    the system, or they themselves) acted."""
    kind = actor.split(":", 1)[0]
    return {"staff": "a member of staff", "contributor": "you", "contact": "you"}.get(
        kind, "the system")

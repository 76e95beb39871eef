"""Made-up contributors for campaign tests: addresses, consents, languages and feedback, exactly
as a test needs them (no pipeline). Numbers are Ofcom's drama range, 07700 900xxx."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from intake.privacy.vault import ContactVault
from intake.references import new_pseudonym
from intake.storage.models import (
    ConsentRecord,
    Consultation,
    ContactAddress,
    Contributor,
    Feedback,
    FeedbackTrackerLink,
    Tag,
    TrackerItem,
)
from tests.conftest import FIXED_NOW
from tests.intake.staff.synthetic_feedback import reference

DAY = timedelta(days=1)


def phone(number: int) -> str:
    return f"+447700900{number:03d}"


def add_consultation(session: Session, slug: str = "gp-access", *, status: str = "open",
                     closes_at: datetime | None = FIXED_NOW + 20 * DAY,
                     sms_keyword: str | None = "GPACCESS") -> Consultation:
    consultation = Consultation(slug=slug, title="Getting a GP appointment", services=["gp"],
                                questions={"en": "How easy is it to see your GP?"},
                                sms_keyword=sms_keyword, status=status,
                                opens_at=FIXED_NOW - 10 * DAY, closes_at=closes_at)
    session.add(consultation)
    session.flush()
    return consultation


def add_tracker_item(session: Session, title: str = "Answering the phone at the surgery") -> TrackerItem:
    item = TrackerItem(title=title, services=["gp"], owner="Primary care team",
                       you_said_we_did="Two more people now answer the phones at 8am.")
    session.add(item)
    session.flush()
    return item


def add_person(session: Session, vault: ContactVault, number: int, *,
               consents: Iterable[bool] = (True,), channels: Iterable[str] = ("sms",),
               opted_out: Iterable[str] = (), preferred_language: str | None = None,
               feedback_language: str | None = None, services: Iterable[str] = ("gp",),
               tracker: TrackerItem | None = None, feedback_count: int = 1,
               received_at: datetime = FIXED_NOW - 5 * DAY) -> Contributor:
    """A person with an address on each channel (the last one most recently used), their consent
    answers in order, and ``feedback_count`` feedback items (linked to ``tracker`` if given)."""
    person = Contributor(pseudonym=new_pseudonym(), preferred_language=preferred_language,
                         created_at=received_at)
    session.add(person)
    for order, channel in enumerate(channels):
        address = phone(number) if channel == "sms" else (
            f"person{number}@example.org" if channel == "email" else str(5_000_000 + number))
        session.add(ContactAddress(
            contributor=person, channel=channel, address_hash=vault.lookup_hash(channel, address),
            address_encrypted=vault.encrypt(address), created_at=received_at,
            last_seen_at=received_at + order * timedelta(minutes=1),
            opted_out_at=FIXED_NOW - DAY if channel in opted_out else None))
    for order, granted in enumerate(consents):
        session.add(ConsentRecord(contributor=person, purpose="follow-up", granted=granted,
                                  wording_version="2026-11-en-1", channel="sms",
                                  recorded_at=received_at + order * timedelta(hours=1)))
    session.flush()
    for index in range(feedback_count):
        item = Feedback(reference=reference(number * 10 + index), contributor=person,
                        channel="sms", text="Synthetic feedback.", redacted_text="Synthetic feedback.",
                        received_at=received_at + index * timedelta(minutes=5),
                        pipeline_version="test")
        session.add(item)
        session.flush()
        for value in services:
            session.add(Tag(feedback=item, kind="service", value=value, confidence=1.0,
                            source="contributor"))
        if feedback_language:
            session.add(Tag(feedback=item, kind="language", value=feedback_language,
                            confidence=0.9, source="auto"))
        if tracker is not None:
            session.add(FeedbackTrackerLink(feedback_id=item.id, tracker_item_id=tracker.id,
                                            rule_id="test-rule"))
    session.flush()
    return person

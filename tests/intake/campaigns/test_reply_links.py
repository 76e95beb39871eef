"""Which consultations a person was recently invited to: only invitations that went out, within
the window before the moment, to them; and for a message not yet stored, found by its sender."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import count

import pytest
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.campaigns.reply_links import reply_moment
from intake.contributors import sender_address
from intake.message import IncomingMessage
from intake.privacy.vault import ContactVault
from intake.sender_history import sender_history
from intake.storage.models import (
    Campaign,
    CampaignKind,
    Contributor,
    OutboundMessage,
    OutboundStatus,
)
from tests.conftest import FIXED_NOW
from tests.intake.synthetic_people import DAY, add_consultation, add_person, add_tracker_item, phone

DAYS = 14
_keys = count(1)


def sent_message(session: Session, contributor_id: int, *, consultation_id: int | None = None,
                 tracker_item_id: int | None = None, sent_at: datetime | None = FIXED_NOW - DAY,
                 status: OutboundStatus = OutboundStatus.SENT,
                 purpose: CampaignKind = CampaignKind.INVITATION) -> None:
    campaign = Campaign(kind=purpose.value, consultation_id=consultation_id,
                        tracker_item_id=tracker_item_id, created_by="staff:test@example.test",
                        created_at=FIXED_NOW - 30 * DAY)
    session.add(campaign)
    session.flush()
    session.add(OutboundMessage(
        intent_key=f"test:{next(_keys)}", contributor_id=contributor_id, campaign_id=campaign.id,
        channel="sms", purpose=purpose.value, body="Synthetic invitation. Reply STOP.",
        status=status, sent_at=sent_at, next_attempt_at=FIXED_NOW - 30 * DAY,
        created_at=FIXED_NOW - 30 * DAY, updated_at=FIXED_NOW - 30 * DAY))
    session.flush()


def recent_invitations(session: Session, contributor_id: int | None, moment: datetime,
                       days: int) -> tuple[int, ...]:
    """The consultations ``sender_history`` finds this person was invited to."""
    contributor = session.get(Contributor, contributor_id) if contributor_id else None
    return sender_history(session, contributor, moment, days)[1]


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


def test_nobody_known_was_invited_to_nothing(session: Session) -> None:
    assert recent_invitations(session, None, FIXED_NOW, DAYS) == ()


def test_only_invitations_that_went_out_count(runtime: Runtime, session: Session) -> None:
    people = {status: add_person(session, runtime.intake.vault, number).id
              for number, status in enumerate(OutboundStatus, start=1)}
    consultation = add_consultation(session)
    for status, person in people.items():
        sent_message(session, person, consultation_id=consultation.id, status=status)
    counted = {status for status, person in people.items()
               if recent_invitations(session, person, FIXED_NOW, DAYS) == (consultation.id,)}
    assert counted == {OutboundStatus.SENT, OutboundStatus.DELIVERED}


def test_only_invitations_sent_in_the_days_before_count(runtime: Runtime, session: Session) -> None:
    person = add_person(session, runtime.intake.vault, 1)
    moments: dict[str, datetime | None] = {
        "window-start": FIXED_NOW - DAYS * DAY,                          # counts
        "too-early": FIXED_NOW - DAYS * DAY - timedelta(seconds=1),
        "at-the-moment": FIXED_NOW,                                      # counts
        "after": FIXED_NOW + timedelta(seconds=1),
        "never": None,
    }
    ids = {}
    for slug, sent_at in moments.items():
        ids[slug] = add_consultation(session, slug, sms_keyword=slug.upper()).id
        sent_message(session, person.id, consultation_id=ids[slug], sent_at=sent_at)
    assert recent_invitations(session, person.id, FIXED_NOW, DAYS) == tuple(sorted(
        (ids["window-start"], ids["at-the-moment"])))
    # A longer window takes the early one in too.
    assert ids["too-early"] in recent_invitations(session, person.id, FIXED_NOW, DAYS + 1)


def test_each_consultation_once_in_id_order(runtime: Runtime, session: Session) -> None:
    person = add_person(session, runtime.intake.vault, 1)
    first = add_consultation(session, "first", sms_keyword="FIRST")
    second = add_consultation(session, "second", sms_keyword="SECOND")
    sent_message(session, person.id, consultation_id=second.id, sent_at=FIXED_NOW - DAY)
    sent_message(session, person.id, consultation_id=first.id, sent_at=FIXED_NOW - 2 * DAY)
    sent_message(session, person.id, consultation_id=second.id, sent_at=FIXED_NOW - 3 * DAY)
    assert recent_invitations(session, person.id, FIXED_NOW, DAYS) == (first.id, second.id)


def test_other_peoples_invitations_and_other_messages_do_not_count(
        runtime: Runtime, session: Session) -> None:
    person = add_person(session, runtime.intake.vault, 1)
    other = add_person(session, runtime.intake.vault, 2)
    consultation = add_consultation(session)
    item = add_tracker_item(session)
    sent_message(session, other.id, consultation_id=consultation.id)
    sent_message(session, person.id, tracker_item_id=item.id,
                 purpose=CampaignKind.YOU_SAID_WE_DID)
    assert recent_invitations(session, person.id, FIXED_NOW, DAYS) == ()
    assert recent_invitations(session, other.id, FIXED_NOW, DAYS) == (consultation.id,)


def message(sender: str | None, received_at: datetime | None = None) -> IncomingMessage:
    return IncomingMessage("sms", "SM-test", "The surgery phone line is always busy.",
                           sender=sender, received_at=received_at)


def invitations_of(session: Session, vault: ContactVault, incoming: IncomingMessage,
                   now: datetime) -> tuple[int, ...]:
    """The invitations of the message's sender, found by address and placed in time as
    ``Intake`` finds and places them."""
    sender = sender_address(session, vault, incoming)
    return sender_history(session, sender.contributor if sender else None,
                          reply_moment(incoming, now), DAYS)[1]


def test_a_message_is_matched_to_its_sender_by_address(runtime: Runtime, session: Session) -> None:
    person = add_person(session, runtime.intake.vault, 1)
    consultation = add_consultation(session)
    sent_message(session, person.id, consultation_id=consultation.id)
    vault = runtime.intake.vault
    assert invitations_of(session, vault, message(phone(1)), FIXED_NOW) == (consultation.id,)
    assert invitations_of(session, vault, message(phone(2)), FIXED_NOW) == ()
    assert invitations_of(session, vault, message(None), FIXED_NOW) == ()
    assert invitations_of(session, vault, message(""), FIXED_NOW) == ()


def test_a_message_is_placed_in_time_by_when_it_arrived_else_now(
        runtime: Runtime, session: Session) -> None:
    person = add_person(session, runtime.intake.vault, 1)
    consultation = add_consultation(session)
    sent_message(session, person.id, consultation_id=consultation.id, sent_at=FIXED_NOW - DAY)
    vault, late = runtime.intake.vault, FIXED_NOW + DAYS * DAY
    # It arrived the day after the invitation, though it is read much later.
    assert invitations_of(session, vault, message(phone(1), FIXED_NOW), late) == (
        consultation.id,)
    # No arrival time: read now, which is too late.
    assert invitations_of(session, vault, message(phone(1)), late) == ()

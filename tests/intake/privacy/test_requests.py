"""Erasure requests waiting for an admin: asked for in a chat (/forget) or recorded by staff,
listed oldest first until the erasure is carried out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.chat import ChatService
from intake.bootstrap import Runtime
from intake.privacy.erasure import erase_person
from intake.privacy.people import find_person, parse_key
from intake.privacy.requests import ErasureRequest, pending_requests, record_request
from intake.storage.models import AuditEvent, ContactAddress
from tests.conftest import FIXED_NOW
from tests.intake.privacy.people_fixtures import SCRIPT
from tests.intake.synthetic_people import add_person, phone

DAY = timedelta(days=1)
TELEGRAM_ID = str(5_000_000 + 312)


def people(runtime: Runtime) -> tuple[str, str, str]:
    """Three people: by SMS with two items, by Telegram with one, and one who never asked."""
    with runtime.sessions.begin() as session:
        texter = add_person(session, runtime.intake.vault, 311, feedback_count=2)
        chatter = add_person(session, runtime.intake.vault, 312, channels=("telegram",))
        quiet = add_person(session, runtime.intake.vault, 313)
        return texter.pseudonym, chatter.pseudonym, quiet.pseudonym


def waiting(runtime: Runtime) -> list[ErasureRequest]:
    with runtime.sessions() as session:
        return pending_requests(session)


def ask_at(runtime: Runtime, moment: datetime, channel: str, sender: str) -> None:
    runtime.intake.clock = lambda: moment
    ChatService(runtime, SCRIPT).request_erasure(channel, sender)


def test_forget_requests_wait_oldest_first_until_carried_out(runtime: Runtime) -> None:
    texter, chatter, _ = people(runtime)
    assert waiting(runtime) == []
    ask_at(runtime, FIXED_NOW - DAY, "sms", phone(311))
    ask_at(runtime, FIXED_NOW - 2 * DAY, "telegram", TELEGRAM_ID)
    ask_at(runtime, FIXED_NOW, "sms", phone(311))  # asked again: still one request, the first
    assert waiting(runtime) == [
        ErasureRequest(chatter, FIXED_NOW - 2 * DAY, "telegram", 1),
        ErasureRequest(texter, FIXED_NOW - DAY, "sms", 2)]
    with runtime.sessions() as session:
        # Asking stops all contact at once, before any admin acts.
        assert all(a.opted_out_at is not None for a in session.scalars(
            select(ContactAddress).where(ContactAddress.channel == "telegram")))
        assert len(session.scalars(select(AuditEvent).where(
            AuditEvent.action == "erasure.requested")).all()) == 3

    key = parse_key("pseudonym", texter)
    with runtime.sessions.begin() as session:
        person = find_person(session, runtime.intake.vault, key)
        erase_person(session, person, key, actor="cli:admin", now=FIXED_NOW)
    assert [r.pseudonym for r in waiting(runtime)] == [chatter]


def test_a_request_made_another_way_is_recorded_by_staff(runtime: Runtime) -> None:
    _, _, quiet = people(runtime)
    with runtime.sessions.begin() as session:
        record_request(session, quiet, actor="staff:dpo@example.org", channel="letter",
                       now=FIXED_NOW - 3 * DAY)
        record_request(session, "P-7K3M9Q", actor="staff:dpo@example.org", channel="phone",
                       now=FIXED_NOW - 4 * DAY)  # nobody has that pseudonym: nothing to do
    assert waiting(runtime) == [ErasureRequest(quiet, FIXED_NOW - 3 * DAY, "letter", 1)]
    with runtime.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.entity_id == quiet))
        assert event is not None
        assert (event.action, event.actor, event.entity_type, event.details) == (
            "erasure.requested", "staff:dpo@example.org", "contributor", {"channel": "letter"})

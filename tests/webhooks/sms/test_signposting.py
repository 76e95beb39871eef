"""Signposting over SMS, end to end: a signed Twilio request whose text suggests a risk gets the
signposting as its own first <Message>, one GSM-7 segment in English, then the next question."""

from __future__ import annotations

from sqlalchemy import select

from bot.script import load_script
from intake.signposting import SIGNPOSTED
from intake.storage.models import AuditEvent
from webhooks.sms.segments import count_segments

from .conftest import PATIENT, SmsChannel

SCRIPT = load_script()


def test_a_risky_text_is_answered_with_signposting_first(sms: SmsChannel) -> None:
    status, messages = sms.text(PATIENT, "My dad can't breathe and the ambulance hasn't come")
    assert status == 200
    assert messages[0] == SCRIPT.prompt("en", "signposting")
    assert len(messages) == 2 and messages[1] != messages[0]
    cost = count_segments(messages[0])
    assert (cost.encoding, cost.segments) == ("GSM-7", 1)
    with sms.runtime.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == SIGNPOSTED)).all()
    assert event.details["flags"] == ["emergency-now"]
    assert event.details["channel"] == "sms"


def test_an_ordinary_text_gets_no_signposting(sms: SmsChannel) -> None:
    _, messages = sms.text(PATIENT, "The pharmacy was closed when it said it would be open")
    assert SCRIPT.prompt("en", "signposting") not in messages
    assert len(messages) == 1


def test_an_urdu_text_is_signposted_in_urdu_within_three_segments(sms: SmsChannel) -> None:
    _, messages = sms.text(PATIENT, "میرا شوہر مجھے مارتا ہے اور میں ڈرتی ہوں")
    assert messages[0] == SCRIPT.prompt("ur", "signposting")
    assert count_segments(messages[0]).segments <= 3

"""Replies reach only people who can be contacted, once per intent, and are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.message import Answers, Consent, IncomingMessage
from intake.replies import CannotReply, queue_reply
from intake.storage.models import AuditEvent, ContactAddress, Feedback, OutboundMessage
from tests.conftest import FIXED_NOW


def stored(runtime: Runtime, *, sender: str | None = "+447700900321", **answers: object) -> str:
    result = runtime.intake.ingest(IncomingMessage(
        "sms", "SM-reply", "My GP was great", sender=sender,
        answers=Answers(**answers)))  # type: ignore[arg-type]
    assert result.reference is not None
    return result.reference


def reply(runtime: Runtime, reference: str, body: str = "Thank you, we have passed this on.") -> int:
    with runtime.sessions.begin() as session:
        item = session.scalar(select(Feedback).where(Feedback.reference == reference))
        assert item is not None
        return queue_reply(session, item, body, "staff:1", FIXED_NOW).id


GRANTED = (Consent("follow-up", True, "v1"),)


def test_a_reply_is_queued_to_the_persons_own_channel_once(runtime: Runtime) -> None:
    reference = stored(runtime, consents=GRANTED)
    first, again = reply(runtime, reference), reply(runtime, reference)
    assert first == again
    with runtime.sessions() as session:
        message = session.get_one(OutboundMessage, first)
        assert (message.channel, message.status, message.purpose) == ("sms", "queued", "reply")
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
        assert session.scalar(select(AuditEvent.actor).where(
            AuditEvent.action == "feedback.reply-queued")) == "staff:1"


def test_no_reply_to_someone_who_opted_out(runtime: Runtime) -> None:
    reference = stored(runtime)
    with runtime.sessions.begin() as session:
        session.scalars(select(ContactAddress)).one().opted_out_at = FIXED_NOW - timedelta(days=1)
    with pytest.raises(CannotReply, match="opted out"):
        reply(runtime, reference)


def test_no_reply_to_someone_who_declined_contact(runtime: Runtime) -> None:
    reference = stored(runtime, consents=(Consent("follow-up", False, "v1"),))
    with pytest.raises(CannotReply, match="do not want to be contacted"):
        reply(runtime, reference)


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_reply_is_refused(runtime: Runtime, body: str) -> None:
    with pytest.raises(CannotReply, match="empty"):
        reply(runtime, stored(runtime), body)


def test_anonymous_feedback_cannot_be_replied_to(runtime: Runtime) -> None:
    with pytest.raises(CannotReply, match="without a contact address"):
        reply(runtime, stored(runtime, sender=None))


def test_no_reply_when_consent_was_never_asked(runtime: Runtime) -> None:
    reference = stored(runtime)
    with pytest.raises(CannotReply, match="never asked"):
        reply(runtime, reference)

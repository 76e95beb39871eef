"""The shared signposting records: which flags a stored item carries, and the audit event that says
the person was shown where to get urgent help (flags only, never their words)."""

from __future__ import annotations

from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.message import IncomingMessage
from intake.signposting import (
    ACTOR,
    SIGNPOSTED,
    feedback_flags,
    record_signposting,
    was_signposted,
)
from intake.storage.models import AuditEvent, Tag
from tests.conftest import FIXED_NOW

RISKY = "He hits me and I want to die"


def stored(runtime: Runtime, text: str, pid: str) -> int:
    result = runtime.intake.ingest(IncomingMessage("web", pid, text))
    assert result.feedback_id is not None
    return result.feedback_id


def test_the_flags_of_a_stored_item(runtime: Runtime) -> None:
    risky = stored(runtime, RISKY, "w-1")
    plain = stored(runtime, "The pharmacy was closed again", "w-2")
    with runtime.sessions() as session:
        assert feedback_flags(session, risky) == ("abuse-neglect", "suicide-self-harm")
        assert feedback_flags(session, plain) == ()


def test_a_retracted_flag_no_longer_counts(runtime: Runtime) -> None:
    risky = stored(runtime, RISKY, "w-1")
    with runtime.sessions.begin() as session:
        tag = session.scalar(select(Tag).where(Tag.feedback_id == risky,
                                               Tag.value == "abuse-neglect"))
        assert tag is not None
        tag.retracted_at, tag.retracted_by = FIXED_NOW, "staff:test"
    with runtime.sessions() as session:
        assert feedback_flags(session, risky) == ("suicide-self-harm",)


def test_signposting_is_audited_with_flags_and_never_the_words(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        assert not was_signposted(session, "feedback", "FB-TEST1")
        record_signposting(session, entity_type="feedback", entity_id="FB-TEST1",
                           flags=["suicide-self-harm", "abuse-neglect", "abuse-neglect"],
                           channel="web", language="ur", at=FIXED_NOW, inbound_id=7)
    with runtime.sessions() as session:
        assert was_signposted(session, "feedback", "FB-TEST1")
        assert not was_signposted(session, "feedback", "FB-OTHER")
        assert not was_signposted(session, "conversation", "FB-TEST1")
        [event] = session.scalars(select(AuditEvent)).all()
    assert (event.actor, event.action, event.entity_type, event.entity_id) == (
        ACTOR, SIGNPOSTED, "feedback", "FB-TEST1")
    assert event.occurred_at.replace(tzinfo=None) == FIXED_NOW.replace(tzinfo=None)
    assert event.details == {"flags": ["abuse-neglect", "suicide-self-harm"], "channel": "web",
                             "language": "ur", "inbound_id": 7}

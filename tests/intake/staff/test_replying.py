"""Replies from the workspace go only to people who agreed and did not opt out, in their
language, with their communication needs in front of the person writing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.replies import CannotReply
from intake.staff.replying import reply_options, reply_refusal, send_reply
from intake.storage.models import ContactAddress, OutboundMessage
from tests.conftest import FIXED_NOW
from tests.intake.staff.ingested import ingest, load

SENDER = "+447700900888"


def refusal(runtime: Runtime, reference: str) -> str | None:
    with runtime.sessions() as session:
        return reply_refusal(session, load(session, reference))


def reply(runtime: Runtime, reference: str, language: str = "en") -> OutboundMessage:
    with runtime.sessions.begin() as session:
        return send_reply(session, runtime.config, load(session, reference),
                          "Thank you, we have passed this on.", language, "staff:r@example.org",
                          FIXED_NOW)


def outbound(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboundMessage)) or 0


def test_someone_who_agreed_gets_the_reply_in_the_chosen_language(runtime: Runtime) -> None:
    reference = ingest(runtime, sender=SENDER, follow_up=True)
    assert refusal(runtime, reference) is None
    message = reply(runtime, reference, "pl")
    assert (message.channel, message.language, message.purpose) == ("sms", "pl", "reply")


@pytest.mark.parametrize(("follow_up", "sender", "words"), [
    (None, SENDER, "not asked"),
    (False, SENDER, "do not want to be contacted"),
    (True, None, "without contact details"),
])
def test_no_reply_without_consent_or_contact_details(
        runtime: Runtime, follow_up: bool | None, sender: str | None, words: str) -> None:
    reference = ingest(runtime, sender=sender, follow_up=follow_up)
    assert words in (refusal(runtime, reference) or "")
    with pytest.raises(CannotReply, match=words):
        reply(runtime, reference)
    assert outbound(runtime) == 0


def test_no_reply_after_opting_out_even_with_consent(runtime: Runtime) -> None:
    reference = ingest(runtime, sender=SENDER, follow_up=True)
    with runtime.sessions.begin() as session:
        session.scalars(select(ContactAddress)).one().opted_out_at = FIXED_NOW
    assert "opted out" in (refusal(runtime, reference) or "")
    with pytest.raises(CannotReply):
        reply(runtime, reference)
    assert outbound(runtime) == 0


def test_needs_come_with_what_to_do_and_their_language_is_chosen(runtime: Runtime) -> None:
    reference = ingest(runtime, "My GP letters should be in easy read", sender=SENDER,
                       follow_up=True, needs=("interpreter:ur", "large-print"))
    with runtime.sessions() as session:
        options = reply_options(session, runtime.config, load(session, reference))
    assert options.allowed and options.channel == "sms" and options.language == "ur"
    assert options.summary == ("Needs: Spoken-language interpreter (Urdu), Large print, Easy Read")
    advice = {n.value: (n.told_us, n.advice) for n in options.needs}
    assert advice["easy-read"][0] is False and options.easy_read     # said in the text only
    assert "in Urdu" in advice["interpreter:ur"][1]
    assert "cannot be in this format" in advice["large-print"][1]


def test_their_own_language_wins_over_the_language_of_the_text(runtime: Runtime) -> None:
    english = ingest(runtime, "The pharmacy was closed again", sender=SENDER)
    with runtime.sessions() as session:
        assert reply_options(session, runtime.config, load(session, english)).language == "en"
    chose = ingest(runtime, "The pharmacy was closed again", sender="+447700900999",
                   language="pl")
    with runtime.sessions() as session:
        assert reply_options(session, runtime.config, load(session, chose)).language == "pl"

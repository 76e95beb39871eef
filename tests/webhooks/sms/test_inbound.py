"""`POST /sms/twilio` end to end: signed Twilio requests into the real app, real database, TwiML out."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from intake.contributors import find_address
from intake.message import message_from_json
from intake.outbox import OutboxWorker, enqueue
from intake.storage.models import (
    AuditEvent,
    ContactAddress,
    Conversation,
    ConversationStatus,
    ConversationTurn,
    Feedback,
    InboundMessage,
    InboundState,
    OutboundMessage,
    OutboundStatus,
)
from tests.conftest import FIXED_NOW

from .conftest import (
    INBOUND_URL,
    PATIENT,
    PUBLIC_BASE_URL,
    SmsChannel,
    build_channel,
    new_sid,
    sign,
    twiml_messages,
)

REFERENCE = re.compile(r"\bFB-[A-Z0-9]{4,}\b")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


class RecordingSender:
    channel = "sms"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, address: str, body: str) -> str:
        self.sent.append((address, body))
        return f"SM{len(self.sent):032d}"


def inbound_row(sms: SmsChannel, sid: str) -> InboundMessage:
    with sms.runtime.sessions() as session:
        row = session.scalar(select(InboundMessage).where(InboundMessage.provider_message_id == sid))
        assert row is not None, f"no inbound message {sid}"
        return row


def texts_received(sms: SmsChannel) -> int:
    """Inbound rows for texts from Twilio (a finished conversation adds one row of its own)."""
    with sms.runtime.sessions() as session:
        return len(session.scalars(select(InboundMessage.id).where(
            InboundMessage.provider_message_id.like("SM%"))).all())


def only_feedback(sms: SmsChannel) -> tuple[Feedback, set[tuple[str, str]]]:
    with sms.runtime.sessions() as session:
        [feedback] = session.scalars(select(Feedback)).all()
        return feedback, {(tag.kind, tag.value) for tag in feedback.tags}


def patient_address(sms: SmsChannel, number: str = PATIENT) -> ContactAddress:
    with sms.runtime.sessions() as session:
        address = find_address(session, sms.runtime.intake.vault, "sms", number)
        assert address is not None
        return address


# -- conversations ------------------------------------------------------------------------------

def test_a_five_message_conversation_becomes_one_tagged_feedback_item(sms: SmsChannel) -> None:
    replies = [sms.text(PATIENT, body) for body in (
        "My GP never answers the phone and I waited three weeks", "YES", "4", "3", "NO")]

    assert [status for status, _ in replies] == [200] * 5
    assert replies[0][1] == ["Is this about GP? Reply YES or NO."]
    assert replies[1][1][0].startswith("Overall, how was your experience? 1 Very good")
    assert replies[2][1][0].startswith("Do you need support to communicate with us?")
    assert replies[3][1][0].startswith("May we text you later")
    [last] = replies[4][1]
    feedback, tags = only_feedback(sms)
    assert REFERENCE.findall(last) == [feedback.reference]
    assert last == (f"Thank you. Your reference is {feedback.reference}. "
                    "Reply HELP for help or STOP to opt out.")
    assert feedback.channel == "sms"
    assert feedback.text == "My GP never answers the phone and I waited three weeks"
    assert feedback.fft_rating == "poor"
    assert {("service", "gp"), ("language", "en"), ("need", "easy-read")} <= tags
    assert texts_received(sms) == 5
    with sms.runtime.sessions() as session:
        [conversation] = session.scalars(select(Conversation)).all()
        assert conversation.status == ConversationStatus.COMPLETED
        assert conversation.feedback_id == feedback.id


def test_a_single_unprompted_message_is_stored_and_answered_with_a_confirmation(sms: SmsChannel) -> None:
    sid = new_sid()
    status, replies = sms.text(PATIENT, "The GP receptionist was rude to my dad", sid=sid)

    assert status == 200
    assert replies == ["Is this about GP? Reply YES or NO."]
    row = inbound_row(sms, sid)
    assert row.state == InboundState.CONVERSATION
    stored = message_from_json(sms.runtime.intake.vault.decrypt(row.payload_encrypted))
    assert stored.text == "The GP receptionist was rude to my dad"
    assert stored.sender == PATIENT
    assert PATIENT not in row.payload_encrypted  # encrypted at rest
    assert sms.count(Feedback) == 0  # the conversation is still open


def test_an_urdu_conversation_is_answered_in_urdu_and_tagged_ur(sms: SmsChannel) -> None:
    script = sms.chat.script
    first = sms.text(PATIENT, "میرے والد کو جی پی کے پاس ترجمان نہیں ملا اور ڈاکٹر نے کچھ نہیں سمجھایا")
    rest = [sms.text(PATIENT, body) for body in ("ہاں", "۲", "۱", "ہاں")]

    conversation = [first, *rest]
    assert [status for status, _ in conversation] == [200] * 5
    texts = [reply for _, replies in conversation for reply in replies]
    assert len(texts) == 5
    assert all(ARABIC_SCRIPT.search(text) for text in texts)
    assert texts[0].startswith("کیا یہ ") and texts[0].endswith(script.prompt("ur", "switch_hint"))
    assert texts[1] == script.prompt("ur", "ask_rating", menu=script.menu(
        "ur", "rating", script.conversation.steps[2].options))
    feedback, tags = only_feedback(sms)
    assert texts[-1] == script.prompt("ur", "thanks", reference=feedback.reference)
    assert ("language", "ur") in tags
    assert ("language", "en") not in tags
    assert feedback.fft_rating == "good"  # the Urdu digit ۲ read as 2


# -- signatures ---------------------------------------------------------------------------------

def test_a_forged_signature_is_refused_and_nothing_is_stored(sms: SmsChannel) -> None:
    params = sms.payload(PATIENT, "My GP never answers the phone")
    response = sms.post("/sms/twilio", params, signature=sign(params, token="not-the-token"))
    assert response.status_code == 403
    assert sms.count(InboundMessage) == 0
    assert sms.count(ContactAddress) == 0


def test_a_request_without_a_signature_is_refused_and_nothing_is_stored(sms: SmsChannel) -> None:
    response = sms.client.post("/sms/twilio", data=sms.payload(PATIENT, "My GP never answers"))
    assert response.status_code == 403
    assert sms.count(InboundMessage) == 0


def test_a_signature_for_another_url_is_refused(sms: SmsChannel) -> None:
    params = sms.payload(PATIENT, "My GP never answers the phone")
    for url in ("http://localhost/sms/twilio",            # what the app itself sees
                f"{PUBLIC_BASE_URL}/sms/twilio/status",   # the other webhook
                "https://attacker.example.test/sms/twilio"):
        response = sms.post("/sms/twilio", params, signature=sign(params, url))
        assert response.status_code == 403, url
    assert sms.count(InboundMessage) == 0


def test_a_valid_signature_over_a_tampered_body_is_refused(sms: SmsChannel) -> None:
    params = sms.payload(PATIENT, "The pharmacy was helpful")
    signature = sign(params)
    tampered = {**params, "Body": "The pharmacy was unhelpful"}
    assert sms.post("/sms/twilio", tampered, signature=signature).status_code == 403
    assert sms.post("/sms/twilio", {**params, "From": "+447700900999"},
                    signature=signature).status_code == 403
    assert sms.count(InboundMessage) == 0
    # The untampered request with the same signature is accepted: the refusal was the tampering.
    assert sms.post("/sms/twilio", params, signature=signature).status_code == 200
    assert sms.count(InboundMessage) == 1


def test_behind_a_reverse_proxy_the_url_is_rebuilt_from_public_base_url(sms: SmsChannel) -> None:
    # Twilio signed https://intake.example.test/...; the app is reached as http://localhost:8000.
    params = sms.payload(PATIENT, "The GP receptionist was rude to my dad")
    response = sms.post("/sms/twilio", params, signature=sign(params, INBOUND_URL),
                        base_url="http://localhost:8000",
                        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                                 "X-Forwarded-Host": "intake.example.test"})
    assert response.status_code == 200
    assert twiml_messages(response.data) == ["Is this about GP? Reply YES or NO."]


def test_the_query_string_is_part_of_the_signed_url(sms: SmsChannel) -> None:
    params = sms.payload(PATIENT, "The GP receptionist was rude to my dad")
    without_query = sms.post("/sms/twilio?source=gb", params, signature=sign(params, INBOUND_URL))
    assert without_query.status_code == 403
    with_query = sms.post("/sms/twilio?source=gb", params,
                          signature=sign(params, f"{INBOUND_URL}?source=gb"))
    assert with_query.status_code == 200


def test_without_an_auth_token_every_request_is_refused(sms: SmsChannel) -> None:
    unconfigured = build_channel(sms.runtime, replace(sms.settings, auth_token=""))
    params = unconfigured.payload(PATIENT, "My GP never answers the phone")
    for token in ("", "test-token"):
        response = unconfigured.post("/sms/twilio", params, signature=sign(params, token=token))
        assert response.status_code == 403, token
    assert unconfigured.count(InboundMessage) == 0


def test_a_request_without_a_message_sid_is_a_bad_request(sms: SmsChannel) -> None:
    response = sms.inbound(PATIENT, "My GP never answers the phone", MessageSid=None)
    assert response.status_code == 400
    assert sms.count(InboundMessage) == 0


# -- retries ------------------------------------------------------------------------------------

def test_a_repeated_message_sid_is_answered_identically_and_stored_once(sms: SmsChannel) -> None:
    first = sms.inbound(PATIENT, "The GP receptionist was rude to my dad")
    yes_sid = new_sid()
    yes = sms.inbound(PATIENT, "YES", sid=yes_sid)
    yes_again = sms.inbound(PATIENT, "YES", sid=yes_sid)
    assert first.status_code == yes.status_code == yes_again.status_code == 200
    assert yes_again.data == yes.data  # byte-identical TwiML, and the conversation did not move on
    for body in ("2", "6"):
        assert sms.inbound(PATIENT, body).status_code == 200
    last_sid = new_sid()
    last = sms.inbound(PATIENT, "NO", sid=last_sid)
    inbound, turns = texts_received(sms), sms.count(ConversationTurn)

    retried = sms.inbound(PATIENT, "NO", sid=last_sid)

    assert retried.status_code == 200
    assert retried.data == last.data
    feedback, _ = only_feedback(sms)
    assert twiml_messages(retried.data) == [
        f"Thank you. Your reference is {feedback.reference}. Reply HELP for help or STOP to opt out."]
    assert (texts_received(sms), sms.count(ConversationTurn)) == (inbound, turns) == (5, 5)
    assert sms.count(Feedback) == 1


# -- keywords -----------------------------------------------------------------------------------

def test_stop_cancels_follow_ups_and_start_lets_them_through(sms: SmsChannel) -> None:
    runtime = sms.runtime
    sender = RecordingSender()
    worker = OutboxWorker(runtime.sessions, runtime.intake.vault, {"sms": sender}, runtime.intake.clock)
    assert sms.text(PATIENT, "The GP receptionist was rude to my dad")[0] == 200
    stop_sid = new_sid()

    status, replies = sms.text(PATIENT, "STOP", sid=stop_sid)

    assert status == 200
    assert replies == ["You will get no more texts from NHS Involve feedback. Reply START to start again."]
    assert patient_address(sms).opted_out_at == FIXED_NOW
    assert inbound_row(sms, stop_sid).state == InboundState.IGNORED
    feedback, _ = only_feedback(sms)  # the conversation so far is kept, the keyword is not
    assert "STOP" not in feedback.text
    with runtime.sessions.begin() as session:
        address = session.get_one(ContactAddress, patient_address(sms).id)
        enqueue(session, intent_key="follow-up:1", address=address, purpose="follow-up",
                body="Thanks to feedback like yours, the GP surgery has more phone lines.",
                language="en", now=FIXED_NOW, feedback_id=feedback.id)
    report = worker.run_once()
    assert (report.sent, report.cancelled) == (0, 1)
    assert sender.sent == []

    status, replies = sms.text(PATIENT, "START")

    assert status == 200
    assert replies == ["Texts from NHS Involve feedback are back on. Tell us about a health service, "
                       "or reply STOP to stop."]
    assert patient_address(sms).opted_out_at is None
    with runtime.sessions.begin() as session:
        address = session.get_one(ContactAddress, patient_address(sms).id)
        enqueue(session, intent_key="follow-up:2", address=address, purpose="follow-up",
                body="The GP surgery now answers within ten minutes.", language="en", now=FIXED_NOW)
    report = worker.run_once()
    assert (report.sent, report.cancelled) == (1, 0)
    assert sender.sent == [(PATIENT, "The GP surgery now answers within ten minutes.")]
    with runtime.sessions() as session:
        statuses = dict(session.execute(select(OutboundMessage.intent_key, OutboundMessage.status)).all())
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("contact.%")).order_by(AuditEvent.id)))
    assert statuses == {"follow-up:1": OutboundStatus.CANCELLED, "follow-up:2": OutboundStatus.SENT}
    assert actions == ["contact.opt-out", "contact.opt-in"]
    assert sms.count(Feedback) == 1


def test_help_gives_the_privacy_address_and_is_not_feedback(sms: SmsChannel) -> None:
    sid = new_sid()
    status, replies = sms.text(PATIENT, "HELP", sid=sid)

    assert status == 200
    [reply] = replies
    assert "Privacy: https://intake.example.test/privacy" in reply
    assert reply == sms.chat.script.prompt("en", "help", org="Involve",
                                           privacy_url=f"{PUBLIC_BASE_URL}/privacy")
    assert inbound_row(sms, sid).state == InboundState.IGNORED
    assert sms.count(Feedback) == 0
    assert sms.count(Conversation) == 0


# -- awkward messages ---------------------------------------------------------------------------

LONG_BODY = ("My dad waited " + "very " * 1200 + "long")[:6000]


def _assert_too_long_and_kept(sms: SmsChannel, sid: str, replies: list[str]) -> None:
    assert len(LONG_BODY) == 6000
    assert replies == ["Sorry, that is too long for us (6,000 characters, limit 5,000). "
                       "Please send a shorter message."]
    stored = message_from_json(sms.runtime.intake.vault.decrypt(inbound_row(sms, sid).payload_encrypted))
    assert stored.text == LONG_BODY
    assert sms.count(Feedback) == 0


def test_an_over_long_answer_gets_the_too_long_reply_and_is_kept_in_the_inbox(sms: SmsChannel) -> None:
    assert sms.text(PATIENT, "Hi")[1][0].startswith("Thank you for contacting NHS Involve.")
    sid = new_sid()
    status, replies = sms.text(PATIENT, LONG_BODY, sid=sid)
    assert status == 200
    _assert_too_long_and_kept(sms, sid, replies)


def test_an_unprompted_over_long_message_gets_the_too_long_reply(sms: SmsChannel) -> None:
    sid = new_sid()
    status, replies = sms.text(PATIENT, LONG_BODY, sid=sid)
    assert status == 200
    _assert_too_long_and_kept(sms, sid, replies)


def test_an_abandoned_conversation_becomes_feedback_once_idle(sms: SmsChannel) -> None:
    runtime = sms.runtime
    assert sms.text(PATIENT, "Hi")[0] == 200
    assert sms.text(PATIENT, "My GP never answers the phone")[1] == ["Is this about GP? Reply YES or NO."]
    idle = timedelta(minutes=sms.chat.script.conversation.timing.idle_minutes)

    runtime.intake.clock = lambda: FIXED_NOW + idle - timedelta(minutes=1)
    assert sms.chat.expire_idle() == []
    assert sms.count(Feedback) == 0

    runtime.intake.clock = lambda: FIXED_NOW + idle
    [reference] = sms.chat.expire_idle()

    feedback, _ = only_feedback(sms)
    assert reference == feedback.reference
    assert feedback.text == "My GP never answers the phone"
    with runtime.sessions() as session:
        [conversation] = session.scalars(select(Conversation)).all()
    assert conversation.status == ConversationStatus.TIMED_OUT
    assert conversation.closed_at == FIXED_NOW + idle
    assert conversation.feedback_id == feedback.id
    assert sms.chat.expire_idle() == []  # closed once


def test_a_picture_without_text_gets_the_text_only_reply_and_its_type_is_recorded(sms: SmsChannel) -> None:
    sid = new_sid("MM")
    status, replies = sms.text(
        PATIENT, "", sid=sid, NumMedia="1", MediaContentType0="image/jpeg",
        MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Messages/{sid}/Media/"
                  f"ME{'2' * 32}")

    assert status == 200
    assert replies == ["Sorry, we cannot open pictures or files. Please send your feedback as text."]
    row = inbound_row(sms, sid)
    assert row.state == InboundState.IGNORED
    stored = message_from_json(sms.runtime.intake.vault.decrypt(row.payload_encrypted))
    assert stored.metadata["media"] == ["image/jpeg"]
    assert stored.text == ""
    assert sms.count(Feedback) == 0
    assert sms.count(Conversation) == 0


def test_a_picture_with_text_is_taken_as_feedback_with_the_text_only_note(sms: SmsChannel) -> None:
    status, replies = sms.text(PATIENT, "The GP receptionist was rude to my dad", sid=new_sid("MM"),
                               NumMedia="2", MediaContentType0="image/png", MediaContentType1="video/mp4")
    assert status == 200
    assert replies == ["Is this about GP? Reply YES or NO.",
                       "Sorry, we cannot open pictures or files. Please send your feedback as text."]

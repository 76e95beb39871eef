"""`POST /telegram/webhook` end to end: Telegram updates into the real app and database, and the
exact Bot API requests the bot makes in answer, recorded by a local fake of the Bot API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.telegram.sender import TelegramSender
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime, build_runtime
from intake.demo import DEMO_CONSULTATION_SLUG, seed_demo
from intake.message import message_from_json
from intake.outbox import OutboxWorker, enqueue
from intake.storage.database import make_engine
from intake.storage.models import (
    AuditEvent,
    Consultation,
    ContactAddress,
    Conversation,
    ConversationStatus,
    Feedback,
    FeedbackConsultationLink,
    InboundMessage,
    InboundState,
    OutboundMessage,
    OutboundStatus,
)
from tests.bot.telegram.fake_bot_api import TOKEN, Call, FakeBotApi, text_update
from tests.conftest import FIXED_NOW
from tests.webhooks.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, PATIENT, SERVICE_NUMBER
from tests.webhooks.sms.conftest import build_channel as build_sms_channel
from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings

from .conftest import (
    CHAT_ID,
    SECRET,
    TelegramChannel,
    build_channel,
    keyboard_data,
    keyboard_labels,
    media_update,
    member_update,
    methods,
)

REFERENCE = re.compile(r"\bFB-[A-Z0-9]{4,}\b")
GP_FEEDBACK = "The GP receptionist was rude and I waited ages"

ASK_FEEDBACK = ("Thank you for contacting NHS Involve. Please tell us what happened, or what could be "
                "better. Reply SKIP to skip any question, STOP to opt out.")
ASK_MORE = "Thank you. Send more if you like, or reply DONE when you have finished."
CONFIRM_GP = "Is this about GP? Reply YES or NO."
ASK_RATING = ("Overall, how was your experience? 1 Very good 2 Good 3 Neither good nor poor 4 Poor "
              "5 Very poor 6 Don't know.")
ASK_NEEDS = ("Do you need support to communicate with us? Reply with numbers, eg 1 3. 1 Interpreter "
             "2 BSL 3 Easy read 4 Large print 5 Braille 6 None.")
ASK_CONTACT = "May we text you later about what changes because of feedback like yours? Reply YES or NO."
MEDIA = "Sorry, we cannot open pictures or files. Please send your feedback as text."
OPTED_OUT = "You will get no more texts from NHS Involve feedback. Reply START to start again."
HELP = ("NHS Involve feedback. Text us about a health service. STOP to stop texts, START to restart. "
        "Privacy: https://intake.example.test/privacy")

SKIP_ONLY = [["SKIP"]]
DONE_SKIP = [["DONE", "SKIP"]]
YES_NO_SKIP = [["YES", "NO", "SKIP"]]
SIX_OPTIONS = [["1", "2"], ["3", "4"], ["5", "6"], ["SKIP"]]


def sent(text: str, keyboard: list[list[str]] | None = None) -> tuple[Any, ...]:
    return ("sendMessage", CHAT_ID, text, keyboard)


def pressed(update_id: int) -> list[tuple[Any, ...]]:
    """What every button press costs: the spinner answered, the old buttons taken away."""
    return [("answerCallbackQuery", {"callback_query_id": f"q{update_id}"}),
            ("editMessageReplyMarkup", {"chat_id": CHAT_ID, "message_id": 1})]


def view(calls: list[Call]) -> list[tuple[Any, ...]]:
    """Bot API requests in a comparable form: a message as (chat, text, callback_data rows)."""
    shown: list[tuple[Any, ...]] = []
    for call in calls:
        if call.method == "sendMessage":
            assert set(call.params) <= {"chat_id", "text", "reply_markup"}, call.params
            shown.append(("sendMessage", int(call.params["chat_id"]), call.params["text"],
                          keyboard_data(call.params)))
        else:
            shown.append((call.method, call.params))
    return shown


def only_feedback(runtime: Runtime) -> tuple[Feedback, list[tuple[str, str, str, str | None]]]:
    with runtime.sessions() as session:
        [feedback] = session.scalars(select(Feedback)).all()
        tags = sorted((t.kind, t.value, t.source, t.code) for t in feedback.tags if t.active)
        return feedback, tags


def inbound_row(runtime: Runtime, update_id: int) -> InboundMessage:
    with runtime.sessions() as session:
        row = session.scalar(select(InboundMessage).where(
            InboundMessage.channel == "telegram",
            InboundMessage.provider_message_id == str(update_id)))
        assert row is not None, f"no inbound row for update {update_id}"
        return row


def conversation_state(telegram: TelegramChannel) -> dict[str, Any]:
    with telegram.runtime.sessions() as session:
        [conversation] = session.scalars(select(Conversation).where(
            Conversation.status == ConversationStatus.OPEN)).all()
        return dict(conversation.state)


def nothing_stored(telegram: TelegramChannel) -> bool:
    return all(telegram.count(model) == 0 for model in (
        InboundMessage, Conversation, Feedback, ContactAddress, AuditEvent))


# -- a whole conversation -------------------------------------------------------------------------

def test_a_conversation_by_buttons_makes_exact_requests_and_one_feedback_tagged_like_sms(
        telegram: TelegramChannel) -> None:
    steps = [("say", "/start", [sent(ASK_FEEDBACK, SKIP_ONLY)]),
             ("say", GP_FEEDBACK, [sent(ASK_MORE, DONE_SKIP)]),
             ("press", "DONE", [sent(CONFIRM_GP, YES_NO_SKIP)]),
             ("press", "YES", [sent(ASK_RATING, SIX_OPTIONS)]),
             ("press", "2", [sent(ASK_NEEDS, SIX_OPTIONS)]),
             ("press", "6", [sent(ASK_CONTACT, YES_NO_SKIP)])]
    for action, text, expected in steps:
        calls = telegram.say(text) if action == "say" else telegram.press(text)
        if action == "press":
            expected = [*pressed(telegram.last_update_id), *expected]
        assert view(calls) == expected, f"after {action} {text!r}"
    assert telegram.count(Feedback) == 0  # nothing is feedback until the conversation ends

    last = telegram.press("NO")

    feedback, tags = only_feedback(telegram.runtime)
    thanks = f"Thank you. Your reference is {feedback.reference}. Reply HELP for help or STOP to opt out."
    assert view(last) == [*pressed(telegram.last_update_id), sent(thanks)]
    assert REFERENCE.findall(last[-1].params["text"]) == [feedback.reference]
    assert methods(telegram.api.calls).count("getMe") == 1 and telegram.api.calls[0].method == "getMe"
    assert feedback.channel == "telegram"
    assert feedback.text == GP_FEEDBACK
    assert feedback.fft_rating == "good"
    labels = [keyboard_labels(params) for params in telegram.api.sent() if "reply_markup" in params]
    assert ["Yes", "No", "Skip"] in labels and ["Done", "Skip"] in labels
    with telegram.runtime.sessions() as session:
        [conversation] = session.scalars(select(Conversation)).all()
        assert (conversation.status, conversation.feedback_id) == (ConversationStatus.COMPLETED, feedback.id)

    # The same answers by SMS make a feedback item with the same service and language tags.
    sms = build_sms_channel(telegram.runtime, TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number=SERVICE_NUMBER,
        messaging_service_sid="", api_base_url=DEFAULT_API_BASE_URL))
    for body in (GP_FEEDBACK, "YES", "2", "6", "NO"):
        assert sms.text(PATIENT, body)[0] == 200
    with telegram.runtime.sessions() as session:
        by_channel = {f.channel: sorted((t.kind, t.value, t.source, t.code) for t in f.tags if t.active)
                      for f in session.scalars(select(Feedback))}
    assert set(by_channel) == {"sms", "telegram"}
    assert by_channel["telegram"] == tags
    assert {kind for kind, *_ in tags} == {kind for kind, *_ in by_channel["sms"]}
    assert [t for t in tags if t[0] in ("service", "language")] == [
        t for t in by_channel["sms"] if t[0] in ("service", "language")]
    assert ("service", "gp") in {(kind, value) for kind, value, *_ in tags}
    assert ("language", "en") in {(kind, value) for kind, value, *_ in tags}


def test_several_messages_before_done_become_one_comment(telegram: TelegramChannel) -> None:
    parts = ["The waiting room was freezing cold", "Nobody told us how long it would take",
             "The nurse was kind when we were finally seen"]
    telegram.say("/start")
    for part in parts:
        assert view(telegram.say(part)) == [sent(ASK_MORE, DONE_SKIP)]
    assert conversation_state(telegram)["texts"] == parts
    assert telegram.count(Feedback) == 0

    telegram.press("DONE")
    for _ in range(4):  # the service, the rating, the needs, the contact question
        last = telegram.press("SKIP")

    feedback, _ = only_feedback(telegram.runtime)
    assert feedback.text == "\n\n".join(parts)
    assert view(last)[-1] == sent(
        f"Thank you. Your reference is {feedback.reference}. Reply HELP for help or STOP to opt out.")


def test_a_deep_link_asks_the_consultation_question_and_links_the_feedback(
        telegram: TelegramChannel) -> None:
    with telegram.runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    with telegram.runtime.sessions() as session:
        consultation = session.scalar(select(Consultation).where(
            Consultation.slug == DEMO_CONSULTATION_SLUG))
        assert consultation is not None
        consultation_id, question = consultation.id, consultation.questions["en"]

    assert view(telegram.say(f"/start {DEMO_CONSULTATION_SLUG}")) == [sent(question, SKIP_ONLY)]
    telegram.say("The ward was noisy and nobody explained the delay to us")
    # The consultation says what it is about: no service question.
    assert view(telegram.press("DONE"))[-1] == sent(ASK_RATING, SIX_OPTIONS)
    telegram.press("3")
    telegram.press("SKIP")
    telegram.press("NO")

    feedback, _ = only_feedback(telegram.runtime)
    assert feedback.consultation_id == consultation_id
    with telegram.runtime.sessions() as session:
        links = session.scalars(select(FeedbackConsultationLink)).all()
        assert [(link.feedback_id, link.consultation_id, link.rule_id) for link in links] == [
            (feedback.id, consultation_id, "consultation-entry-point")]
    asked = [params["text"] for params in telegram.api.sent()]
    assert not any(text.startswith(("Is this about", "Which service")) for text in asked)


# -- languages ------------------------------------------------------------------------------------

def test_a_polish_client_starting_with_start_is_greeted_in_polish(telegram: TelegramChannel) -> None:
    script = telegram.chat.script

    calls = telegram.say("/start", language_code="pl")

    greeting = (script.prompt("pl", "ask_feedback", org="Involve") + " "
                + script.prompt("pl", "switch_hint"))
    assert view(calls) == [sent(greeting, SKIP_ONLY)]
    assert greeting.startswith("Dziękujemy za kontakt z NHS Involve.")
    assert keyboard_labels(calls[0].params) == ["Pomiń"]
    assert conversation_state(telegram)["language"] == "pl"
    assert view(telegram.say("Lekarz był bardzo niemiły", language_code="pl")) == [
        sent(script.prompt("pl", "ask_more"), [["DONE", "SKIP"]])]


def test_a_polish_client_writing_clearly_in_english_is_answered_in_english(
        telegram: TelegramChannel) -> None:
    text = "The receptionist at my GP surgery was very rude and I waited three hours to be seen"

    calls = telegram.say(text, language_code="pl")

    assert view(calls) == [sent(CONFIRM_GP, YES_NO_SKIP)]
    assert keyboard_labels(calls[0].params) == ["Yes", "No", "Skip"]
    state = conversation_state(telegram)
    assert (state["language"], state["language_chosen"]) == ("en", False)


def test_language_menu_offers_each_language_and_urdu_switches_the_conversation(
        telegram: TelegramChannel) -> None:
    script = telegram.chat.script

    menu = telegram.say("/language")

    assert view(menu) == [sent("Which language would you like?",
                               [["LANG:english", "LANG:polish", "LANG:urdu"]])]
    assert keyboard_labels(menu[0].params) == ["English", "Polski", "اردو"]
    assert inbound_row(telegram.runtime, telegram.last_update_id).state == InboundState.IGNORED

    chosen = telegram.press("LANG:urdu")

    urdu_question = script.prompt("ur", "ask_feedback", org="Involve")
    assert view(chosen) == [*pressed(telegram.last_update_id), sent(urdu_question, SKIP_ONLY)]
    assert keyboard_labels(chosen[-1].params) == [script.languages["ur"].buttons.skip]
    state = conversation_state(telegram)
    assert (state["language"], state["language_chosen"]) == ("ur", True)
    # Later questions stay in Urdu, whatever language the person writes in.
    assert view(telegram.say(GP_FEEDBACK)) == [sent(script.prompt("ur", "ask_more"), DONE_SKIP)]


# -- commands and other messages --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["photo", "voice", "sticker"])
def test_a_picture_voice_note_or_sticker_gets_the_text_only_answer(
        telegram: TelegramChannel, kind: str) -> None:
    calls = telegram.deliver(media_update(700, kind))

    assert view(calls) == [sent(MEDIA)]
    row = inbound_row(telegram.runtime, 700)
    assert (row.state, row.error) == (InboundState.IGNORED, "attachment without text")
    stored = message_from_json(telegram.runtime.intake.vault.decrypt(row.payload_encrypted))
    assert kind in stored.metadata["update"]["message"]  # the raw update is kept
    assert telegram.count(Feedback) == 0


def test_help_answers_with_the_help_text_and_is_not_feedback(telegram: TelegramChannel) -> None:
    calls = telegram.say("/help")

    assert view(calls) == [sent(HELP)]
    assert inbound_row(telegram.runtime, telegram.last_update_id).state == InboundState.IGNORED
    assert telegram.count(Feedback) == 0
    assert telegram.count(Conversation) == 0


def test_forget_asks_first_and_yes_records_an_erasure_request_and_opts_out(
        telegram: TelegramChannel) -> None:
    telegram.say("/start")

    asked = telegram.say("/forget")

    assert view(asked) == [sent("Do you want us to delete your contact details and never contact you "
                                "again? Your feedback is kept without them.", [["FORGET:yes", "FORGET:no"]])]
    assert keyboard_labels(asked[0].params) == ["Yes", "No"]
    assert telegram.count(AuditEvent) == 0

    done = telegram.press("FORGET:yes")

    assert view(done) == [*pressed(telegram.last_update_id), sent(
        "Done. We will delete your contact details and will not contact you again.")]
    with telegram.runtime.sessions() as session:
        events = session.scalars(select(AuditEvent)).all()
        assert [(e.action, e.entity_type, e.details) for e in events] == [
            ("erasure.requested", "contributor", {"channel": "telegram"})]
    address = telegram.address()
    assert address is not None and address.opted_out_at == FIXED_NOW


def test_forget_then_no_records_nothing(telegram: TelegramChannel) -> None:
    telegram.say("/start")
    telegram.say("/forget")

    cancelled = telegram.press("FORGET:no")

    assert view(cancelled) == [*pressed(telegram.last_update_id), sent("OK, nothing has been deleted.")]
    assert telegram.count(AuditEvent) == 0
    address = telegram.address()
    assert address is not None and address.opted_out_at is None
    assert conversation_state(telegram)["step"] == "feedback"  # the conversation goes on


def test_being_blocked_marks_the_address_opted_out(telegram: TelegramChannel) -> None:
    telegram.say("/start")

    calls = telegram.deliver(member_update(800, "kicked"))

    assert calls == []  # nothing is said to someone who blocked the bot
    address = telegram.address()
    assert address is not None and address.opted_out_at == FIXED_NOW
    with telegram.runtime.sessions() as session:
        [event] = session.scalars(select(AuditEvent)).all()
        assert (event.action, event.details) == ("contact.opt-out", {"reason": "blocked the bot"})
    assert inbound_row(telegram.runtime, 800).state == InboundState.IGNORED


def test_a_membership_change_other_than_blocking_does_not_opt_out(telegram: TelegramChannel) -> None:
    telegram.say("/start")

    assert telegram.deliver(member_update(801, "member")) == []

    address = telegram.address()
    assert address is not None and address.opted_out_at is None
    assert telegram.count(AuditEvent) == 0


@pytest.fixture
def sender(telegram_settings: TelegramSettings) -> Iterator[TelegramSender]:
    sender = TelegramSender(telegram_settings, per_chat_interval=0)
    yield sender
    if sender._ready:
        sender.loop.run_until_complete(sender.bot.shutdown())
    sender.loop.close()


def test_stop_cancels_an_outbox_follow_up(telegram: TelegramChannel, sender: TelegramSender) -> None:
    other_chat = 5151
    telegram.say("/start")
    telegram.say(GP_FEEDBACK)
    telegram.say("/start", chat_id=other_chat)  # someone who did not stop, for comparison

    assert view(telegram.say("/stop")) == [sent(OPTED_OUT)]

    address = telegram.address()
    assert address is not None and address.opted_out_at == FIXED_NOW
    feedback, _ = only_feedback(telegram.runtime)  # what was said before /stop is kept
    assert feedback.text == GP_FEEDBACK
    runtime = telegram.runtime
    with runtime.sessions.begin() as session:
        for intent, chat_id in (("follow-up:stopped", CHAT_ID), ("follow-up:other", other_chat)):
            found = telegram.address(chat_id)
            assert found is not None
            enqueue(session, intent_key=intent, address=session.get_one(ContactAddress, found.id),
                    purpose="follow-up", body="Thanks to feedback like yours, the GP has more phone lines.",
                    language="en", now=FIXED_NOW, feedback_id=feedback.id)
    before = len(telegram.api.sent())
    worker = OutboxWorker(runtime.sessions, runtime.intake.vault, {"telegram": sender},
                          runtime.intake.clock)

    report = worker.run_once()

    assert (report.sent, report.cancelled) == (1, 1)
    new = telegram.api.sent()[before:]
    assert [(int(p["chat_id"]), p["text"]) for p in new] == [
        (other_chat, "Thanks to feedback like yours, the GP has more phone lines.")]
    with runtime.sessions() as session:
        statuses = dict(session.execute(select(OutboundMessage.intent_key, OutboundMessage.status)).all())
    assert statuses == {"follow-up:stopped": OutboundStatus.CANCELLED,
                        "follow-up:other": OutboundStatus.SENT}


# -- retries and refusals -----------------------------------------------------------------------------

def test_a_repeated_update_id_is_acknowledged_as_duplicate_and_not_answered_again(
        telegram: TelegramChannel) -> None:
    telegram.say("/start")
    update = text_update(600, GP_FEEDBACK)
    assert view(telegram.deliver(update)) == [sent(ASK_MORE, DONE_SKIP)]
    inbound, calls = telegram.count(InboundMessage), len(telegram.api.calls)

    again = telegram.post(update)

    assert again.status_code == 200
    assert again.get_json() == {"ok": True, "duplicate": True}
    assert telegram.count(InboundMessage) == inbound
    assert telegram.count(InboundMessage, InboundMessage.provider_message_id == "600") == 1
    assert len(telegram.api.calls) == calls
    assert conversation_state(telegram)["texts"] == [GP_FEEDBACK]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
        telegram: TelegramChannel, secret: str | None) -> None:
    response = telegram.post(text_update(1, GP_FEEDBACK), secret=secret)

    assert response.status_code == 403
    assert nothing_stored(telegram)
    assert telegram.api.calls == []


@pytest.mark.parametrize("secret", [None, "", SECRET])
def test_without_a_configured_secret_every_request_is_refused(
        runtime: Runtime, fake_api: FakeBotApi, secret: str | None) -> None:
    settings = TelegramSettings(token=TOKEN, webhook_secret="", api_base_url=fake_api.base_url)
    for telegram in build_channel(runtime, settings, fake_api):
        response = telegram.post(text_update(1, GP_FEEDBACK), secret=secret)
        assert response.status_code == 403
        assert nothing_stored(telegram)
    assert fake_api.calls == []


@pytest.mark.parametrize("body", [
    {"data": "{not json", "content_type": "application/json"},
    {"data": "update_id=5", "content_type": "application/x-www-form-urlencoded"},
    {"json": [1, 2, 3]},
    {"json": {"message": {"message_id": 1, "date": 0, "chat": {"id": CHAT_ID, "type": "private"},
                          "text": "hello"}}},
    {"json": {"update_id": "7"}},
], ids=["invalid-json", "form", "json-list", "missing-update-id", "string-update-id"])
def test_a_body_that_is_not_an_update_is_a_bad_request(telegram: TelegramChannel,
                                                         body: dict[str, Any]) -> None:
    if "json" in body:
        response = telegram.post(body["json"])
    else:
        response = telegram.post(None, data=body["data"], content_type=body["content_type"])

    assert response.status_code == 400
    assert nothing_stored(telegram)
    assert telegram.api.calls == []


def test_an_unreachable_database_is_service_unavailable(
        runtime: Runtime, telegram_settings: TelegramSettings, fake_api: FakeBotApi) -> None:
    dead = make_engine("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    unreachable = build_runtime(settings=runtime.settings, config=runtime.config, engine=dead)
    try:
        for telegram in build_channel(unreachable, telegram_settings, fake_api):
            response = telegram.post(text_update(1, GP_FEEDBACK))
            assert response.status_code == 503
    finally:
        dead.dispose()
    assert fake_api.sent() == []  # no answer for an update that could not be stored
    with runtime.sessions() as session:
        assert session.scalars(select(InboundMessage)).all() == []



# -- known bugs ---------------------------------------------------------------------------------------

def test_start_after_stop_is_answered_and_not_kept_as_feedback(telegram: TelegramChannel) -> None:
    telegram.say("/start")
    assert view(telegram.say("/stop")) == [sent(OPTED_OUT)]

    calls = telegram.say("/start")

    with telegram.runtime.sessions() as session:
        texts = session.scalars(select(Feedback.text)).all()
    assert "/start" not in texts
    assert [call.method for call in calls].count("sendMessage") >= 1

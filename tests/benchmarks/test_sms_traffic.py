"""`benchmarks.sms_traffic`: signed Twilio deliveries from Ofcom's drama numbers, people who answer
the bot's last question, retried deliveries, and the pool of numbers. Checked against the bot's
real prompts, and once against the real SMS route."""

from __future__ import annotations

import random
import urllib.parse
from collections import Counter

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from benchmarks.sms_traffic import (
    DETAILS,
    MAX_TEXTS,
    OPENINGS,
    Delivery,
    Traffic,
    feedback_text,
    last_message,
    reply_to,
    twilio_form,
)
from bot.script import load_script
from intake.bootstrap import Runtime
from intake.storage.models import Feedback
from tests.webhooks.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INBOUND_URL,
    SERVICE_NUMBER,
    build_channel,
)
from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings

SCRIPT = load_script()
MENUS = {"ask_service": "service", "ask_rating": "rating", "ask_needs": "needs"}
VALUES = {"org": "Example District", "service": "GP", "reference": "FB-7K3M9Q", "max": 6,
          "privacy_url": "https://intake.example.test/privacy"}


def question(language: str, key: str) -> str:
    """The bot's prompt ``key`` in ``language``, with its menu and placeholders filled."""
    values: dict[str, object] = dict(VALUES)
    if key in MENUS:
        name = MENUS[key]
        values["menu"] = SCRIPT.menu(language, name, tuple(SCRIPT.languages[language].menus[name]))
    return SCRIPT.prompt(language, key, **values)


def twiml(*messages: str) -> bytes:
    response = MessagingResponse()
    for message in messages:
        response.message(message)
    return str(response).encode()


def traffic(**options: float) -> Traffic:
    return Traffic(INBOUND_URL, AUTH_TOKEN, SERVICE_NUMBER, ACCOUNT_SID, **options)  # type: ignore[arg-type]


def is_feedback_text(text: str, language: str) -> bool:
    return (any(text.startswith(opening + " ") for opening in OPENINGS[language])
            and any(text.endswith(" " + detail) for detail in DETAILS[language]))


class FakeBot:
    """Answers each conversation's texts with the next of a fixed list of questions, and a retried
    delivery with what it answered the first time."""

    STEPS = ("ask_service", "confirm_service", "ask_needs", "ask_rating", "thanks")

    def __init__(self) -> None:
        self.answers: dict[str, bytes] = {}

    def __call__(self, delivery: Delivery) -> bytes:
        sid = delivery.params["MessageSid"]
        if sid not in self.answers:
            sent = delivery.conversation.sent if delivery.conversation else 1
            self.answers[sid] = twiml(question("en", self.STEPS[min(sent, 5) - 1]))
        return self.answers[sid]


def run(source: Traffic, deliveries: int) -> list[Delivery]:
    bot, sent = FakeBot(), []
    for _ in range(deliveries):
        delivery = source.next()
        source.answered(delivery, True, bot(delivery))
        sent.append(delivery)
    return sent


def test_a_seed_gives_the_same_traffic() -> None:
    def shape(seed: int) -> list[tuple[str, str, str]]:
        return [(d.kind, d.params["From"], d.params["Body"])
                for d in run(traffic(seed=seed, retry_share=0.1), 300)]

    first = shape(3)
    assert first == shape(3)
    assert first != shape(4)
    assert {kind for kind, _, _ in first} == {"first", "reply", "retry"}


def test_every_delivery_is_signed_for_the_public_url_and_encodes_its_form() -> None:
    validator = RequestValidator(AUTH_TOKEN)
    deliveries = run(traffic(seed=1, retry_share=0.2), 80)
    assert {d.kind for d in deliveries} == {"first", "reply", "retry"}
    for delivery in deliveries:
        assert dict(urllib.parse.parse_qsl(delivery.body.decode(), keep_blank_values=True)) == \
            delivery.params
        assert validator.validate(INBOUND_URL, delivery.params, delivery.signature)
        assert not validator.validate(INBOUND_URL + "/status", delivery.params, delivery.signature)
        assert not RequestValidator("another-token").validate(INBOUND_URL, delivery.params,
                                                              delivery.signature)


def test_the_form_is_what_twilio_posts_for_a_gb_sms() -> None:
    form = twilio_form("+447700900123", "Hello", "SM" + "a" * 32, SERVICE_NUMBER, ACCOUNT_SID)
    assert form["From"] == "+447700900123" and form["To"] == SERVICE_NUMBER
    assert form["Body"] == "Hello" and form["AccountSid"] == ACCOUNT_SID
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == "SM" + "a" * 32
    assert (form["NumMedia"], form["NumSegments"], form["ApiVersion"]) == ("0", "1", "2010-04-01")
    delivery = traffic().next()
    assert delivery.params["MessageSid"].startswith("SM") and len(delivery.params["MessageSid"]) == 34
    assert delivery.params["To"] == SERVICE_NUMBER and delivery.params["AccountSid"] == ACCOUNT_SID


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize(("key", "answers"), [
    ("confirm_service", {"YES", "NO"}),
    ("ask_contact", {"YES", "NO"}),
    ("reprompt_yes_no", {"YES", "NO"}),
    ("ask_needs", {"6", "1 3", "2", "SKIP"}),
    ("ask_service", {str(n) for n in range(1, 10)}),
    ("ask_rating", {str(n) for n in range(1, 7)}),
    ("reprompt_number", {str(n) for n in range(1, 7)}),  # "from 1 to 6"
])
def test_a_person_answers_the_bots_questions_as_asked(language: str, key: str,
                                                      answers: set[str]) -> None:
    rng = random.Random(0)
    given = {reply_to(question(language, key), language, rng) for _ in range(300)}
    assert given == answers


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("key", ["ask_feedback", "reprompt_text", "ask_more"])
def test_a_question_wanting_words_gets_feedback_in_the_persons_language(language: str,
                                                                        key: str) -> None:
    rng = random.Random(0)
    for _ in range(20):
        assert is_feedback_text(reply_to(question(language, key), language, rng), language)


def test_the_next_text_answers_the_last_message_of_the_reply() -> None:
    source = traffic(seed=2, new_share=0.0, retry_share=0.0)
    first = source.next()
    source.answered(first, True, twiml(question("en", "ask_service"),
                                       question("en", "confirm_service")))
    reply = source.next()
    assert reply.kind == "reply" and reply.conversation is first.conversation
    assert reply.params["From"] == first.params["From"]
    assert reply.params["Body"] in {"YES", "NO"}
    assert reply.params["MessageSid"] != first.params["MessageSid"]
    assert reply.conversation is not None and reply.conversation.sent == 2


def test_last_message_is_the_text_of_the_last_message_or_nothing() -> None:
    assert last_message(twiml("First", "Second & last")) == "Second & last"
    assert last_message(twiml()) == ""
    assert last_message(b"<Response><Message/></Response>") == ""
    assert last_message(b"Internal Server Error") == ""


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("key", ["thanks", "closing", "help"])
def test_a_conversation_ends_with_the_bots_goodbye_and_frees_its_number(language: str,
                                                                        key: str) -> None:
    source = traffic(seed=0, new_share=0.0, retry_share=0.0)
    first = source.next()
    source.answered(first, True, twiml(question(language, key)))
    assert source.counts["conversations ended"] == 1
    after = source.next()
    assert after.kind == "first" and after.params["From"] != first.params["From"]


def test_the_first_question_does_not_end_a_conversation() -> None:
    source = traffic(seed=0, new_share=0.0, retry_share=0.0)
    first = source.next()
    source.answered(first, True, twiml(question("en", "ask_feedback")))
    reply = source.next()
    assert reply.kind == "reply" and reply.params["From"] == first.params["From"]
    assert source.counts["conversations ended"] == 0


def test_a_conversation_is_left_after_max_texts() -> None:
    source = traffic(seed=0, new_share=0.0, retry_share=0.0)
    never_ending = twiml(question("en", "reprompt_yes_no"))
    senders = []
    for _ in range(MAX_TEXTS + 1):
        delivery = source.next()
        senders.append((delivery.kind, delivery.params["From"]))
        source.answered(delivery, True, never_ending)
    assert senders[:MAX_TEXTS] == [("first", "+447700900001")] + [
        ("reply", "+447700900001")] * (MAX_TEXTS - 1)
    assert senders[MAX_TEXTS] == ("first", "+447700900002")
    assert source.counts["conversations left unfinished"] == 1


def test_a_failed_delivery_is_neither_answered_nor_retried() -> None:
    source = traffic(seed=0, new_share=0.0, retry_share=1.0)
    first = source.next()
    source.answered(first, False, b"")
    assert source.counts["conversations left unfinished"] == 1
    second = source.next()
    assert second.kind == "first" and second.params["From"] == "+447700900002"


def test_a_retry_repeats_an_answered_delivery_exactly() -> None:
    source = traffic(seed=0, new_share=0.0, retry_share=1.0)
    first = source.next()
    assert first.kind == "first"  # nothing answered yet: nothing to retry
    answer = twiml(question("en", "ask_feedback"))
    source.answered(first, True, answer)
    retry = source.next()
    assert retry.kind == "retry" and retry.conversation is None
    assert retry.params == first.params and retry.body == first.body
    assert retry.signature == first.signature
    source.answered(retry, True, answer)
    assert source.retries_differing == 0
    source.answered(source.next(), True, twiml("Something else"))
    assert source.retries_differing == 1
    source.answered(source.next(), False, b"")  # a failed retry is not a differing answer
    assert source.retries_differing == 1
    assert source.counts["retry"] == 3 and source.counts["first"] == 1


def test_numbers_come_from_the_drama_range_and_are_never_shared_while_in_flight() -> None:
    source = traffic(seed=0, retry_share=0.0)
    deliveries = [source.next() for _ in range(999)]  # none answered yet
    numbers = [d.params["From"] for d in deliveries]
    assert [d.kind for d in deliveries] == ["first"] * 999
    assert numbers == [f"+447700900{n:03d}" for n in range(1, 1000)]
    assert SERVICE_NUMBER not in numbers
    extra = source.next()  # every number awaits an answer: someone texts again
    assert extra.kind == "extra" and extra.conversation is None
    assert extra.params["From"] in numbers
    assert extra.params["MessageSid"] not in {d.params["MessageSid"] for d in deliveries}
    assert is_feedback_text(extra.params["Body"], "en") or is_feedback_text(extra.params["Body"],
                                                                            "pl")


def test_a_number_is_used_again_only_after_every_other_was() -> None:
    source = traffic(seed=0, retry_share=0.0)
    goodbye = twiml(question("en", "thanks"))
    for _ in range(999):
        delivery = source.next()
        assert delivery.conversation is not None and not delivery.conversation.returning
        source.answered(delivery, True, goodbye)
    again = source.next()
    assert again.kind == "first" and again.params["From"] == "+447700900001"
    assert again.conversation is not None and again.conversation.returning
    assert source.counts["first from a returning number"] == 1


def test_people_start_in_several_ways() -> None:
    starts: Counter[str] = Counter()
    for delivery in run(traffic(seed=5, retry_share=0.0), 400):
        if delivery.kind == "first":
            body = delivery.params["Body"]
            starts[body if body in ("Hello", "HELP") else
                   "en" if is_feedback_text(body, "en") else
                   "pl" if is_feedback_text(body, "pl") else body] += 1
    assert set(starts) == {"en", "pl", "Hello", "HELP"}
    assert starts["en"] > starts["pl"]


def test_feedback_texts_vary() -> None:
    rng = random.Random(0)
    assert len({feedback_text("en", rng) for _ in range(200)}) > 50


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_conversations_with_the_real_app_run_to_their_end(runtime: Runtime) -> None:
    settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                              from_number=SERVICE_NUMBER, messaging_service_sid="",
                              api_base_url=DEFAULT_API_BASE_URL)
    sms = build_channel(runtime, settings)
    source = traffic(seed=6, new_share=0.0, retry_share=0.05)
    statuses: Counter[int] = Counter()
    references: set[str] = set()
    for _ in range(80):
        delivery = source.next()
        response = sms.client.post("/sms/twilio", data=delivery.body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": delivery.signature})
        statuses[response.status_code] += 1
        source.answered(delivery, response.status_code == 200, response.data)
        if delivery.kind != "retry" and "FB-" in last_message(response.data):
            references.add(last_message(response.data))
        if len(references) >= 2:
            break
    assert statuses == {200: sum(statuses.values())}
    assert len(references) >= 2, dict(source.counts)
    assert source.counts["conversations left unfinished"] == 0
    assert source.retries_differing == 0
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == len(references)

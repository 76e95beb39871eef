"""Signposting in the conversation: a message suggesting a risk to life or safety is answered at once
with where to get urgent help, in the person's language, before the next question, once per
conversation; the conversation carries on, and the audit log records it."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from bot.chat import ChatMessage, ChatReply, ChatService
from bot.script import load_script
from intake.bootstrap import Runtime
from intake.signposting import SIGNPOSTED
from intake.storage.models import AuditEvent, Conversation, Feedback
from tests.conftest import FIXED_NOW

SCRIPT = load_script()
SENDER = "+447700900201"
SIGNPOST = {code: SCRIPT.prompt(code, "signposting") for code in ("en", "ur", "pl")}
RISKY = "My carer hits me and the GP will not listen"
URDU_RISKY = "میں مرنا چاہتا ہوں، کوئی میری بات نہیں سنتا"
POLISH_RISKY = "Chcę umrzeć, nikt mi nie pomaga i nikt nie słucha"
IDLE = timedelta(minutes=SCRIPT.conversation.timing.idle_minutes)


class Person:
    def __init__(self, chat: ChatService, channel: str = "sms", sender: str = SENDER,
                 multi_part: bool = False) -> None:
        self.chat, self.channel, self.sender, self.multi_part = chat, channel, sender, multi_part
        self.ids = count(1)

    def send(self, text: str, pid: str | None = None) -> ChatReply:
        return self.chat.handle(ChatMessage(
            channel=self.channel, provider_message_id=pid or f"{self.channel}-{next(self.ids)}",
            sender=self.sender, text=text, multi_part_text=self.multi_part))


@pytest.fixture
def chat(runtime: Runtime) -> ChatService:
    return ChatService(runtime, SCRIPT)


@pytest.fixture
def person(chat: ChatService) -> Person:
    return Person(chat)


def ask(step_id: str, language: str = "en") -> str:
    step = SCRIPT.steps[step_id]
    if step.kind == "service":
        menu = SCRIPT.menu(language, "service", SCRIPT.conversation.service_menu)
        return SCRIPT.prompt(language, step.prompt, menu=menu)
    if not step.options:
        return SCRIPT.prompt(language, step.prompt, org="Involve")
    return SCRIPT.prompt(language, step.prompt, menu=SCRIPT.menu(language, step_id, step.options))


def signposting_events(runtime: Runtime) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == SIGNPOSTED)
                                    .order_by(AuditEvent.id)))


def conversation_ids(runtime: Runtime) -> list[int]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Conversation.id).order_by(Conversation.id)))


# -- the prompt --------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "ur", "pl"])
def test_the_signposting_names_999_nhs_111_and_samaritans(language: str) -> None:
    text = SIGNPOST[language]
    assert "999" in text and "NHS 111" in text and "116 123" in text and "Samaritans" in text


# -- when it is given ----------------------------------------------------------------------------
def test_a_risky_first_message_gets_signposting_before_the_next_question(
        runtime: Runtime, person: Person) -> None:
    reply = person.send(RISKY)
    assert reply.replies == (SIGNPOST["en"], "Is this about GP? Reply YES or NO.")
    [event] = signposting_events(runtime)
    [conversation_id] = conversation_ids(runtime)
    assert (event.entity_type, event.entity_id) == ("conversation", str(conversation_id))
    assert event.details["flags"] == ["abuse-neglect"]
    assert (event.details["channel"], event.details["language"]) == ("sms", "en")
    assert RISKY not in str(event.details)


def test_the_conversation_carries_on_and_its_feedback_is_flagged(
        runtime: Runtime, person: Person) -> None:
    person.send(RISKY)
    assert person.send("YES").replies == (ask("rating"),)
    assert person.send("5").replies == (ask("needs"),)
    assert person.send("SKIP").replies == (ask("contact"),)
    done = person.send("NO")
    assert done.reference is not None
    assert done.replies == (SCRIPT.prompt("en", "thanks", reference=done.reference),)
    with runtime.sessions() as session:
        feedback = session.scalar(select(Feedback))
        assert feedback is not None
        flags = {(t.value, t.evidence) for t in feedback.tags if t.kind == "flag"}
    assert flags == {("abuse-neglect", "hits me")}


def test_signposting_is_given_at_most_once_per_conversation(runtime: Runtime, person: Person) -> None:
    first = person.send(RISKY)
    assert first.replies[0] == SIGNPOST["en"]
    again = person.send("I can't breathe when I think about going home")
    assert again.replies == (SCRIPT.prompt("en", "reprompt_yes_no"),)  # kept as feedback
    assert SIGNPOST["en"] not in person.send("YES").replies
    assert len(signposting_events(runtime)) == 1


def test_a_risky_answer_later_in_the_conversation_is_signposted(runtime: Runtime, person: Person) -> None:
    assert person.send("Hi").replies == (ask("feedback"),)
    reply = person.send("I have chest pain right now and the surgery is closed")
    assert reply.replies[0] == SIGNPOST["en"]
    assert len(reply.replies) == 2 and reply.replies[1] != SIGNPOST["en"]
    assert [e.details["flags"] for e in signposting_events(runtime)] == [["emergency-now"]]


@pytest.mark.parametrize(("text", "language"), [(URDU_RISKY, "ur"), (POLISH_RISKY, "pl")])
def test_signposting_is_in_the_persons_language(runtime: Runtime, person: Person, text: str,
                                               language: str) -> None:
    reply = person.send(text)
    assert reply.replies[0] == SIGNPOST[language]
    assert reply.replies[1] == ask("about", language) + " " + SCRIPT.prompt(language, "switch_hint")
    [event] = signposting_events(runtime)
    assert event.details["language"] == language
    assert event.details["flags"] == ["suicide-self-harm"]


def test_a_chosen_language_is_used_for_signposting(person: Person) -> None:
    person.send("POLSKI")
    assert person.send("Mój mąż mnie bije").replies[0] == SIGNPOST["pl"]


@pytest.mark.parametrize("text", [
    "I'm not suicidal, just fed up with waiting for the GP",
    "The GP was lovely and the nurse explained everything",
    "There was no abuse, just a very long wait",
])
def test_no_signposting_without_a_risk(runtime: Runtime, person: Person, text: str) -> None:
    reply = person.send(text)
    assert SIGNPOST["en"] not in reply.replies
    assert signposting_events(runtime) == []


def test_past_risk_is_signposted_too(person: Person) -> None:
    # Misses are worse than false alarms: a past overdose still gets the numbers.
    assert person.send("I took an overdose last year and the GP never followed it up"
                       ).replies[0] == SIGNPOST["en"]


def test_a_free_text_opt_out_with_a_risk_is_signposted_and_still_stops(
        runtime: Runtime, person: Person) -> None:
    person.send("Hi")
    reply = person.send("stop texting me I want to die")
    assert reply.replies == (SIGNPOST["en"], SCRIPT.prompt("en", "opted_out", org="Involve"))
    [event] = signposting_events(runtime)
    assert event.entity_type == "conversation"


def test_the_thanks_follows_the_signposting_when_the_conversation_ends(
        runtime: Runtime, person: Person) -> None:
    for text in ("The GP never calls back", "YES", "2", "SKIP"):
        person.send(text)
    assert person.send("maybe").replies == (SCRIPT.prompt("en", "reprompt_yes_no"),)
    last = person.send("I just want to end it all, nobody listens to me")
    assert last.reference is not None
    assert last.replies == (SIGNPOST["en"], SCRIPT.prompt("en", "thanks", reference=last.reference))


def test_a_repeated_delivery_repeats_the_signposting_without_a_second_record(
        runtime: Runtime, person: Person) -> None:
    first = person.send(RISKY, pid="SM-risky")
    again = person.send(RISKY, pid="SM-risky")
    assert again.duplicate and again.replies == first.replies
    assert again.replies[0] == SIGNPOST["en"]
    assert len(signposting_events(runtime)) == 1


def test_a_new_conversation_is_signposted_again(runtime: Runtime, person: Person) -> None:
    person.send(RISKY)
    runtime.intake.clock = lambda: FIXED_NOW + IDLE + timedelta(minutes=1)
    assert person.send(RISKY).replies[0] == SIGNPOST["en"]
    assert [e.entity_id for e in signposting_events(runtime)] == [str(i) for i in conversation_ids(runtime)]
    assert len(conversation_ids(runtime)) == 2


def test_an_opted_out_person_gets_no_reply_but_the_item_is_flagged(
        runtime: Runtime, person: Person) -> None:
    person.send("STOP")
    reply = person.send("He hits me every night and I cannot get away")
    assert reply.replies == ()
    assert signposting_events(runtime) == []
    with runtime.sessions() as session:
        [feedback] = session.scalars(select(Feedback)).all()
        assert {t.value for t in feedback.tags if t.kind == "flag"} == {"abuse-neglect"}


def test_telegram_comments_in_parts_are_each_checked(runtime: Runtime, chat: ChatService) -> None:
    person = Person(chat, channel="telegram", sender="4242", multi_part=True)
    person.send("Hi")
    assert person.send("The clinic cancelled again").replies == (SCRIPT.prompt("en", "ask_more"),)
    assert person.send("and honestly I want to die").replies == (
        SIGNPOST["en"], SCRIPT.prompt("en", "ask_more"))
    [event] = signposting_events(runtime)
    assert event.details["channel"] == "telegram"

"""The pure conversation engine, driven with the real script and deterministic stand-ins for language
detection, service inference and consultation look-ups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.engine import ConsultationEntry, Engine, EngineContext, Outcome
from bot.script import Script, load_script
from bot.state import CONFIRM_SERVICE, ChatState

SCRIPT = load_script()
ORG = "Involve"
MAX_TEXT = 5000
URDU_FEEDBACK = "ڈاکٹر نے میری بات نہیں سنی اور مجھے بہت انتظار کرنا پڑا"
GP_FEEDBACK = "My GP surgery never answers the phone"
PLAIN_FEEDBACK = "The receptionist was rude to my mum"
MATERNITY = ConsultationEntry("maternity-services-2026", {
    "en": "Tell us about your maternity care. What went well, and what could be better?",
    "ur": "اپنی زچگی کی دیکھ بھال کے بارے میں بتائیں۔",
})


def english(text: str) -> tuple[str, float]:
    return "en", 0.99


def urdu_if_arabic_script(text: str) -> tuple[str, float]:
    return ("ur", 0.99) if any("\u0600" <= c <= "\u06ff" for c in text) else ("en", 0.99)


def services_by_keyword(text: str) -> list[tuple[str, float]]:
    """Confident about a GP, unsure about a chemist, nothing otherwise."""
    lowered = text.casefold()
    guesses = []
    if "gp" in lowered.split() or "ڈاکٹر" in text:
        guesses.append(("gp", 0.9))
    if "chemist" in lowered:
        guesses.append(("pharmacy", 0.4))
    if "midwife" in lowered:
        guesses.append(("maternity", 0.95))
    return guesses


def label(language: str, service: str) -> str:
    return SCRIPT.languages[language].menus["service"].get(service, service)


def make_engine(detect: Callable[[str], tuple[str, float]] = english,
                consultation: ConsultationEntry | None = None,
                script: Script = SCRIPT) -> Engine:
    def by_keyword(text: str) -> ConsultationEntry | None:
        return consultation if consultation and text.strip().casefold() == "baby" else None

    def by_slug(slug: str) -> ConsultationEntry | None:
        return consultation if consultation and slug == consultation.slug else None

    return Engine(EngineContext(
        script=script, detect_language=detect, infer_services=services_by_keyword,
        service_label=label, consultation_for_keyword=by_keyword, consultation_by_slug=by_slug,
        max_text_length=MAX_TEXT, interpreter_languages=frozenset({"ur", "pl"})))


def prompt(key: str, language: str = "en", **values: object) -> str:
    return SCRIPT.prompt(language, key, **values)


def question(step_id: str, language: str = "en") -> str:
    """The question the shipped script asks for ``step_id``, with its menu."""
    conversation = SCRIPT.conversation
    if step_id == "about":
        menu = SCRIPT.menu(language, "service", conversation.service_menu)
        return prompt("ask_service", language, menu=menu)
    if step_id == "feedback":
        return prompt("ask_feedback", language, org=ORG)
    step = SCRIPT.steps[step_id]
    if step.options:
        return prompt(step.prompt, language, menu=SCRIPT.menu(language, step_id, step.options))
    return prompt(step.prompt, language)


def at_step(step_id: str, language: str = "en", **fields: object) -> ChatState:
    """A conversation waiting for ``step_id`` with every earlier step done."""
    order = [step.id for step in SCRIPT.conversation.steps]
    done = tuple(order[:order.index(step_id)])
    return ChatState(language=language, step=step_id, done=done, **fields)  # type: ignore[arg-type]


def run(engine: Engine, state: ChatState, *answers: str) -> Outcome:
    outcome = Outcome(state, ())
    for text in answers:
        outcome = engine.answer(outcome.state, text)
    return outcome


# -- starting -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Hi", "hello there", "Hi!"])
def test_a_greeting_asks_for_feedback_first(text: str) -> None:
    outcome = make_engine().begin(text)
    assert outcome.replies == (question("feedback"),)
    assert outcome.replies[0].startswith("Thank you for contacting NHS Involve.")
    assert outcome.state.step == "feedback"
    assert outcome.state.texts == () and outcome.state.done == ()
    assert not outcome.finished


def test_after_a_greeting_the_feedback_is_taken_and_the_service_asked() -> None:
    engine = make_engine()
    outcome = engine.answer(engine.begin("Hi").state, PLAIN_FEEDBACK)
    assert outcome.state.texts == (PLAIN_FEEDBACK,)
    assert outcome.state.done == ("feedback",)
    assert outcome.state.step == "about"
    assert outcome.replies == (question("about"),)


def test_a_first_message_that_is_feedback_skips_the_feedback_question() -> None:
    outcome = make_engine().begin(PLAIN_FEEDBACK)
    assert outcome.state.texts == (PLAIN_FEEDBACK,)
    assert "feedback" in outcome.state.done
    assert outcome.state.step == "about"
    assert outcome.replies == (question("about"),)
    assert outcome.replies[0].startswith("Which service is it about? 1 GP 2 Hospital clinic")


def test_a_service_inferred_with_confidence_is_confirmed_not_asked() -> None:
    outcome = make_engine().begin(GP_FEEDBACK)
    assert outcome.state.step == CONFIRM_SERVICE
    assert outcome.state.pending_service == "gp"
    assert outcome.replies == ("Is this about GP? Reply YES or NO.",)


def test_a_service_inferred_without_confidence_is_asked() -> None:
    outcome = make_engine().begin("The chemist had run out of my tablets")
    assert outcome.state.pending_service is None
    assert outcome.replies == (question("about"),)


@pytest.mark.parametrize("yes", ["YES", "yes", "Y", "ok", "Yes."])
def test_yes_confirms_the_inferred_service(yes: str) -> None:
    engine = make_engine()
    outcome = engine.answer(engine.begin(GP_FEEDBACK).state, yes)
    assert outcome.state.services == ("gp",)
    assert outcome.state.pending_service is None
    assert outcome.state.step == "rating"
    assert outcome.replies == (question("rating"),)
    assert set(outcome.state.done) == {"feedback", "about"}


@pytest.mark.parametrize("no", ["NO", "no", "nope", "N"])
def test_no_to_the_inferred_service_shows_the_numbered_menu(no: str) -> None:
    engine = make_engine()
    outcome = engine.answer(engine.begin(GP_FEEDBACK).state, no)
    assert outcome.state.services == ()
    assert outcome.state.pending_service is None
    assert outcome.state.step == "about"
    assert outcome.replies == (question("about"),)
    chosen = engine.answer(outcome.state, "6")
    assert chosen.state.services == ("dental",)
    assert chosen.state.step == "rating"


def test_an_unclear_answer_to_the_confirmation_is_reprompted_as_yes_no() -> None:
    engine = make_engine()
    outcome = engine.answer(engine.begin(GP_FEEDBACK).state, "maybe")
    assert outcome.replies == (prompt("reprompt_yes_no"),)
    assert outcome.state.step == CONFIRM_SERVICE and outcome.state.reprompts == 1
    assert outcome.state.texts == (GP_FEEDBACK,)


@pytest.mark.parametrize(("answer", "service"), [
    ("1", "gp"), ("2", "hospital-outpatients"), (" 9 ", "other"), ("۲", "hospital-outpatients"),
    ("Dentist", "dental"), ("a&e", "a-and-e"), ("Mental health.", "mental-health"),
    ("the chemist on the high street", "pharmacy"),
])
def test_a_service_chosen_by_number_or_typed_in_words(answer: str, service: str) -> None:
    outcome = make_engine().answer(ChatState(language="en", step="about", done=("feedback",)), answer)
    assert outcome.state.services == (service,)
    assert outcome.state.step == "rating"


@pytest.mark.parametrize("answer", ["0", "10", "1 2", "banana"])
def test_a_service_answer_that_does_not_fit_is_reprompted_with_the_menu_size(answer: str) -> None:
    outcome = make_engine().answer(ChatState(language="en", step="about", done=("feedback",)), answer)
    assert outcome.replies == ("Sorry, please reply with a number from 1 to 9, or SKIP.",)
    assert outcome.state.services == () and outcome.state.step == "about"


# -- skipping -----------------------------------------------------------------------------------

def test_skip_at_every_step_moves_on_and_then_finishes() -> None:
    engine = make_engine()
    outcome = engine.begin("Hi")
    asked = [outcome.replies]
    for _ in range(5):
        outcome = engine.answer(outcome.state, "SKIP")
        asked.append(outcome.replies)
    assert asked == [(question("feedback"),), (question("about"),), (question("rating"),),
                     (question("needs"),), (question("contact"),), ()]
    assert outcome.finished
    assert outcome.state.step is None
    assert set(outcome.state.done) == {"feedback", "about", "rating", "needs", "contact"}
    assert not outcome.state.has_content


@pytest.mark.parametrize(("language", "skip"), [("en", "skip"), ("en", "Skip."), ("en", "pass"),
                                                ("ur", "چھوڑیں"), ("ur", "SKIP"), ("pl", "pomiń")])
def test_skip_words_in_the_conversations_language_and_in_english(language: str, skip: str) -> None:
    outcome = make_engine().answer(at_step("rating", language), skip)
    assert outcome.state.fft_rating is None
    assert outcome.state.step == "needs"
    assert outcome.replies == (question("needs", language),)


def test_skip_at_the_confirmation_skips_the_service() -> None:
    engine = make_engine()
    outcome = engine.answer(engine.begin(GP_FEEDBACK).state, "SKIP")
    assert outcome.state.services == () and outcome.state.pending_service is None
    assert outcome.state.step == "rating"


# -- the answers --------------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "rating"), [
    ("1", "very-good"), ("2", "good"), ("6", "dont-know"), ("۲", "good"), ("٥", "very-poor"),
    ("Very good", "very-good"), ("poor", "poor"), ("Don't know", "dont-know"),
    ("neither good nor poor!", "neither-good-nor-poor"),
])
def test_rating_by_number_or_by_label(answer: str, rating: str) -> None:
    outcome = make_engine().answer(at_step("rating"), answer)
    assert outcome.state.fft_rating == rating
    assert outcome.state.step == "needs"
    assert outcome.replies == (question("needs"),)


@pytest.mark.parametrize(("answer", "rating"), [("بہت اچھا", "very-good"), ("Good", "good"), ("۴", "poor")])
def test_rating_in_an_urdu_conversation(answer: str, rating: str) -> None:
    outcome = make_engine().answer(at_step("rating", "ur"), answer)
    assert outcome.state.fft_rating == rating
    assert outcome.replies == (question("needs", "ur"),)


def test_urdu_digits_read_as_numbers() -> None:
    outcome = make_engine().answer(at_step("rating", "ur"), "۲")
    assert outcome.state.fft_rating == "good"
    needs = make_engine().answer(at_step("needs", "ur"), "۱ ۳")
    assert needs.state.needs == ("interpreter:ur", "easy-read")


@pytest.mark.parametrize("answer", ["7", "0", "1 2", "great"])
def test_a_rating_that_does_not_fit_is_reprompted(answer: str) -> None:
    outcome = make_engine().answer(at_step("rating"), answer)
    assert outcome.replies == ("Sorry, please reply with a number from 1 to 6, or SKIP.",)
    assert outcome.state.fft_rating is None
    assert outcome.state.step == "rating" and outcome.state.reprompts == 1


@pytest.mark.parametrize(("answer", "needs"), [
    ("1 3", ("interpreter", "easy-read")),
    ("1, 3", ("interpreter", "easy-read")),
    ("3 1 3", ("easy-read", "interpreter")),
    ("2", ("bsl-interpreter",)),
    ("4 5", ("large-print", "braille-grade-2")),
    ("6", ()),
    ("None", ()),
    ("Easy read", ("easy-read",)),
])
def test_needs_by_numbers_or_label(answer: str, needs: tuple[str, ...]) -> None:
    outcome = make_engine().answer(at_step("needs"), answer)
    assert outcome.state.needs == needs
    assert "needs" in outcome.state.done
    assert outcome.state.step == "contact"
    assert outcome.replies == (question("contact"),)


def test_an_interpreter_in_an_urdu_conversation_is_an_urdu_interpreter() -> None:
    outcome = make_engine().answer(at_step("needs", "ur"), "1")
    assert outcome.state.needs == ("interpreter:ur",)
    assert outcome.replies == (question("contact", "ur"),)


def test_an_interpreter_names_the_language_only_where_interpreters_are_configured() -> None:
    engine = make_engine()
    assert engine.answer(at_step("needs", "pl"), "1").state.needs == ("interpreter:pl",)
    assert engine.answer(at_step("needs", "en"), "1").state.needs == ("interpreter",)


@pytest.mark.parametrize(("answer", "contact"), [("YES", True), ("y", True), ("ok", True), ("NO", False),
                                                 ("no thanks", False), ("N", False)])
def test_contact_yes_or_no(answer: str, contact: bool) -> None:
    outcome = make_engine().answer(at_step("contact"), answer)
    assert outcome.state.contact is contact


@pytest.mark.parametrize(("answer", "contact"), [("ہاں", True), ("جی ہاں", True), ("نہیں", False),
                                                 ("yes", True)])
def test_contact_yes_or_no_in_urdu(answer: str, contact: bool) -> None:
    assert make_engine().answer(at_step("contact", "ur"), answer).state.contact is contact


def test_the_last_answer_finishes_without_replies() -> None:
    outcome = make_engine().answer(at_step("contact", texts=("The nurse was kind",)), "YES")
    assert outcome.finished
    assert outcome.replies == ()
    assert outcome.state.step is None
    assert outcome.state.contact is True
    assert outcome.state.done[-1] == "contact"


def test_a_whole_conversation_collects_every_answer() -> None:
    engine = make_engine()
    outcome = engine.begin(GP_FEEDBACK)
    outcome = run(engine, outcome.state, "YES", "2", "1 3", "NO")
    assert outcome.finished and outcome.replies == ()
    state = outcome.state
    assert (state.texts, state.services, state.fft_rating, state.needs, state.contact) == (
        (GP_FEEDBACK,), ("gp",), "good", ("interpreter", "easy-read"), False)


def test_answering_after_the_end_finishes_again_quietly() -> None:
    engine = make_engine()
    finished = engine.answer(at_step("contact"), "YES")
    again = engine.answer(finished.state, "Hello?")
    assert again.finished and again.replies == ()


# -- answers that do not fit ----------------------------------------------------------------------

@pytest.mark.parametrize(("step_id", "reprompt"), [
    ("rating", "Sorry, please reply with a number from 1 to 6, or SKIP."),
    ("needs", "Sorry, please reply with a number from 1 to 6, or SKIP."),
    ("contact", "Sorry, please reply YES or NO, or SKIP."),
    ("about", "Sorry, please reply with a number from 1 to 9, or SKIP."),
])
def test_an_unfit_answer_is_reprompted_once_then_the_step_is_skipped(step_id: str, reprompt: str) -> None:
    engine = make_engine()
    state = at_step(step_id)
    first = engine.answer(state, "banana")
    assert first.replies == (reprompt,)
    assert first.state.step == step_id and first.state.reprompts == 1
    assert step_id not in first.state.done
    second = engine.answer(first.state, "banana")
    assert step_id in second.state.done
    assert second.state.reprompts == 0
    assert second.state.texts == ()
    assert (second.state.fft_rating, second.state.needs, second.state.contact, second.state.services) == (
        None, (), None, ())
    if step_id == "contact":
        assert second.finished and second.replies == ()
    else:
        following = next(s.id for s in SCRIPT.conversation.steps if s.id not in second.state.done)
        assert second.state.step == following
        assert second.replies == (question(following),)


def test_the_reprompt_count_starts_again_at_the_next_step() -> None:
    engine = make_engine()
    outcome = run(engine, at_step("rating"), "banana", "banana", "banana")
    assert outcome.state.step == "needs"
    assert outcome.state.reprompts == 1
    assert outcome.replies == ("Sorry, please reply with a number from 1 to 6, or SKIP.",)


def test_an_empty_feedback_answer_is_reprompted_for_words() -> None:
    outcome = make_engine().answer(make_engine().begin("Hi").state, "   ")
    assert outcome.replies == (prompt("reprompt_text"),)
    assert outcome.state.step == "feedback" and outcome.state.texts == ()


def test_a_long_unfit_answer_at_the_rating_step_is_kept_as_more_feedback() -> None:
    extra = "It was fine but the wait was far too long"
    state = at_step("rating", texts=("The clinic ran late",))
    outcome = make_engine().answer(state, f"  {extra} ")
    assert outcome.state.texts == ("The clinic ran late", extra)
    assert outcome.state.fft_rating is None
    assert outcome.replies == ("Sorry, please reply with a number from 1 to 6, or SKIP.",)
    skipped = make_engine().answer(outcome.state, "and the car park was full")
    assert skipped.state.texts == ("The clinic ran late", extra, "and the car park was full")
    assert skipped.state.step == "needs"


def test_a_short_unfit_answer_is_not_kept_as_feedback() -> None:
    outcome = make_engine().answer(at_step("rating", texts=("The clinic ran late",)), "meh ok")
    assert outcome.state.texts == ("The clinic ran late",)


def test_an_over_long_feedback_answer_gets_the_too_long_prompt_with_the_numbers() -> None:
    engine = make_engine()
    state = engine.begin("Hi").state
    outcome = engine.answer(state, "word " * 1001)
    assert outcome.replies == (
        "Sorry, that is too long for us (5,004 characters, limit 5,000). Please send a shorter message.",)
    assert outcome.state.texts == ()
    assert outcome.state.step == "feedback" and outcome.state.reprompts == 1
    shorter = engine.answer(outcome.state, PLAIN_FEEDBACK)
    assert shorter.state.texts == (PLAIN_FEEDBACK,)


def test_feedback_exactly_at_the_limit_is_accepted() -> None:
    text = "a" * MAX_TEXT
    outcome = make_engine().answer(make_engine().begin("Hi").state, text)
    assert outcome.state.texts == (text,)
    assert outcome.state.step == "about"


def test_an_over_long_first_message_gets_the_too_long_prompt() -> None:
    outcome = make_engine().begin("word " * 1001)
    assert outcome.replies == (
        "Sorry, that is too long for us (5,004 characters, limit 5,000). Please send a shorter message.",)
    assert outcome.state.texts == ()


# -- languages ----------------------------------------------------------------------------------

def test_a_first_message_detected_as_urdu_is_answered_in_urdu_with_the_switch_hint() -> None:
    outcome = make_engine(detect=urdu_if_arabic_script).begin(URDU_FEEDBACK)
    assert outcome.state.language == "ur"
    assert not outcome.state.language_chosen
    assert outcome.state.pending_service == "gp"
    assert outcome.replies == (
        prompt("confirm_service", "ur", service="جی پی") + " For English reply ENGLISH.",)


def test_the_switch_hint_comes_only_with_the_first_reply() -> None:
    engine = make_engine(detect=urdu_if_arabic_script)
    outcome = engine.answer(engine.begin(URDU_FEEDBACK).state, "ہاں")
    assert outcome.state.services == ("gp",)
    assert outcome.replies == (question("rating", "ur"),)
    assert "ENGLISH" not in outcome.replies[0]


@pytest.mark.parametrize(("confidence", "text"), [
    (0.5, URDU_FEEDBACK),           # not sure enough
    (0.89, URDU_FEEDBACK),
    (0.99, "وہ نہیں آیا"),            # three words, but too few letters to go on
])
def test_an_uncertain_language_guess_stays_english(confidence: float, text: str) -> None:
    engine = make_engine(detect=lambda _text: ("ur", confidence))
    outcome = engine.begin(text)
    assert outcome.state.language == "en"
    assert all("ENGLISH" not in reply for reply in outcome.replies)
    assert outcome.replies[0].isascii()


def test_a_detected_language_without_prompts_stays_english() -> None:
    outcome = make_engine(detect=lambda _text: ("pa", 0.99)).begin(PLAIN_FEEDBACK)
    assert outcome.state.language == "en"
    assert outcome.replies == (question("about"),)


def test_feedback_after_a_greeting_can_switch_the_language() -> None:
    engine = make_engine(detect=urdu_if_arabic_script)
    outcome = engine.answer(engine.begin("Hi").state, URDU_FEEDBACK)
    assert outcome.state.language == "ur"
    assert outcome.replies == (prompt("confirm_service", "ur", service="جی پی"),)


def test_a_chosen_language_is_never_overridden_by_detection() -> None:
    engine = make_engine(detect=lambda _text: ("ur", 0.99))
    outcome = engine.answer(engine.greet("pl").state, URDU_FEEDBACK)
    assert outcome.state.language == "pl"


def test_greet_starts_in_the_chosen_language_without_a_hint() -> None:
    outcome = make_engine().greet("pl")
    assert outcome.state.language == "pl" and outcome.state.language_chosen
    assert outcome.state.step == "feedback"
    assert outcome.replies == (question("feedback", "pl"),)
    assert outcome.replies[0].startswith("Dziękujemy za kontakt z NHS Involve.")
    assert "ENGLISH" not in outcome.replies[0]


@pytest.mark.parametrize("step_id", ["about", "rating", "needs", "contact"])
def test_repeat_after_switching_language_asks_the_same_step_again(step_id: str) -> None:
    state = at_step(step_id, texts=("The clinic ran late",))
    switched = replace(state, language="ur", language_chosen=True)
    outcome = make_engine().repeat(switched)
    assert outcome.state.step == step_id
    assert outcome.replies == (question(step_id, "ur"),)


def test_repeat_at_the_feedback_question_asks_for_feedback_in_the_new_language() -> None:
    engine = make_engine()
    state = engine.begin("Hi").state
    outcome = engine.repeat(replace(state, language="pl", language_chosen=True))
    assert outcome.replies == (question("feedback", "pl"),)
    assert outcome.state.step == "feedback"


def test_repeat_of_a_pending_confirmation_asks_it_in_the_new_language() -> None:
    engine = make_engine()
    state = engine.begin(GP_FEEDBACK).state
    outcome = engine.repeat(replace(state, language="pl", language_chosen=True))
    assert outcome.replies == ("Czy chodzi o: Lekarz rodzinny? Odpowiedz YES lub NO.",)
    assert outcome.state.step == CONFIRM_SERVICE


# -- consultations ------------------------------------------------------------------------------

def test_a_consultation_keyword_asks_the_consultations_own_question() -> None:
    outcome = make_engine(consultation=MATERNITY).begin("BABY")
    assert outcome.replies == (MATERNITY.questions["en"],)
    assert outcome.state.consultation == MATERNITY.slug
    assert outcome.state.step == "feedback"
    assert outcome.state.texts == ()


def test_a_consultation_conversation_never_asks_the_service() -> None:
    engine = make_engine(consultation=MATERNITY)
    outcome = engine.begin("baby")
    replies = list(outcome.replies)
    outcome = engine.answer(outcome.state, "The midwife was lovely but the ward was noisy")
    replies.extend(outcome.replies)
    assert outcome.state.pending_service is None
    assert outcome.state.step == "rating"
    outcome = run(engine, outcome.state, "1")
    replies.extend(outcome.replies)
    outcome = run(engine, outcome.state, "SKIP")
    replies.extend(outcome.replies)
    outcome = run(engine, outcome.state, "NO")
    assert outcome.finished
    assert replies == [MATERNITY.questions["en"], question("rating"), question("needs"), question("contact")]
    assert outcome.state.services == ()
    assert outcome.state.consultation == MATERNITY.slug
    assert outcome.state.fft_rating == "very-good"


def test_the_consultation_question_follows_a_language_switch() -> None:
    engine = make_engine(consultation=MATERNITY)
    state = engine.begin("BABY").state
    outcome = engine.repeat(replace(state, language="ur", language_chosen=True))
    assert outcome.replies == (MATERNITY.questions["ur"],)
    polish = engine.repeat(replace(state, language="pl", language_chosen=True))
    assert polish.replies == (MATERNITY.questions["en"],)


def test_a_word_that_is_not_a_keyword_is_an_ordinary_start() -> None:
    outcome = make_engine(consultation=MATERNITY).begin("Hello")
    assert outcome.state.consultation is None
    assert outcome.replies == (question("feedback"),)

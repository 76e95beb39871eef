"""The conversation engine: state + what the person said -> new state + replies. Pure.

The steps and their order come from ``conversation.toml``. The engine asks only what is still
missing: a first message that is already feedback is kept as feedback, a service inferred with
confidence is confirmed rather than asked, SKIP skips, and an answer that does not fit gets one
short re-prompt before the conversation moves on (never a dead end).

    (start) --first message--> [feedback already given?] --> confirm-service | about
    about -> feedback -> rating -> needs -> contact -> (finished: thanks + reference)
    any step --SKIP--> next step;  any step --unfit answer--> re-prompt -> next step
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from bot.script import Script, Step
from bot.state import CONFIRM_SERVICE, FEEDBACK_JOIN, ChatState


@dataclass(frozen=True)
class ConsultationEntry:
    """What the engine needs of a consultation reached by its keyword."""

    slug: str
    questions: Mapping[str, str]


@dataclass(frozen=True)
class EngineContext:
    """The engine's window on the world, as plain functions and data (swapped in tests)."""

    script: Script
    detect_language: Callable[[str], tuple[str, float]]
    infer_services: Callable[[str], list[tuple[str, float]]]
    service_label: Callable[[str, str], str]
    consultation_for_keyword: Callable[[str], ConsultationEntry | None]
    consultation_by_slug: Callable[[str], ConsultationEntry | None]
    max_text_length: int
    interpreter_languages: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Outcome:
    state: ChatState
    replies: tuple[str, ...]
    finished: bool = False


@dataclass(frozen=True)
class Choice:
    """A ready-made answer to the current question: channels with buttons show ``label`` and
    send back ``answer`` as if the person had typed it."""

    label: str
    answer: str


SHORT_REPLY_WORDS = 3


def _digits(text: str) -> str:
    """Read any script's digits (Urdu ۱۲۳, Arabic ١٢٣) as 0-9."""
    return "".join(str(unicodedata.digit(c)) if unicodedata.digit(c, None) is not None else c
                   for c in text)


def _numbers(text: str) -> list[int] | None:
    parts = [p for p in re.split(r"[\s,;.&+]+|\band\b", _digits(text).strip()) if p]
    if not parts or not all(p.isdecimal() for p in parts):
        return None
    return [int(p) for p in parts]


def _word(text: str) -> str:
    return re.sub(r"^[\W_]+|[\W_]+$", "", text.strip()).casefold()


def _in(text: str, words: tuple[str, ...]) -> bool:
    """The answer is one of ``words``, or starts with one in a short reply ("yes please")."""
    known = {w.casefold() for w in words}
    answer = _word(text)
    first = answer.split()[0] if answer.split() else ""
    return answer in known or (len(answer.split()) <= SHORT_REPLY_WORDS and first in known)


class Engine:
    """``multi_part`` is for channels where people send a comment in several messages (Telegram):
    the feedback question then stays open until they say they are done."""

    def __init__(self, context: EngineContext, multi_part: bool = False) -> None:
        self.ctx = context
        self.script = context.script
        self.detection = context.script.conversation.detection
        self.multi_part = multi_part

    # -- what to ask ---------------------------------------------------------------------
    def _words(self, state: ChatState, kind: str) -> tuple[str, ...]:
        mine = getattr(self.script.languages[state.language].words, kind)
        english = getattr(self.script.languages[self.script.default_language].words, kind)
        return (*mine, *english)

    def _question(self, state: ChatState, step: Step) -> str:
        lang = state.language
        if step.kind == "service" and state.pending_service:
            return self.script.prompt(lang, "confirm_service",
                                      service=self.ctx.service_label(lang, state.pending_service))
        if step.kind == "service":
            menu = self.script.menu(lang, "service", self.script.conversation.service_menu)
            return self.script.prompt(lang, step.prompt, menu=menu)
        if step.id == "feedback" and state.consultation:
            entry = self.ctx.consultation_by_slug(state.consultation)
            if entry is not None:
                return entry.questions.get(lang) or entry.questions.get(
                    self.script.default_language) or next(iter(entry.questions.values()))
        if step.options:
            return self.script.prompt(lang, step.prompt,
                                      menu=self.script.menu(lang, step.id, step.options))
        return self.script.prompt(lang, step.prompt, org=self.script.conversation.organisation.name)

    def ask_next(self, state: ChatState, first: bool = False) -> Outcome:
        for step in self.script.conversation.steps:
            if step.id in state.done:
                continue
            step_id = CONFIRM_SERVICE if step.kind == "service" and state.pending_service else step.id
            state = replace(state, step=step_id)
            return Outcome(state, (self._with_hint(state, self._question(state, step), first),))
        return Outcome(replace(state, step=None), (), finished=True)

    def _with_hint(self, state: ChatState, question: str, first: bool) -> str:
        """The first reply in another language says how to switch to English."""
        hint = self.script.prompt(state.language, "switch_hint")
        return f"{question} {hint}" if first and hint else question

    def repeat(self, state: ChatState) -> Outcome:
        """Ask the current question again (after a language change, for example)."""
        if state.step == "feedback" and "feedback" not in state.done:
            return Outcome(state, (self._question(state, self.script.steps["feedback"]),))
        return self.ask_next(state)

    # -- starting ------------------------------------------------------------------------
    def begin(self, text: str, language_hint: str | None = None) -> Outcome:
        """Start a conversation. ``language_hint`` (a messaging app's interface language) is
        used only when the text itself does not say which language it is."""
        hinted = language_hint if language_hint in self.script.languages else None
        state = ChatState(language=hinted or self.script.default_language)
        entry = self.ctx.consultation_for_keyword(text)
        if entry is not None:
            return self.ask_next(replace(state, consultation=entry.slug, done=("about",)),
                                 first=True)
        if len(text.split()) < self.detection.feedback_min_words:
            return self._greeting(state)
        if not self._fits(state, text):
            greeting = self._greeting(state)
            return Outcome(greeting.state, (self._too_long(state, text),))
        state = self._infer(replace(state, texts=(text,), done=("feedback",)), text)
        return self.ask_next(state, first=True)

    def _infer(self, state: ChatState, text: str) -> ChatState:
        """From feedback text: its language (unless chosen) and a service to confirm (unless
        already known)."""
        code, confidence = self.ctx.detect_language(text)
        letters = sum(1 for c in text if unicodedata.category(c).startswith("L"))
        if (not state.language_chosen and code in self.script.languages
                and confidence >= self.detection.language_confidence
                and letters >= self.detection.language_min_letters):
            state = replace(state, language=code)
        if state.services or "about" in state.done or state.consultation:
            return state
        guesses = [s for s, conf in self.ctx.infer_services(text)
                   if conf >= self.detection.service_confidence]
        return replace(state, pending_service=guesses[0]) if guesses else state

    def greet(self, language: str) -> Outcome:
        """Start in the language the person asked for by name ("URDU", "اردو", "POLSKI")."""
        return self._greeting(ChatState(language=language, language_chosen=True))

    def _greeting(self, state: ChatState) -> Outcome:
        """A first message that is not feedback yet ("Hi"): ask what happened first; the other
        questions follow in their usual order."""
        state = replace(state, step="feedback")
        question = self._question(state, self.script.steps["feedback"])
        return Outcome(state, (self._with_hint(state, question, not state.language_chosen),))

    # -- answering -----------------------------------------------------------------------
    def answer(self, state: ChatState, text: str) -> Outcome:
        if state.step is None:
            return self.ask_next(state)
        step_id = "about" if state.step == CONFIRM_SERVICE else state.step
        step = self.script.steps[step_id]
        if _in(text, self._words(state, "skip")):
            return self.ask_next(self._complete(state, step_id))
        if step.kind == "text" and self.multi_part:
            return self._collect(state, step, text)
        updated = self._apply(state, step, text)
        if updated is not None:
            return self.ask_next(self._complete(updated, step_id))
        return self._reprompt(state, step, text)

    def _collect(self, state: ChatState, step: Step, text: str) -> Outcome:
        """Multi-part feedback: keep each message until the person says DONE."""
        if _in(text, self._words(state, "done")):
            if state.texts:
                return self.ask_next(self._complete(state, step.id))
            return Outcome(state, (self.script.prompt(state.language, "reprompt_text"),))
        updated = self._apply(state, step, text)
        if updated is None:
            return self._reprompt(state, step, text)
        return Outcome(replace(updated, reprompts=0),
                       (self.script.prompt(state.language, "ask_more"),))

    def choices(self, state: ChatState) -> tuple[Choice, ...]:
        """The ready-made answers to the question being asked, for channels with buttons."""
        if state.step is None:
            return ()
        buttons = self.script.languages[state.language].buttons
        skip = Choice(buttons.skip, "SKIP")
        if state.step == CONFIRM_SERVICE:
            return (Choice(buttons.yes, "YES"), Choice(buttons.no, "NO"), skip)
        step = self.script.steps[state.step]
        if step.kind == "yes-no":
            return (Choice(buttons.yes, "YES"), Choice(buttons.no, "NO"), skip)
        if step.kind == "text":
            return (Choice(buttons.done, "DONE"), skip) if self.multi_part and state.texts else (
                skip,)
        menu_name, options = (("service", self.script.conversation.service_menu)
                              if step.kind == "service" else (step.id, step.options))
        labels = self.script.languages[state.language].menus[menu_name]
        numbered = tuple(Choice(labels[option], str(number))
                         for number, option in enumerate(options, start=1))
        return (*numbered, skip)

    def _complete(self, state: ChatState, step_id: str) -> ChatState:
        pending = None if step_id == "about" else state.pending_service
        return replace(state, done=(*state.done, step_id), pending_service=pending, reprompts=0)

    def _apply(self, state: ChatState, step: Step, text: str) -> ChatState | None:
        """The state with this answer taken, or None if the answer does not fit."""
        if state.step == CONFIRM_SERVICE:
            if _in(text, self._words(state, "yes")):
                return replace(state, services=(state.pending_service or "",))
            return None  # NO is handled as a re-route to the menu in _reprompt
        if step.kind == "service":
            return self._service_answer(state, text)
        if step.kind == "text":
            stripped = text.strip()
            if not stripped or not self._fits(state, stripped):
                return None
            return self._infer(replace(state, texts=(*state.texts, stripped)), stripped)
        if step.kind == "yes-no":
            if _in(text, self._words(state, "yes")):
                return replace(state, contact=True)
            if _in(text, self._words(state, "no")):
                return replace(state, contact=False)
            return None
        choice = self._choices(state, step, text)
        if choice is None:
            return None
        if step.kind == "choice":
            return replace(state, fft_rating=choice[0]) if len(choice) == 1 else None
        needs = tuple(self._need(state, option) for option in choice if option != "none")
        return replace(state, needs=tuple(dict.fromkeys(needs)))

    def _service_answer(self, state: ChatState, text: str) -> ChatState | None:
        menu = self.script.conversation.service_menu
        numbers = _numbers(text)
        if numbers is not None:
            if len(numbers) == 1 and 1 <= numbers[0] <= len(menu):
                return replace(state, services=(menu[numbers[0] - 1],))
            return None
        labels = self.script.languages[state.language].menus["service"]
        for service, label in labels.items():
            if _word(text) == label.casefold():
                return replace(state, services=(service,))
        guesses = self.ctx.infer_services(text)
        return replace(state, services=(guesses[0][0],)) if guesses else None

    def _choices(self, state: ChatState, step: Step, text: str) -> list[str] | None:
        numbers = _numbers(text)
        if numbers is not None:
            if all(1 <= n <= len(step.options) for n in numbers):
                return [step.options[n - 1] for n in dict.fromkeys(numbers)]
            return None
        for language in dict.fromkeys((state.language, self.script.default_language)):
            labels = self.script.languages[language].menus[step.id]
            for option, label in labels.items():
                if _word(text) == label.casefold():
                    return [option]
        return None

    def _need(self, state: ChatState, option: str) -> str:
        """An interpreter asked for in an Urdu conversation is an Urdu interpreter."""
        if option == "interpreter" and state.language in self.ctx.interpreter_languages:
            return f"interpreter:{state.language}"
        return option

    def _reprompt(self, state: ChatState, step: Step, text: str) -> Outcome:
        # A longer message that does not answer the question is more feedback: keep it.
        kept = state
        if (step.kind != "text" and state.step != CONFIRM_SERVICE
                and len(text.split()) >= self.detection.feedback_min_words
                and self._fits(state, text.strip())):
            kept = replace(state, texts=(*state.texts, text.strip()))
        if state.step == CONFIRM_SERVICE and _in(text, self._words(state, "no")):
            return self.ask_next(replace(kept, pending_service=None, reprompts=0))
        if state.reprompts >= self.detection.max_reprompts:
            return self.ask_next(self._complete(kept, step.id))
        kept = replace(kept, reprompts=state.reprompts + 1)
        return Outcome(kept, (self._reprompt_text(kept, step, text),))

    def _fits(self, state: ChatState, text: str) -> bool:
        """Whether the feedback, with this text added, stays within the pipeline's limit."""
        return len(FEEDBACK_JOIN.join((*state.texts, text.strip()))) <= self.ctx.max_text_length

    def _too_long(self, state: ChatState, text: str) -> str:
        room = self.ctx.max_text_length - len(FEEDBACK_JOIN.join(state.texts)) - (
            len(FEEDBACK_JOIN) if state.texts else 0)
        return self.script.prompt(state.language, "too_long", length=f"{len(text.strip()):,}",
                                  limit=f"{max(room, 0):,}")

    def _reprompt_text(self, state: ChatState, step: Step, text: str) -> str:
        lang = state.language
        if step.kind == "text":
            if text.strip() and not self._fits(state, text.strip()):
                return self._too_long(state, text)
            return self.script.prompt(lang, "reprompt_text")
        if step.kind == "yes-no" or state.step == CONFIRM_SERVICE:
            return self.script.prompt(lang, "reprompt_yes_no")
        count = len(self.script.conversation.service_menu) if step.kind == "service" else len(
            step.options)
        return self.script.prompt(lang, "reprompt_number", max=count)

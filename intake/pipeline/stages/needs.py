"""Tag communication-support needs (Accessible Information Standard) with their SNOMED CT codes.

Explicit answers are recorded as the person's own; needs stated in the text are added as inferred,
unless negated before ("I don't need an interpreter") or after ("interpreter not needed"). A
spoken-language interpreter names its language when the text does ("my mum needs an Urdu
interpreter", "need someone who speaks Polish" -> ``interpreter:ur``, ``interpreter:pl``): a
language in the same clause first, else one close by in the same sentence ("my mum needs an
interpreter, she speaks Urdu").

The need is recorded, not the reason: "I'm deaf" or "she is blind" alone says that support may be
needed, not which, so it records no need (Accessible Information Standard: ask, then record).
"""

from __future__ import annotations

import re

from intake.config import Config
from intake.config.schema import NeedsFile
from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage
from intake.taggers.phrases import CLAUSE_BOUNDARY, NegationAfter, PhraseHit, built_once

NAME, VERSION = "needs", 2
TAGGER = f"{NAME}@{VERSION}"
INTERPRETER = "interpreter"
ASSESSMENT = "needs-assessment"
INTERPRETER_PREFIX = "interpreter:"
TEXT_CONFIDENCE = 0.8
# How close (in characters) a language name in another clause of the sentence must be to
# "interpreter" to say which language.
LANGUAGE_REACH = 40
SENTENCE_BOUNDARY = re.compile(r"[.!?;\n]")


def need_code(config: Config, value: str) -> str | None:
    """The SNOMED CT concept for a need id such as ``bsl-interpreter`` or ``interpreter:ur``."""
    if value.startswith(INTERPRETER_PREFIX):
        language = value.removeprefix(INTERPRETER_PREFIX)
        entry = next((e for e in config.needs.interpreter_languages if e.language == language),
                     None)
        return entry.snomed if entry else None
    need = config.needs_by_id.get(value)
    return need.snomed if need else None


def _negation_after(needs: NeedsFile) -> NegationAfter:
    return built_once(needs, lambda: NegationAfter(
        [cue for cues in needs.negations_after.values() for cue in cues]), NegationAfter)


def _between(text: str, first: PhraseHit, second: PhraseHit) -> str:
    start, end = min(first.start, second.start), max(first.end, second.end)
    return text[start:end]


def _languages_for(text: str, interpreter: PhraseHit, languages: list[PhraseHit]) -> list[PhraseHit]:
    """The languages that say which interpreter: in its clause, else close by in its sentence."""
    same_clause = [h for h in languages
                   if not CLAUSE_BOUNDARY.search(_between(text, interpreter, h))]
    if same_clause:
        return same_clause
    return [h for h in languages if abs(h.start - interpreter.start) <= LANGUAGE_REACH
            and not SENTENCE_BOUNDARY.search(_between(text, interpreter, h))]


def _from_text(text: str, hits: list[PhraseHit], config: Config) -> dict[str, str]:
    """Need value -> the words that stated it."""
    after = _negation_after(config.needs)
    hits = [h for h in hits if not h.negated and not after.negates(text, h.end)]
    found: dict[str, str] = {}
    interpreter_hits = [h for h in hits if h.key == INTERPRETER]
    language_hits = [h for h in hits if h.key.startswith(INTERPRETER_PREFIX)]
    for hit in hits:
        if hit.key == INTERPRETER or hit.key.startswith(INTERPRETER_PREFIX):
            continue
        found.setdefault(hit.key, hit.phrase)
    for interpreter in interpreter_hits:
        near = _languages_for(text, interpreter, language_hits)
        for language in near:
            found.setdefault(language.key, " ".join(_between(text, interpreter, language)
                                                    .casefold().split()))
        if not near:
            professional = {n.id for n in config.needs.needs
                            if n.category == "communication-professional"}
            if not professional & found.keys():
                found.setdefault(INTERPRETER, interpreter.phrase)
    return found


def apply(draft: Draft, context: PipelineContext) -> Draft:
    config = context.config
    tags: list[TagProposal] = []
    for value in dict.fromkeys(draft.message.answers.needs):
        code = need_code(config, value)
        if code is None:
            raise RejectedMessage(
                f"Unknown communication need {value!r}. Use a need id from needs.toml, or "
                "'interpreter:<language code>'."
            )
        tags.append(TagProposal("need", value, 1.0, "contributor", TAGGER, code=code))
    stated = {tag.value for tag in tags}
    specific = any(value.startswith(INTERPRETER_PREFIX) for value in stated)
    for value, words in _from_text(draft.text, context.taggers.needs.find(draft.text),
                                   config).items():
        # "An interpreter" said in words adds nothing to an Urdu interpreter already chosen.
        if value == INTERPRETER and specific:
            continue
        if value not in stated:
            tags.append(TagProposal("need", value, TEXT_CONFIDENCE, "auto", TAGGER,
                                    code=need_code(config, value), evidence=words))
    # A reason without a stated need means "ask them"; with a stated need, the need says it all.
    if any(t.value == ASSESSMENT for t in tags) and any(t.value != ASSESSMENT for t in tags):
        tags = [t for t in tags if t.value != ASSESSMENT]
    return draft.with_tags(*tags)


STAGE = Stage(NAME, VERSION, apply)

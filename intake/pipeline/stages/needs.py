"""Tag communication-support needs (Accessible Information Standard) with their SNOMED CT codes.

Explicit answers are recorded as the person's own; needs stated in the text are added as inferred,
unless negated ("I don't need an interpreter"). A spoken-language interpreter names its language
when the text does ("my mum needs an Urdu interpreter" -> ``interpreter:ur``).
"""

from __future__ import annotations

from intake.config import Config
from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage
from intake.taggers.phrases import PhraseHit

NAME, VERSION = "needs", 1
TAGGER = f"{NAME}@{VERSION}"
INTERPRETER = "interpreter"
INTERPRETER_PREFIX = "interpreter:"
TEXT_CONFIDENCE = 0.8
# How close (in characters) a language name must be to "interpreter" to say which language.
LANGUAGE_REACH = 40


def need_code(config: Config, value: str) -> str | None:
    """The SNOMED CT concept for a need id such as ``bsl-interpreter`` or ``interpreter:ur``."""
    if value.startswith(INTERPRETER_PREFIX):
        language = value.removeprefix(INTERPRETER_PREFIX)
        entry = next((e for e in config.needs.interpreter_languages if e.language == language),
                     None)
        return entry.snomed if entry else None
    need = config.needs_by_id.get(value)
    return need.snomed if need else None


def _from_text(hits: list[PhraseHit], config: Config) -> dict[str, str]:
    """Need value -> the words that stated it."""
    found: dict[str, str] = {}
    interpreter_hits = [h for h in hits if h.key == INTERPRETER and not h.negated]
    language_hits = [h for h in hits if h.key.startswith(INTERPRETER_PREFIX)]
    for hit in hits:
        if hit.negated or hit.key == INTERPRETER or hit.key.startswith(INTERPRETER_PREFIX):
            continue
        found.setdefault(hit.key, hit.phrase)
    for interpreter in interpreter_hits:
        near = [h for h in language_hits
                if abs(h.start - interpreter.start) <= LANGUAGE_REACH and not h.negated]
        for language in near:
            found.setdefault(language.key, f"{language.phrase} {interpreter.phrase}")
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
    for value, words in _from_text(context.taggers.needs.find(draft.text), config).items():
        # "An interpreter" said in words adds nothing to an Urdu interpreter already chosen.
        if value == INTERPRETER and specific:
            continue
        if value not in stated:
            tags.append(TagProposal("need", value, TEXT_CONFIDENCE, "auto", TAGGER,
                                    code=need_code(config, value), evidence=words))
    return draft.with_tags(*tags)


STAGE = Stage(NAME, VERSION, apply)

"""Tag the language: the person's own choice if they made one, otherwise detection."""

from __future__ import annotations

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage

NAME, VERSION = "language", 1
TAGGER = f"{NAME}@{VERSION}"


def apply(draft: Draft, context: PipelineContext) -> Draft:
    chosen = draft.message.answers.language
    if chosen is not None:
        if chosen not in context.config.language_codes:
            raise RejectedMessage(
                f"The language {chosen!r} is not one we support. Choose one of: "
                f"{', '.join(context.config.language_codes)}."
            )
        return draft.with_tags(TagProposal("language", chosen, 1.0, "contributor", TAGGER))
    guess = context.taggers.language.detect(draft.text)
    return draft.with_tags(TagProposal("language", guess.code, guess.confidence, "auto", TAGGER))


STAGE = Stage(NAME, VERSION, apply)

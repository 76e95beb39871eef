"""Tag the language: the person's own choice if they made one, otherwise detection."""

from __future__ import annotations

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage

NAME, VERSION = "language", 3
TAGGER = f"{NAME}@{VERSION}"
# The channel's hint counts as much as everything we know of the person's history.
HINT_WEIGHT = 1.0


def prior(draft: Draft, context: PipelineContext) -> dict[str, float]:
    """The sender's known languages and the channel's hint, as weights summing to at most 2."""
    weights: dict[str, float] = {}
    history = {code: w for code, w in context.language_prior.items() if w > 0}
    total = sum(history.values())
    for code, weight in history.items():
        weights[code] = weight / total
    hint = draft.message.language_hint
    if hint:
        weights[hint] = weights.get(hint, 0.0) + HINT_WEIGHT
    return weights


def apply(draft: Draft, context: PipelineContext) -> Draft:
    chosen = draft.message.answers.language
    if chosen is not None:
        if chosen not in context.config.language_codes:
            raise RejectedMessage(
                f"The language {chosen!r} is not one we support. Choose one of: "
                f"{', '.join(context.config.language_codes)}."
            )
        return draft.with_tags(TagProposal("language", chosen, 1.0, "contributor", TAGGER))
    guess = context.taggers.language.detect(draft.text, prior(draft, context))
    return draft.with_tags(TagProposal("language", guess.code, guess.confidence, "auto", TAGGER))


STAGE = Stage(NAME, VERSION, apply)

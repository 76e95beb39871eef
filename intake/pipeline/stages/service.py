"""Tag the service(s) the feedback is about: explicit choice first, then taxonomy keywords, then
(only when no keyword matched) the model learned from staff-confirmed tags.

Nothing is better than a wrong guess: with no keyword and no confident model the item gets no
service tag and waits for a person to decide.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage
from intake.taggers.phrases import PhraseMatcher

NAME, VERSION = "service", 2
TAGGER = f"{NAME}@{VERSION}"
FIRST_HIT_CONFIDENCE = 0.6
EACH_FURTHER_HIT = 0.1
MAX_KEYWORD_CONFIDENCE = 0.9
MAX_MODEL_CONFIDENCE = 0.99
# Services a person may choose but that are never inferred from text ("none of these").
NEVER_INFERRED = frozenset({"other"})

log = logging.getLogger(__name__)


def apply(draft: Draft, context: PipelineContext) -> Draft:
    chosen = draft.message.answers.services
    if chosen:
        unknown = [s for s in chosen if s not in context.config.service_ids]
        if unknown:
            raise RejectedMessage(
                f"Unknown service {', '.join(map(repr, unknown))}. Choose one of: "
                f"{', '.join(sorted(context.config.service_ids))}."
            )
        return draft.with_tags(*(
            TagProposal("service", service, 1.0, "contributor", TAGGER)
            for service in dict.fromkeys(chosen)
        ))
    found = infer(draft.text, context.taggers.services)
    return draft.with_tags(*(found or learned(draft.text, context)))


def infer(text: str, matcher: PhraseMatcher) -> list[TagProposal]:
    """Services named in the text, most confident first (shared with the chat conversation)."""
    evidence: dict[str, list[str]] = defaultdict(list)
    for hit in matcher.find(text):
        evidence[hit.key].append(hit.phrase)
    tags = []
    for service, phrases in evidence.items():
        confidence = min(MAX_KEYWORD_CONFIDENCE,
                         FIRST_HIT_CONFIDENCE + EACH_FURTHER_HIT * (len(phrases) - 1))
        tags.append(TagProposal("service", service, round(confidence, 2), "auto", TAGGER,
                                evidence=", ".join(dict.fromkeys(phrases))))
    tags.sort(key=lambda tag: (-tag.confidence, tag.value))
    return tags


def learned(text: str, context: PipelineContext) -> list[TagProposal]:
    """The learned model's service, when one is loaded and sure enough; otherwise nothing."""
    model = context.taggers.service_model
    if model is None or not text.strip():
        return []
    try:
        prediction = model.predict(text)
    except Exception:  # the model is an extra: it must never stop a message being stored
        log.exception("the learned service model failed; the item is left for a person")
        return []
    if (prediction is None or prediction.service in NEVER_INFERRED
            or prediction.service not in context.config.service_ids):
        return []
    evidence = (f"learned model: {model.examples:,} staff-confirmed examples, "
                f"trained {model.trained_at:%Y-%m-%d}")
    if prediction.words:
        evidence += f"; words: {', '.join(prediction.words)}"
    # Never shown as 1.0: certainty is for what people said.
    confidence = min(MAX_MODEL_CONFIDENCE, round(prediction.probability, 2))
    return [TagProposal("service", prediction.service, confidence, "auto", model.tagger,
                        evidence=evidence)]


STAGE = Stage(NAME, VERSION, apply)

"""Tag the service(s) the feedback is about: explicit choice first, then taxonomy keywords.

Nothing is better than a wrong guess: with no keyword evidence the item gets no service tag and
waits for a person to decide.
"""

from __future__ import annotations

from collections import defaultdict

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage
from intake.taggers.phrases import PhraseMatcher

NAME, VERSION = "service", 1
TAGGER = f"{NAME}@{VERSION}"
FIRST_HIT_CONFIDENCE = 0.6
EACH_FURTHER_HIT = 0.1
MAX_KEYWORD_CONFIDENCE = 0.9


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
    return draft.with_tags(*infer(draft.text, context.taggers.services))


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


STAGE = Stage(NAME, VERSION, apply)

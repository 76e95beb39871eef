"""Flag messages that suggest a risk to life or safety, so a person sees them first.

A miss is worse than a false alarm, so any un-negated phrase raises the flag.
"""

from __future__ import annotations

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import Stage

NAME, VERSION = "safety", 1
TAGGER = f"{NAME}@{VERSION}"
CONFIDENCE = 0.7


def apply(draft: Draft, context: PipelineContext) -> Draft:
    evidence: dict[str, list[str]] = {}
    for hit in context.taggers.safety.find(draft.text):
        if not hit.negated:
            evidence.setdefault(hit.key, []).append(hit.phrase)
    return draft.with_tags(*(
        TagProposal("flag", flag, CONFIDENCE, "auto", TAGGER, evidence=", ".join(phrases))
        for flag, phrases in evidence.items()
    ))


STAGE = Stage(NAME, VERSION, apply)

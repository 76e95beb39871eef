"""Flag messages that suggest a risk to life or safety, so a person sees them first.

A miss is worse than a false alarm: any phrase that is not plainly negated raises the flag, also
when it is reported speech ("my carer is hurting my dad"), quoted, or in the past. How each of
those is read is in :mod:`intake.taggers.safety`; here a flag whose every mention is in the past
("I took an overdose last year") gets a lower confidence, and its evidence says why.
"""

from __future__ import annotations

from datetime import datetime

from intake.pipeline.context import PipelineContext, Taggers
from intake.pipeline.draft import Draft, TagProposal
from intake.pipeline.stage import Stage
from intake.pipeline.stages.normalise import normalise_text
from intake.taggers.safety import RiskFinding, reader_for

NAME, VERSION = "safety", 2
TAGGER = f"{NAME}@{VERSION}"
CONFIDENCE = 0.7
# Every mention of the risk is in the past: still flagged, and still worth a person's look.
PAST_CONFIDENCE = 0.4


def assess(text: str, taggers: Taggers, now: datetime | None = None) -> dict[str, list[RiskFinding]]:
    """Flag id -> what in ``text`` raised it. For callers outside the pipeline too (the chat
    signposts a person as soon as they write this), so the text is normalised here."""
    text = normalise_text(text)
    findings = reader_for(taggers.config.safety).read(
        text, taggers.safety.find(text), now.year if now else None)
    flags: dict[str, list[RiskFinding]] = {}
    for finding in findings:
        flags.setdefault(finding.flag, []).append(finding)
    return flags


def apply(draft: Draft, context: PipelineContext) -> Draft:
    tags = []
    for flag, findings in assess(draft.text, context.taggers, context.now).items():
        current = any(finding.past is None for finding in findings)
        evidence = ", ".join(dict.fromkeys(finding.evidence for finding in findings))
        tags.append(TagProposal("flag", flag, CONFIDENCE if current else PAST_CONFIDENCE, "auto",
                                TAGGER, evidence=evidence))
    return draft.with_tags(*tags)


STAGE = Stage(NAME, VERSION, apply)

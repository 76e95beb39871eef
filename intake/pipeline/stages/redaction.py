"""Produce the redacted copy of the text that the queue, exports and reports show."""

from __future__ import annotations

from dataclasses import replace

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft
from intake.pipeline.stage import Stage
from intake.taggers.redaction import redact


def apply(draft: Draft, context: PipelineContext) -> Draft:
    return replace(draft, redacted_text=redact(draft.text).text)


STAGE = Stage("redaction", 1, apply)

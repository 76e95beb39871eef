"""Make text comparable (Unicode NFC, tidy whitespace) and enforce the length limit."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from intake.pipeline.context import PipelineContext
from intake.pipeline.draft import Draft
from intake.pipeline.stage import RejectedMessage, Stage

KEEP_CONTROLS = {"\n", "\t"}
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(
        char for char in text
        if char in KEEP_CONTROLS or unicodedata.category(char) != "Cc"
    )
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _has_answers(draft: Draft) -> bool:
    answers = draft.message.answers
    return bool(answers.services or answers.fft_rating or answers.needs)


def apply(draft: Draft, context: PipelineContext) -> Draft:
    text = normalise_text(draft.text)
    limit = context.config.limits.max_text_length
    if len(text) > limit:
        raise RejectedMessage(
            f"The message is {len(text):,} characters long, and the limit is {limit:,}. "
            "Please shorten it, or send it in several parts."
        )
    if not text and not _has_answers(draft):
        raise RejectedMessage(
            "The message has no words in it. Please tell us what happened or what could be better."
        )
    return replace(draft, text=text)


STAGE = Stage("normalise", 1, apply)

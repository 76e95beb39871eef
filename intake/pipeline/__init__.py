"""The shared intake pipeline: small, pure, versioned stages over plain data.

``run`` takes an ``IncomingMessage`` and a ``PipelineContext`` and returns a ``Draft`` with tags,
redacted text and routing links. It does no I/O; :mod:`intake.ingest` stores what it returns.
"""

from __future__ import annotations

import time
from contextlib import suppress

from intake.config import Config
from intake.message import IncomingMessage
from intake.pipeline.context import PipelineContext, Taggers
from intake.pipeline.draft import Draft, LinkProposal, TagProposal
from intake.pipeline.stage import RejectedMessage, Stage
from intake.pipeline.stages import language, needs, normalise, redaction, routing, safety, service, themes

# The order matters: normalise first (every later stage sees clean text), routing last (it reads
# the tags). Tagging reads the original text; redaction only changes what the queue shows.
STAGES: tuple[Stage, ...] = (
    normalise.STAGE,
    language.STAGE,
    service.STAGE,
    needs.STAGE,
    safety.STAGE,
    themes.STAGE,
    redaction.STAGE,
    routing.STAGE,
)
PIPELINE_VERSION = "+".join(stage.label for stage in STAGES)


def run(message: IncomingMessage, context: PipelineContext,
        stages: tuple[Stage, ...] = STAGES) -> Draft:
    """Run every stage over the message. Raises ``RejectedMessage`` for input it cannot accept.
    When the context has an ``on_stage`` timer, it is told how long each stage took."""
    draft = Draft(message=message, text=message.text)
    timer = context.on_stage
    for stage in stages:
        if timer is None:
            draft = stage(draft, context)
            continue
        started = time.perf_counter()
        try:
            draft = stage(draft, context)
        finally:
            timer(stage.name, time.perf_counter() - started)
    return draft


WARM_UP_TEXT = "Warm up: my GP was kind but I need an interpreter and large print letters."


def build_taggers(config: Config, taggers: Taggers) -> None:
    """Run the pipeline once, offline, so every tagger ``taggers`` builds lazily is built now:
    for a process that keeps them long (a server's master before it forks, a long import)."""
    with suppress(RejectedMessage):  # never: the text is ordinary feedback
        run(IncomingMessage("warm-up", "warm-up", WARM_UP_TEXT),
            PipelineContext.offline(config, taggers))


__all__ = [
    "PIPELINE_VERSION",
    "STAGES",
    "WARM_UP_TEXT",
    "Draft",
    "LinkProposal",
    "PipelineContext",
    "RejectedMessage",
    "Stage",
    "TagProposal",
    "Taggers",
    "build_taggers",
    "run",
]

"""The intake service layer, counted and timed from the outside.

``MeasuredIntake`` is :class:`intake.ingest.Intake` with metrics: each message received, one by
one or in an import's batch (and whether it was a provider's repeated delivery), each inbox
message reaching a final state, and the time each pipeline stage takes. The stages stay pure: the
pipeline is handed a stage timer through its context and calls it between stages. Final states
are counted when their transaction commits, by watching the inbox rows in the runtime's sessions,
so every path that finishes a message (a webhook, a conversation closing in `intake worker`,
`intake reprocess`) is counted once, and a rolled-back attempt is not; a conversation turn, which
writes its message's state without the ORM, reports it through ``settled`` after its commit.
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from intake.ingest import Intake
from intake.observability.metrics import MESSAGES_FINISHED, MESSAGES_RECEIVED, STAGE_SECONDS
from intake.pipeline import PipelineContext
from intake.storage.models import InboundMessage, InboundState

_PENDING = "intake.observability.finished"


def observe_stage(name: str, seconds: float) -> None:
    STAGE_SECONDS.labels(stage=name).observe(seconds)


# Once a message is in one of these, a later change (erasure marks it ignored) is not an outcome.
SETTLED = frozenset({InboundState.PROCESSED, InboundState.REJECTED, InboundState.IGNORED,
                     InboundState.CONVERSATION})


def is_outcome(before: str | None, after: str) -> bool:
    """Whether a message going from ``before`` to ``after`` reaches its outcome (counted once)."""
    return after != InboundState.RECEIVED and before not in SETTLED


def _note_final_states(session: Session, _flush_context: Any) -> None:
    for record in session.dirty:
        if not isinstance(record, InboundMessage):
            continue
        history = inspect(record).attrs["state"].history
        if history.added and is_outcome(history.deleted[0] if history.deleted else None,
                                        history.added[-1]):
            session.info.setdefault(_PENDING, []).append((record.channel, str(history.added[-1])))


def _count_committed(session: Session) -> None:
    for channel, state in session.info.pop(_PENDING, ()):
        MESSAGES_FINISHED.labels(channel=channel, state=state).inc()


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


# The session factories already counted. Not ``event.contains``: SQLAlchemy's event registry is
# keyed by id(), so a factory made where a collected one lived could look counted already.
_COUNTED: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def count_final_states(sessions: sessionmaker[Session]) -> None:
    """Count inbox messages reaching a final state in sessions made by ``sessions``."""
    if sessions not in _COUNTED:
        _COUNTED.add(sessions)
        event.listen(sessions, "after_flush", _note_final_states)
        event.listen(sessions, "after_commit", _count_committed)
        event.listen(sessions, "after_rollback", _forget)


class MeasuredIntake(Intake):
    """:class:`Intake` that reports to :mod:`intake.observability.metrics`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        count_final_states(self.sessions)

    def received(self, channel: str, duplicate: bool) -> None:
        MESSAGES_RECEIVED.labels(channel=channel, duplicate="true" if duplicate else "false").inc()

    def settled(self, channel: str, before: InboundState, after: InboundState) -> None:
        if is_outcome(before, after):
            MESSAGES_FINISHED.labels(channel=channel, state=str(after)).inc()

    def context(self, session: Session) -> PipelineContext:
        return replace(super().context(session), on_stage=observe_stage)

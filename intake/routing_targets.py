"""Reading the routing targets (tracker items, consultations) the pure routing stage needs.

Read for every item the pipeline makes (a conversation's last turn among them), so the reads are
built once, on the tables: only the columns routing uses, no ORM object per row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.storage.models import Consultation, ConsultationStatus, TrackerItem, TrackerStatus

_TRACKER, _CONSULTATIONS = TrackerItem.__table__, Consultation.__table__
_ACTIVE_TRACKER_ITEMS = select(_TRACKER.c.id, _TRACKER.c.services).where(
    _TRACKER.c.status == TrackerStatus.ACTIVE)
_UNREPORTED_CONSULTATIONS = select(
    _CONSULTATIONS.c.id, _CONSULTATIONS.c.slug, _CONSULTATIONS.c.services,
    _CONSULTATIONS.c.keywords, _CONSULTATIONS.c.opens_at, _CONSULTATIONS.c.closes_at,
    _CONSULTATIONS.c.status).where(_CONSULTATIONS.c.status != ConsultationStatus.REPORTED)


def load_tracker_targets(session: Session) -> tuple[TrackerTarget, ...]:
    return tuple(TrackerTarget(row.id, frozenset(row.services))
                 for row in session.execute(_ACTIVE_TRACKER_ITEMS))


def load_consultation_targets(session: Session) -> tuple[ConsultationTarget, ...]:
    return tuple(
        ConsultationTarget(row.id, row.slug, frozenset(row.services), tuple(row.keywords),
                           row.opens_at, row.closes_at, row.status)
        for row in session.execute(_UNREPORTED_CONSULTATIONS))

"""Reading the routing targets (tracker items, consultations) the pure routing stage needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.storage.models import Consultation, ConsultationStatus, TrackerItem, TrackerStatus


def load_tracker_targets(session: Session) -> tuple[TrackerTarget, ...]:
    items = session.scalars(select(TrackerItem).where(TrackerItem.status == TrackerStatus.ACTIVE))
    return tuple(TrackerTarget(item.id, frozenset(item.services)) for item in items)


def load_consultation_targets(session: Session) -> tuple[ConsultationTarget, ...]:
    rows = session.scalars(
        select(Consultation).where(Consultation.status != ConsultationStatus.REPORTED))
    return tuple(
        ConsultationTarget(c.id, c.slug, frozenset(c.services), tuple(c.keywords),
                           c.opens_at, c.closes_at, c.status)
        for c in rows)

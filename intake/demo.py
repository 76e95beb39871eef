"""Demo content so a new installation shows something real: one tracker item, one consultation.

The content is invented (no real patient data) but shaped like the team's own work.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.storage.models import (
    Consultation,
    ConsultationStatus,
    Feedback,
    RagRating,
    RagRatingChange,
    TrackerItem,
    TrackerStatus,
)

DEMO_TRACKER_TITLE = "Getting through to GP surgeries by phone"
DEMO_CONSULTATION_SLUG = "maternity-services-2026"


def is_empty(session: Session) -> bool:
    """True for a new installation: no feedback, tracker items or consultations yet."""
    return not any(session.scalar(select(func.count(model.id)))
                   for model in (Feedback, TrackerItem, Consultation))


def seed_demo(session: Session, now: datetime) -> list[str]:
    """Add the demo tracker item and consultation unless they are already there."""
    added = []
    if session.scalar(select(TrackerItem.id).where(TrackerItem.title == DEMO_TRACKER_TITLE)) is None:
        item = TrackerItem(
            title=DEMO_TRACKER_TITLE,
            description="People tell us they cannot get through to their GP practice at 8am.",
            services=["gp"], owner="Primary care engagement lead", rag_rating=RagRating.AMBER,
            next_steps="Share call-wait figures with practices; test a call-back option.",
            expected_impact="Fewer people giving up on the phone queue and going to A&E instead.",
            status=TrackerStatus.ACTIVE, start_date=date(now.year, 1, 1),
            due_date=(now + timedelta(days=120)).date(), created_at=now, updated_at=now)
        item.rating_history.append(RagRatingChange(
            rating=RagRating.AMBER, note="Opened from winter feedback themes.",
            changed_by="demo", changed_at=now))
        session.add(item)
        added.append(f"tracker item: {DEMO_TRACKER_TITLE}")
    if session.scalar(select(Consultation.id)
                      .where(Consultation.slug == DEMO_CONSULTATION_SLUG)) is None:
        session.add(Consultation(
            slug=DEMO_CONSULTATION_SLUG, title="Maternity services: what matters to you",
            summary="We are planning maternity services for the next five years and want to hear "
                    "from people who have used them recently.",
            services=["maternity"], keywords=["midwife", "labour ward", "birth", "antenatal"],
            questions={
                "en": "Tell us about your maternity care. What went well, and what could be better?",
                "ur": "اپنی زچگی کی دیکھ بھال کے بارے میں بتائیں۔ کیا اچھا رہا، اور کیا بہتر ہو سکتا ہے؟",
                "pl": "Opowiedz nam o opiece okołoporodowej. Co poszło dobrze, a co można poprawić?",
            },
            sms_keyword="BABY", status=ConsultationStatus.OPEN,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=90), created_at=now))
        added.append(f"consultation: {DEMO_CONSULTATION_SLUG}")
    return added

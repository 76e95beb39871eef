"""The audit log's rows: when, who, what and to which record, with details kept as JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import AuditEvent
from tests.conftest import FIXED_NOW


def event(action: str = "feedback.status-changed", **fields: object) -> AuditEvent:
    values: dict[str, object] = {"actor": "staff:1", "action": action, "entity_type": "feedback",
                                 "entity_id": "FB-7K3M9Q", **fields}
    return AuditEvent(**values)


def test_an_event_gets_the_current_time_and_empty_details_by_default(
        sessions: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(event())
    with sessions() as session:
        stored = session.scalars(select(AuditEvent)).one()
    assert stored.details == {}
    assert stored.occurred_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= stored.occurred_at <= datetime.now(UTC)


def test_each_event_gets_its_own_details_dict(sessions: sessionmaker[Session]) -> None:
    first, second = event(), event()
    with sessions.begin() as session:
        session.add_all([first, second])
    first.details["changed"] = ["status"]
    assert second.details == {}


def test_details_round_trip_with_their_types(sessions: sessionmaker[Session]) -> None:
    details = {"from": "new", "to": "in-review", "tags": ["service:gp", "theme:access"],
               "count": 3, "ratio": 0.5, "reviewed": True, "note": None}
    with sessions.begin() as session:
        session.add(event(details=details))
    with sessions() as session:
        assert session.scalar(select(AuditEvent.details)) == details


def test_events_read_back_in_utc_and_filter_by_time_and_action(sessions: sessionmaker[Session]) -> None:
    london_summer = timezone(timedelta(hours=1))
    with sessions.begin() as session:
        session.add_all([
            event("staff.signed-in", occurred_at=FIXED_NOW - timedelta(days=1)),
            event("feedback.erased", occurred_at=datetime(2026, 7, 1, 9, 0, tzinfo=london_summer)),
            event("feedback.erased", occurred_at=FIXED_NOW),
        ])
    with sessions() as session:
        erased = session.scalars(select(AuditEvent.occurred_at).where(
            AuditEvent.action == "feedback.erased",
            AuditEvent.occurred_at >= datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
        ).order_by(AuditEvent.occurred_at)).all()
    assert erased == [datetime(2026, 7, 1, 8, 0, tzinfo=UTC), FIXED_NOW]
    assert all(moment.tzinfo is not None and moment.utcoffset() == timedelta(0) for moment in erased)

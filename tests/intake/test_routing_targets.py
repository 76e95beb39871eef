"""Loading the routing targets: active tracker items, and consultations not yet reported."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.pipeline.draft import ConsultationTarget, TrackerTarget
from intake.routing_targets import load_routing_targets
from intake.storage.models import Consultation, ConsultationStatus, TrackerItem, TrackerStatus
from tests.conftest import FIXED_NOW

OPENS = FIXED_NOW - timedelta(days=7)
CLOSES = FIXED_NOW + timedelta(days=30)


def tracker_item(session: Session, title: str, status: str, services: list[str]) -> int:
    item = TrackerItem(title=title, status=status, services=services, created_at=FIXED_NOW,
                       updated_at=FIXED_NOW)
    session.add(item)
    session.flush()
    return item.id


def consultation(session: Session, slug: str, status: str, **fields: object) -> int:
    row = Consultation(slug=slug, title=slug.replace("-", " "), status=status, created_at=FIXED_NOW,
                       **fields)
    session.add(row)
    session.flush()
    return row.id


def load_tracker_targets(session: Session) -> tuple[TrackerTarget, ...]:
    return load_routing_targets(session)[0]


def load_consultation_targets(session: Session) -> tuple[ConsultationTarget, ...]:
    return load_routing_targets(session)[1]


def test_no_targets_in_an_empty_database(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        assert load_routing_targets(session) == ((), ())


def test_only_active_tracker_items_are_targets(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        active = tracker_item(session, "GP phone access", TrackerStatus.ACTIVE, ["gp", "nhs-111"])
        tracker_item(session, "Pharmacy hours", TrackerStatus.PAUSED, ["pharmacy"])
        tracker_item(session, "Dental waiting list", TrackerStatus.COMPLETED, ["dental"])
        second = tracker_item(session, "Ward food", TrackerStatus.ACTIVE, [])
    with runtime.sessions() as session:
        targets = load_tracker_targets(session)
    assert sorted(targets, key=lambda t: t.id) == [
        TrackerTarget(active, frozenset({"gp", "nhs-111"})), TrackerTarget(second, frozenset())]
    assert all(isinstance(target.services, frozenset) for target in targets)


def test_reported_consultations_are_left_out_and_the_rest_kept_with_their_details(
        runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        open_id = consultation(session, "maternity-2026", ConsultationStatus.OPEN,
                               services=["maternity"], keywords=["midwife", "labour ward"],
                               opens_at=OPENS, closes_at=CLOSES)
        planned_id = consultation(session, "urgent-care-2027", ConsultationStatus.PLANNED)
        closed_id = consultation(session, "dental-2025", ConsultationStatus.CLOSED,
                                 services=["dental"], keywords=["dentist"],
                                 opens_at=OPENS - timedelta(days=90), closes_at=OPENS)
        consultation(session, "pharmacy-2024", ConsultationStatus.REPORTED, services=["pharmacy"],
                     keywords=["chemist"], opens_at=OPENS, closes_at=CLOSES)
    with runtime.sessions() as session:
        targets = {target.slug: target for target in load_consultation_targets(session)}
    assert set(targets) == {"maternity-2026", "urgent-care-2027", "dental-2025"}
    assert targets["maternity-2026"] == ConsultationTarget(
        open_id, "maternity-2026", frozenset({"maternity"}), ("midwife", "labour ward"),
        OPENS, CLOSES, "open")
    assert targets["urgent-care-2027"] == ConsultationTarget(
        planned_id, "urgent-care-2027", frozenset(), (), None, None, "planned")
    assert targets["dental-2025"] == ConsultationTarget(
        closed_id, "dental-2025", frozenset({"dental"}), ("dentist",),
        OPENS - timedelta(days=90), OPENS, "closed")


def test_loaded_consultation_dates_are_aware_and_usable_for_the_open_check(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        consultation(session, "maternity-2026", ConsultationStatus.OPEN, opens_at=OPENS,
                     closes_at=CLOSES)
    with runtime.sessions() as session:
        (target,) = load_consultation_targets(session)
    assert target.opens_at is not None and target.opens_at.tzinfo is not None
    assert target.is_open_at(FIXED_NOW)
    assert not target.is_open_at(CLOSES + timedelta(days=1))


def test_both_kinds_come_in_one_statement_each_as_its_own_kind(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        item = tracker_item(session, "GP phone access", TrackerStatus.ACTIVE, ["gp"])
        open_id = consultation(session, "gp-access-2026", ConsultationStatus.OPEN, services=["gp"],
                               keywords=["phone"], opens_at=OPENS, closes_at=CLOSES)
    sent: list[str] = []
    with runtime.sessions() as session:
        event.listen(session.connection(), "before_cursor_execute",
                     lambda *args: sent.append(args[2]))
        tracker, consultations = load_routing_targets(session)
    assert len(sent) == 1
    assert tracker == (TrackerTarget(item, frozenset({"gp"})),)
    assert consultations == (ConsultationTarget(open_id, "gp-access-2026", frozenset({"gp"}),
                                                ("phone",), OPENS, CLOSES, "open"),)

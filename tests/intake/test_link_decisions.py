"""A link staff removed stays removed when routing runs again, until someone links it by hand."""

from __future__ import annotations

from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.demo import seed_demo
from intake.message import IncomingMessage
from intake.staff import tracker, triage
from intake.storage.models import (
    Feedback,
    FeedbackConsultationLink,
    FeedbackTrackerLink,
    RemovedLink,
    TrackerItem,
)
from tests.conftest import FIXED_NOW

ACTOR = "staff:reviewer@example.org"


def routed_gp_item(runtime: Runtime) -> tuple[int, int]:
    """A GP item that routing linked to the demo's GP tracker item: (feedback id, tracker id)."""
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    runtime.intake.ingest(IncomingMessage(channel="cli", provider_message_id="gp-1",
                                          text="My GP surgery never answers the phone"))
    with runtime.sessions() as session:
        link = session.scalars(select(FeedbackTrackerLink)).one()
        return link.feedback_id, link.tracker_item_id


def tracker_links(runtime: Runtime, feedback_id: int) -> list[int]:
    with runtime.sessions() as session:
        return list(session.scalars(select(FeedbackTrackerLink.tracker_item_id).where(
            FeedbackTrackerLink.feedback_id == feedback_id)))


def test_a_removed_routing_link_is_not_added_back_by_a_rerun(runtime: Runtime) -> None:
    feedback_id, item_id = routed_gp_item(runtime)
    with runtime.sessions.begin() as session:
        assert triage.unlink_tracker(session, session.get_one(Feedback, feedback_id), item_id,
                                     ACTOR, FIXED_NOW)
    runtime.intake.retag()
    assert tracker_links(runtime, feedback_id) == []
    with runtime.sessions() as session:
        removed = session.scalars(select(RemovedLink)).one()
    assert (removed.target, removed.target_id, removed.removed_by) == ("tracker", item_id, ACTOR)


def test_linking_again_by_hand_forgets_the_removal(runtime: Runtime) -> None:
    feedback_id, item_id = routed_gp_item(runtime)
    with runtime.sessions.begin() as session:
        feedback = session.get_one(Feedback, feedback_id)
        triage.unlink_tracker(session, feedback, item_id, ACTOR, FIXED_NOW)
        triage.link_tracker(session, feedback, item_id, ACTOR, FIXED_NOW)
    with runtime.sessions.begin() as session:
        triage.unlink_tracker(session, session.get_one(Feedback, feedback_id), item_id, ACTOR,
                              FIXED_NOW)
    with runtime.sessions.begin() as session:   # from the tracker item's page this time
        item = session.get_one(TrackerItem, item_id)
        reference = session.get_one(Feedback, feedback_id).reference
        assert tracker.link_feedback(session, item, reference, ACTOR, FIXED_NOW).linked == [reference]
    runtime.intake.retag()
    assert tracker_links(runtime, feedback_id) == [item_id]
    with runtime.sessions() as session:
        assert session.scalars(select(RemovedLink)).all() == []


def test_removing_from_the_tracker_page_is_remembered_too(runtime: Runtime) -> None:
    feedback_id, item_id = routed_gp_item(runtime)
    with runtime.sessions.begin() as session:
        reference = session.get_one(Feedback, feedback_id).reference
        assert tracker.unlink_feedback(session, session.get_one(TrackerItem, item_id), reference,
                                       ACTOR, FIXED_NOW)
    runtime.intake.retag()
    assert tracker_links(runtime, feedback_id) == []


def test_a_removed_consultation_link_stays_removed_and_other_links_still_come(
        runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    runtime.intake.ingest(IncomingMessage(channel="cli", provider_message_id="birth-1",
                                          text="The midwife was lovely"))
    with runtime.sessions() as session:
        link = session.scalars(select(FeedbackConsultationLink)).one()
    with runtime.sessions.begin() as session:
        assert triage.unlink_consultation(session, session.get_one(Feedback, link.feedback_id),
                                          link.consultation_id, ACTOR, FIXED_NOW)
    runtime.intake.ingest(IncomingMessage(channel="cli", provider_message_id="birth-2",
                                          text="The midwife was rushed"))
    runtime.intake.retag()
    with runtime.sessions() as session:
        linked = set(session.scalars(select(FeedbackConsultationLink.feedback_id)))
    assert link.feedback_id not in linked and len(linked) == 1

"""The tracker's core: details checked, ratings kept with notes, progress texts, linked feedback
and what it is about, every change audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.config import Config
from intake.staff import tracker
from intake.staff.labels import Labels
from intake.staff.tracker import TrackerDetails
from intake.staff.validation import Invalid
from intake.storage.models import AuditEvent, FeedbackTrackerLink, RagRatingChange, Tag, TrackerItem
from tests.conftest import FIXED_NOW
from tests.intake.staff.synthetic_feedback import add_feedback, reference

ADMIN = "staff:admin@example.org"
REVIEWER = "staff:reviewer@example.org"
LATER = FIXED_NOW + timedelta(hours=1)


def audit_rows(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def new_item(session: Session, config: Config, title: str = "GP phone access",
             rating: str = "amber", services: tuple[str, ...] = ("gp",)) -> TrackerItem:
    return tracker.create_item(session, config, TrackerDetails(title=title, services=services),
                               rating, "", ADMIN, FIXED_NOW)


def test_creating_an_item_starts_its_rating_history_and_is_audited(runtime: Runtime,
                                                                    config: Config) -> None:
    with runtime.sessions() as session:
        item = tracker.create_item(session, config, TrackerDetails(
            title="  Getting through to GP surgeries  ", description="Calls at 8am.",
            services=("gp", "gp"), owner="Primary care team", start_date=date(2026, 9, 1),
            due_date=date(2027, 3, 31)), "red", "Complaints doubled", ADMIN, FIXED_NOW)
        session.commit()
        assert (item.title, item.services, item.rag_rating, item.status) == (
            "Getting through to GP surgeries", ["gp"], "red", "active")
        [first] = tracker.rating_history(session, item)
        assert (first.rating, first.note, first.changed_by) == ("red", "Complaints doubled", ADMIN)
        [event] = audit_rows(session, "tracker.created")
        assert (event.actor, event.entity_type, event.entity_id) == (ADMIN, "tracker_item", str(item.id))
        assert event.details["rating"] == "red"


@pytest.mark.parametrize(("details", "rating", "field", "words"), [
    (TrackerDetails(title="  "), "amber", "title", "Enter a title"),
    (TrackerDetails(title="x" * 201), "amber", "title", "200 characters or fewer"),
    (TrackerDetails(title="Ok", services=("gp", "no-such-service")), "amber", "services", "from the list"),
    (TrackerDetails(title="Ok", start_date=date(2026, 5, 2), due_date=date(2026, 5, 1)), "amber",
     "due_date", "after the start date"),
    (TrackerDetails(title="Ok"), "purple", "rating", "red, amber or green"),
])
def test_an_item_with_wrong_details_is_refused_with_a_message_per_field(
        runtime: Runtime, config: Config, details: TrackerDetails, rating: str, field: str,
        words: str) -> None:
    with runtime.sessions() as session:
        with pytest.raises(Invalid) as refused:
            tracker.create_item(session, config, details, rating, "", ADMIN, FIXED_NOW)
        assert words in refused.value.errors[field]
        assert session.scalar(select(TrackerItem.id)) is None
        assert audit_rows(session, "tracker.created") == []


def test_editing_reports_what_changed_and_audits_only_real_changes(runtime: Runtime,
                                                                   config: Config) -> None:
    with runtime.sessions() as session:
        item = new_item(session, config)
        changed = tracker.edit_item(session, config, item, TrackerDetails(
            title="GP phone access", services=("gp", "pharmacy"), owner="Sam"), ADMIN, LATER)
        assert changed == ["services", "owner"]
        assert tracker.edit_item(session, config, item, TrackerDetails(
            title="GP phone access", services=("gp", "pharmacy"), owner="Sam"), ADMIN, LATER) == []
        [event] = audit_rows(session, "tracker.edited")
        assert event.details == {"changed": ["services", "owner"]}
        with pytest.raises(Invalid):
            tracker.edit_item(session, config, item, TrackerDetails(title=""), ADMIN, LATER)
        assert item.title == "GP phone access"


def test_every_rating_is_kept_newest_first_with_its_note(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        item = new_item(session, config, rating="amber")
        tracker.rate(session, item, "red", "Waits got longer", REVIEWER, LATER)
        tracker.rate(session, item, "red", "Still long after the new phones", REVIEWER,
                     LATER + timedelta(days=1))
        tracker.rate(session, item, "green", "Call-backs work", REVIEWER, LATER + timedelta(days=2))
        session.commit()
        history = tracker.rating_history(session, item)
        assert [(h.rating, h.note) for h in history] == [
            ("green", "Call-backs work"), ("red", "Still long after the new phones"),
            ("red", "Waits got longer"), ("amber", "First rating")]
        assert item.rag_rating == "green"
        assert [(e.details["from"], e.details["to"], e.actor)
                for e in audit_rows(session, "tracker.rated")] == [
            ("amber", "red", REVIEWER), ("red", "red", REVIEWER), ("red", "green", REVIEWER)]


def test_a_rating_needs_a_note_and_a_real_rating(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        item = new_item(session, config)
        with pytest.raises(Invalid) as refused:
            tracker.rate(session, item, "blue", "   ", REVIEWER, LATER)
        assert set(refused.value.errors) == {"rating", "note"}
        assert item.rag_rating == "amber"
        assert session.scalar(select(RagRatingChange.id).where(RagRatingChange.note != "First rating")) \
            is None


def test_progress_texts_are_replaced_and_audited_by_field(runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        item = new_item(session, config)
        assert tracker.update_progress(session, item, "next_steps", " Meet the practices\r\n",
                                       REVIEWER, LATER)
        assert item.next_steps == "Meet the practices"
        assert not tracker.update_progress(session, item, "next_steps", "Meet the practices",
                                           REVIEWER, LATER)
        assert tracker.update_progress(session, item, "you_said_we_did",
                                       "You said the line was busy; we added call-backs.",
                                       REVIEWER, LATER)
        with pytest.raises(Invalid):
            tracker.update_progress(session, item, "title", "Sneaky rename", REVIEWER, LATER)
        with pytest.raises(Invalid) as refused:
            tracker.update_progress(session, item, "expected_impact", "x" * 10_001, REVIEWER, LATER)
        assert "10,000 characters" in refused.value.errors["expected_impact"]
        assert [e.details["field"] for e in audit_rows(session, "tracker.progress-updated")] == [
            "next_steps", "you_said_we_did"]


def test_completing_records_the_day_in_england_and_reopening_clears_it(runtime: Runtime,
                                                                        config: Config) -> None:
    late_evening = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)   # already 1 July in England (BST)
    with runtime.sessions() as session:
        item = new_item(session, config)
        tracker.change_status(session, item, "completed", ADMIN, late_evening)
        assert (item.status, item.completed_date) == ("completed", date(2026, 7, 1))
        tracker.change_status(session, item, "active", ADMIN, late_evening)
        assert (item.status, item.completed_date) == ("active", None)
        tracker.change_status(session, item, "active", ADMIN, late_evening)   # no change
        with pytest.raises(Invalid):
            tracker.change_status(session, item, "archived", ADMIN, late_evening)
        assert [(e.details["from"], e.details["to"])
                for e in audit_rows(session, "tracker.status-changed")] == [
            ("active", "completed"), ("completed", "active")]


def test_references_are_read_however_they_were_pasted() -> None:
    first, second, third = reference(1), reference(2), reference(3)
    pasted = f"{first.lower()}, {second.replace('-', ' ')}\n{third[3:]} {first}; nonsense FB-0000"
    found, unreadable = tracker.parse_references(pasted)
    assert found == [first, second, third]
    assert unreadable == ["nonsense", "FB-0000"]


def test_linking_feedback_says_what_happened_to_each_reference(runtime: Runtime,
                                                               config: Config) -> None:
    with runtime.sessions() as session:
        item = new_item(session, config)
        add_feedback(session, 1)
        add_feedback(session, 2, tracker=item)
        result = tracker.link_feedback(session, item, f"{reference(1)} {reference(2)} {reference(9)} ??",
                                       REVIEWER, LATER)
        assert result.linked == [reference(1)]
        assert result.already_linked == [reference(2)]
        assert result.not_found == [reference(9)]
        assert result.unreadable == ["??"]
        link = session.scalar(select(FeedbackTrackerLink).where(FeedbackTrackerLink.linked_by == REVIEWER))
        assert link is not None and link.rule_id is None
        [event] = audit_rows(session, "tracker.feedback-linked")
        assert event.details == {"references": [reference(1)]}
        with pytest.raises(Invalid):
            tracker.link_feedback(session, item, " \n ", REVIEWER, LATER)
        assert tracker.unlink_feedback(session, item, reference(2), REVIEWER, LATER)
        assert not tracker.unlink_feedback(session, item, reference(2), REVIEWER, LATER)
        [removed] = audit_rows(session, "tracker.feedback-unlinked")
        assert removed.details == {"reference": reference(2), "rule": "test-rule", "linked_by": None}


def test_the_list_puts_active_red_items_first_and_counts_linked_feedback(runtime: Runtime,
                                                                         config: Config) -> None:
    with runtime.sessions() as session:
        green = new_item(session, config, "A green item", "green")
        red = new_item(session, config, "Z red item", "red")
        done = new_item(session, config, "A finished item", "red")
        tracker.change_status(session, done, "completed", ADMIN, LATER)
        for number in range(3):
            add_feedback(session, number, tracker=red)
        add_feedback(session, 7, tracker=green)
        rows = tracker.list_items(session)
        assert [(r.item.title, r.linked) for r in rows] == [
            ("Z red item", 3), ("A green item", 1), ("A finished item", 0)]
        assert [r.item.title for r in tracker.list_items(session, rating="red")] == [
            "Z red item", "A finished item"]
        assert [r.item.title for r in tracker.list_items(session, status="completed")] == [
            "A finished item"]


def test_the_summary_counts_linked_feedback_by_service_language_and_need(
        runtime: Runtime, config: Config) -> None:
    with runtime.sessions() as session:
        item = new_item(session, config)
        other = new_item(session, config, "Another item")
        add_feedback(session, 1, services=["gp"], language="en", needs=["bsl-interpreter"],
                     tracker=item, received_at=FIXED_NOW - timedelta(days=2))
        add_feedback(session, 2, services=["gp", "pharmacy"], language="ur",
                     needs=["interpreter:ur"], tracker=item, rule=None, linked_by=REVIEWER,
                     text="My GP " + "word " * 60)
        add_feedback(session, 3, language="en", tracker=item, received_at=FIXED_NOW - timedelta(days=1))
        add_feedback(session, 4, services=["dental"], language="pl", tracker=other)
        retracted = add_feedback(session, 5, services=["maternity"], tracker=item,
                                 received_at=FIXED_NOW - timedelta(days=3))
        session.add(Tag(feedback=retracted, kind="service", value="a-and-e", confidence=1.0,
                        source="staff", retracted_at=FIXED_NOW))
        summary = tracker.linked_summary(session, Labels(config), item, recent=3)
        assert summary.total == 4
        assert [(c.value, c.label, c.count) for c in summary.services] == [
            ("gp", "GP surgery", 2), ("maternity", "Maternity", 1), ("pharmacy", "Pharmacy", 1),
            ("none", "No service yet", 1)]
        assert [(c.label, c.count) for c in summary.languages] == [
            ("English", 2), ("Urdu", 1), ("No language yet", 1)]
        assert [(c.label, c.count) for c in summary.needs] == [
            ("British Sign Language (BSL) interpreter", 1), ("Spoken-language interpreter (Urdu)", 1),
            ("No need recorded", 2)]
        assert [r.reference for r in summary.recent] == [reference(2), reference(3), reference(1)]
        assert summary.recent[0].linked_by == REVIEWER
        assert summary.recent[1].linked_by == "rule test-rule"
        assert summary.recent[0].excerpt.endswith("…") and len(summary.recent[0].excerpt) == 160

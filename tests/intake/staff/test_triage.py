"""Reviewers' actions on feedback: status, tags (kept as history, fed to training), links, notes,
and the same for many items at once. Every change is audited under the person's name."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.service_training import confirmed_examples
from intake.staff import triage
from intake.staff.validation import Invalid
from intake.storage.models import (
    AuditEvent,
    FeedbackConsultationLink,
    FeedbackNote,
    FeedbackStatusChange,
    FeedbackTrackerLink,
    Tag,
)
from intake.tag_history import active_tags
from tests.conftest import FIXED_NOW
from tests.intake.staff.ingested import (
    add_consultation,
    add_staff,
    add_tracker_item,
    ingest,
    load,
)


def events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)))


def active(runtime: Runtime, reference: str, kind: str) -> dict[str, str]:
    """Active values of ``kind`` -> their source."""
    with runtime.sessions() as session:
        return {t.value: t.source for t in active_tags(load(session, reference)) if t.kind == kind}


def test_a_status_change_is_kept_in_the_history_and_audited(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        assert triage.set_status(session, item, "in-review", who.actor, FIXED_NOW)
        assert not triage.set_status(session, item, "in-review", who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        assert load(session, reference).status == "in-review"
        changes = session.scalars(select(FeedbackStatusChange)).all()
    assert [(c.old_status, c.new_status, c.changed_by) for c in changes] == [
        ("new", "in-review", who.actor)]
    [event] = events(runtime, "feedback.status-changed")
    assert (event.actor, event.entity_id, event.details) == (
        who.actor, reference, {"from": "new", "to": "in-review"})


def test_an_unknown_status_is_refused(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    with runtime.sessions.begin() as session, pytest.raises(Invalid) as refused:
        triage.set_status(session, load(session, reference), "done", who.actor, FIXED_NOW)
    assert "status" in refused.value.errors


def test_confirming_an_automatic_tag_makes_a_staff_tag_that_training_learns_from(
        runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    assert active(runtime, reference, "service") == {"gp": "auto"}
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        automatic = next(t for t in item.tags if t.kind == "service")
        triage.confirm_tag(session, item, automatic.id, who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        services = session.scalars(select(Tag).where(Tag.kind == "service").order_by(Tag.id)).all()
        assert [(t.value, t.source, t.retracted_by, t.created_by) for t in services] == [
            ("gp", "auto", who.actor, None), ("gp", "staff", None, who.actor)]
        assert confirmed_examples(session, runtime.config).labels == ["gp"]
    runtime.intake.retag()
    assert active(runtime, reference, "service") == {"gp": "staff"}
    [event] = events(runtime, "tag.corrected")
    assert event.actor == who.actor and event.details["replaces"] == event.details["value"] == "gp"


def test_a_removed_tag_stays_in_the_history_and_is_not_put_back(runtime: Runtime) -> None:
    reference = ingest(runtime, "My GP never sends large print letters, I need large print")
    who = add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        wrong = next(t for t in item.tags if t.value == "large-print")
        triage.remove_tag_by_id(session, item, wrong.id, who.actor, FIXED_NOW)
        with pytest.raises(Invalid):   # already removed: a stale page
            triage.remove_tag_by_id(session, item, wrong.id, who.actor, FIXED_NOW)
    runtime.intake.retag()
    assert "large-print" not in active(runtime, reference, "need")
    with runtime.sessions() as session:
        kept = session.scalar(select(Tag).where(Tag.value == "large-print"))
        assert kept is not None and kept.retracted_by == who.actor
    assert events(runtime, "tag.removed")[0].actor == who.actor


def test_staff_add_a_need_with_its_snomed_code(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        triage.add_tag(session, runtime.config, item, "need", "interpreter:ur", who.actor, FIXED_NOW)
        triage.add_tag(session, runtime.config, item, "need", "easy-read", who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.add_tag(session, runtime.config, item, "need", "telepathy", who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.add_tag(session, runtime.config, item, "theme", "waiting", who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        needs = {t.value: (t.code, t.source, t.confidence) for t in active_tags(load(session, reference))
                 if t.kind == "need"}
    assert needs == {"interpreter:ur": ("204211000000109", "staff", 1.0),
                     "easy-read": ("796161000000101", "staff", 1.0)}


def test_adding_a_value_the_taggers_found_confirms_it_instead_of_doubling_it(
        runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        triage.add_tag(session, runtime.config, item, "service", "gp", who.actor, FIXED_NOW)
        again = triage.add_tag(session, runtime.config, item, "service", "gp", who.actor, FIXED_NOW)
        assert again.source == "staff"
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Tag).where(
            Tag.kind == "service", Tag.retracted_at.is_(None))) == 1
    assert active(runtime, reference, "service") == {"gp": "staff"}


def test_setting_the_services_confirms_removes_and_adds(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        changes = triage.set_tags(session, runtime.config, item, "service", ["gp", "pharmacy"],
                                  who.actor, FIXED_NOW)
        assert (changes.added, changes.confirmed, changes.removed) == (1, 1, 0)
    assert active(runtime, reference, "service") == {"gp": "staff", "pharmacy": "staff"}
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        changes = triage.set_tags(session, runtime.config, item, "service", ["dental"], who.actor,
                                  FIXED_NOW)
        assert (changes.added, changes.confirmed, changes.removed) == (1, 0, 2)
        assert not triage.set_tags(session, runtime.config, item, "service", ["dental"],
                                   who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.set_tags(session, runtime.config, item, "service", ["no-such-service"],
                            who.actor, FIXED_NOW)
    assert active(runtime, reference, "service") == {"dental": "staff"}
    runtime.intake.retag()
    assert active(runtime, reference, "service") == {"dental": "staff"}


def test_an_item_has_one_language_and_staff_can_change_it(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    assert active(runtime, reference, "language") == {"en": "auto"}
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        triage.add_tag(session, runtime.config, item, "language", "pl", who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.set_tags(session, runtime.config, item, "language", ["pl", "ur"], who.actor,
                            FIXED_NOW)
    assert active(runtime, reference, "language") == {"pl": "staff"}


def test_confirming_all_tags_confirms_only_automatic_ones(runtime: Runtime) -> None:
    reference = ingest(runtime, "I need an interpreter at my GP", needs=("easy-read",))
    who = add_staff(runtime)
    before = {**active(runtime, reference, "service"), **active(runtime, reference, "need")}
    assert before["easy-read"] == "contributor" and before["gp"] == "auto"
    with runtime.sessions.begin() as session:
        confirmed = triage.confirm_tags(session, load(session, reference), who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        tags = active_tags(load(session, reference))
    assert confirmed == len([t for t in tags if t.source == "staff"]) >= 3  # service, language, need
    assert {t.source for t in tags} == {"staff", "contributor"}
    assert {t.value for t in tags if t.source == "contributor"} == {"easy-read"}


def test_links_name_who_made_them_and_unlinking_is_audited(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    tracker, consultation = add_tracker_item(runtime), add_consultation(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        assert triage.link_tracker(session, item, tracker, who.actor, FIXED_NOW)
        assert not triage.link_tracker(session, item, tracker, who.actor, FIXED_NOW)
        assert triage.link_consultation(session, item, consultation, who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.link_tracker(session, item, 9999, who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        assert session.scalar(select(FeedbackTrackerLink.linked_by)) == who.actor
        assert session.scalar(select(FeedbackConsultationLink.linked_by)) == who.actor
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        assert triage.unlink_tracker(session, item, tracker, who.actor, FIXED_NOW)
        assert not triage.unlink_tracker(session, item, tracker, who.actor, FIXED_NOW)
        assert triage.unlink_consultation(session, item, consultation, who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackTrackerLink)) == 0
    assert [e.details["target"] for e in events(runtime, "feedback.linked")] == [
        "tracker", "consultation"]
    unlinked = events(runtime, "feedback.unlinked")
    assert [(e.actor, e.details["made_by"]) for e in unlinked] == [(who.actor, who.actor)] * 2


def test_a_note_is_kept_and_its_audit_event_does_not_repeat_it(runtime: Runtime) -> None:
    reference, who = ingest(runtime), add_staff(runtime)
    with runtime.sessions.begin() as session:
        item = load(session, reference)
        triage.add_note(session, item, "  Called the practice manager.\r\nWill follow up.  ",
                        who.user_id, who.actor, FIXED_NOW)
        with pytest.raises(Invalid) as empty:
            triage.add_note(session, item, "   ", who.user_id, who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.add_note(session, item, "x" * 5001, who.user_id, who.actor, FIXED_NOW)
    assert "Write the note" in empty.value.errors["note"]
    with runtime.sessions() as session:
        [note] = session.scalars(select(FeedbackNote)).all()
        assert note.text == "Called the practice manager.\nWill follow up."
    [event] = events(runtime, "feedback.note-added")
    assert event.actor == who.actor and "practice" not in str(event.details)


def test_bulk_status_reports_what_changed_what_was_already_so_and_what_is_missing(
        runtime: Runtime) -> None:
    first, second, closed = ingest(runtime), ingest(runtime, "The pharmacy was lovely"), ingest(runtime)
    who = add_staff(runtime)
    with runtime.sessions.begin() as session:
        triage.set_status(session, load(session, closed), "closed", who.actor, FIXED_NOW)
    with runtime.sessions.begin() as session:
        result = triage.bulk_set_status(
            session, [first, second.lower(), closed, "FB-222222", first], "closed", who.actor,
            FIXED_NOW)
    assert (result.changed, result.unchanged, result.missing) == (
        [first, second], [closed], ["FB-222222"])
    with runtime.sessions() as session:
        assert {load(session, r).status for r in (first, second, closed)} == {"closed"}
    assert len(events(runtime, "feedback.status-changed")) == 3
    [batch] = events(runtime, "feedback.bulk-action")
    assert batch.actor == who.actor and batch.details["action"] == "set-status"
    assert batch.details["changed"] == [first, second]


def test_bulk_confirm_and_link(runtime: Runtime) -> None:
    references = [ingest(runtime), ingest(runtime, "The dentist was rude to my mum")]
    who, tracker = add_staff(runtime), add_tracker_item(runtime)
    consultation = add_consultation(runtime)
    with runtime.sessions.begin() as session:
        assert triage.bulk_confirm_tags(session, references, who.actor, FIXED_NOW).changed == references
        assert triage.bulk_confirm_tags(session, references, who.actor, FIXED_NOW).unchanged == references
        assert triage.bulk_link_tracker(session, references, tracker, who.actor,
                                        FIXED_NOW).changed == references
        assert triage.bulk_link_consultation(session, references[:1], consultation, who.actor,
                                             FIXED_NOW).changed == references[:1]
        with pytest.raises(Invalid):
            triage.bulk_link_tracker(session, references, 9999, who.actor, FIXED_NOW)
        with pytest.raises(Invalid):
            triage.bulk_set_status(session, [], "closed", who.actor, FIXED_NOW)
    with runtime.sessions() as session:
        assert not [t for r in references for t in active_tags(load(session, r)) if t.source == "auto"]
        assert session.scalar(select(func.count()).select_from(FeedbackTrackerLink)) == 2
        assert session.scalar(select(func.count()).select_from(FeedbackConsultationLink)) == 1

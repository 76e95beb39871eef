"""What reviewers do to a feedback item: move its status on, put its tags right, link it to the
tracker or a consultation, and leave a note for colleagues. One item at a time or many at once.

Tags are corrected through :mod:`intake.tag_history`, so nothing is overwritten: a tag staff
remove stays in the history, retracted; confirming an automatic tag replaces it with a staff tag
of the same value. Staff tags are what `intake train` learns from, and a re-run of the taggers
never undoes them.

Every change writes an audit event naming ``actor`` (``staff:<email>``, as the workspace names
people). Permissions are checked by the callers (web, CLI) against ``intake.staff.permissions``.
Nothing here commits: the caller's transaction does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Config
from intake.link_decisions import forget_removed, remember_removed
from intake.pipeline.stages.needs import need_code
from intake.references import normalise_reference
from intake.staff.validation import Invalid, check_length, clean_text
from intake.storage.models import (
    AuditEvent,
    Consultation,
    Feedback,
    FeedbackConsultationLink,
    FeedbackNote,
    FeedbackStatus,
    FeedbackStatusChange,
    FeedbackTrackerLink,
    Tag,
    TrackerItem,
)
from intake.tag_history import HUMAN_SOURCES, STAFF_PREFIX, active_tags, correct_tag, remove_tag

# The kinds staff choose values for. Themes come from a learned model: staff confirm or remove
# them, and add new ones by labelling examples for it.
EDITABLE_KINDS = ("service", "language", "need", "flag")
SINGLE_VALUED = frozenset({"language"})
NOTE_LIMIT = 5_000
BULK_LIMIT = 200


@dataclass(frozen=True)
class TagChanges:
    added: int
    confirmed: int
    removed: int

    def __bool__(self) -> bool:
        return bool(self.added or self.confirmed or self.removed)


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did, by reference."""

    changed: list[str]
    unchanged: list[str]   # already as asked (a status it had, a link it had, no automatic tags)
    missing: list[str]     # no item has this reference (deleted, or mistyped)


def find(session: Session, reference: str) -> Feedback | None:
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    return session.scalar(select(Feedback).where(Feedback.reference == normalised))


def _audit(session: Session, actor: str, action: str, feedback: Feedback, now: datetime,
           details: dict[str, Any]) -> None:
    session.add(AuditEvent(occurred_at=now, actor=actor, action=action, entity_type="feedback",
                           entity_id=feedback.reference, details=details))


def _staff(actor: str) -> str:
    """``tag_history`` adds the ``staff:`` prefix itself."""
    return actor.removeprefix(STAFF_PREFIX)


# -- status ----------------------------------------------------------------------------------

def set_status(session: Session, feedback: Feedback, status: str, actor: str,
               now: datetime) -> bool:
    """Move the item to ``status``, keeping the change in its history. False if it was already."""
    if status not in set(FeedbackStatus):
        raise Invalid({"status": "Choose a status from the list"})
    old = feedback.status
    if old == status:
        return False
    feedback.status, feedback.updated_at = status, now
    session.add(FeedbackStatusChange(feedback_id=feedback.id, old_status=old, new_status=status,
                                     changed_by=actor, changed_at=now))
    _audit(session, actor, "feedback.status-changed", feedback, now, {"from": old, "to": status})
    return True


# -- tags ------------------------------------------------------------------------------------

def check_value(config: Config, kind: str, value: str) -> str | None:
    """The tag's SNOMED CT code (needs), or None; ``Invalid`` if the value is not a known one."""
    known = {
        "service": lambda: value in config.service_ids,
        "language": lambda: value in config.language_codes,
        "need": lambda: need_code(config, value) is not None,
        "flag": lambda: any(f.id == value for f in config.safety.flags),
    }.get(kind)
    if known is None:
        raise Invalid({kind: "Tags of this kind cannot be added by hand"})
    if not known():
        raise Invalid({kind: "Choose a value from the list"})
    return need_code(config, value) if kind == "need" else None


def _tag(feedback: Feedback, tag_id: int) -> Tag:
    tag = next((t for t in feedback.tags if t.id == tag_id), None)
    if tag is None:
        raise Invalid({"tag": "That tag is not on this item; reload the page"})
    if tag.retracted_at is not None:
        raise Invalid({"tag": "That tag was already removed; reload the page"})
    return tag


def confirm_tag(session: Session, feedback: Feedback, tag_id: int, actor: str,
                now: datetime) -> Tag:
    """Staff agree with an automatic tag: a staff tag with the same value replaces it (kept as
    history), so the taggers' re-runs keep it and `intake train` learns from it."""
    tag = _tag(feedback, tag_id)
    if tag.source in HUMAN_SOURCES:
        return tag
    return correct_tag(session, feedback, kind=tag.kind, value=tag.value, code=tag.code,
                       staff=_staff(actor), now=now, replaces=tag)


def remove_tag_by_id(session: Session, feedback: Feedback, tag_id: int, actor: str,
                     now: datetime) -> Tag:
    """Staff say a tag is wrong: it is retracted, kept in the history, and not put back by a
    re-run of the taggers."""
    tag = _tag(feedback, tag_id)
    remove_tag(session, tag, staff=_staff(actor), now=now)
    feedback.updated_at = now
    return tag


def add_tag(session: Session, config: Config, feedback: Feedback, kind: str, value: str,
            actor: str, now: datetime) -> Tag:
    """Staff add a value. If the taggers already found it, that is a confirmation; if a person
    already set it, nothing changes. A language replaces the item's other language."""
    code = check_value(config, kind, value)
    current = [t for t in active_tags(feedback) if t.kind == kind]
    same = [t for t in current if t.value == value]
    human = next((t for t in same if t.source in HUMAN_SOURCES), None)
    if kind in SINGLE_VALUED:
        for other in current:
            if other.value != value:
                remove_tag(session, other, staff=_staff(actor), now=now)
    if human is not None:
        return human
    feedback.updated_at = now
    return correct_tag(session, feedback, kind=kind, value=value, code=code, staff=_staff(actor),
                       now=now, replaces=same[0] if same else None)


def set_tags(session: Session, config: Config, feedback: Feedback, kind: str,
             values: Collection[str], actor: str, now: datetime) -> TagChanges:
    """Make the item's ``kind`` tags exactly ``values``, all decided by staff: automatic tags
    among them are confirmed, the others removed, and values not there yet added."""
    wanted = list(dict.fromkeys(values))
    if kind in SINGLE_VALUED and len(wanted) > 1:
        raise Invalid({kind: f"Choose one {kind}"})
    for value in wanted:
        check_value(config, kind, value)
    current = [t for t in active_tags(feedback) if t.kind == kind]
    removed = confirmed = added = 0
    for tag in current:
        if tag.value not in wanted:
            remove_tag(session, tag, staff=_staff(actor), now=now)
            removed += 1
    for value in wanted:
        same = [t for t in current if t.value == value]
        if any(t.source in HUMAN_SOURCES for t in same):
            continue
        add_tag(session, config, feedback, kind, value, actor, now)
        if same:
            confirmed += 1
        else:
            added += 1
    if removed:
        feedback.updated_at = now
    return TagChanges(added, confirmed, removed)


def confirm_tags(session: Session, feedback: Feedback, actor: str, now: datetime) -> int:
    """Confirm every automatic tag the item has (for a reviewer who checked them all)."""
    automatic = [t for t in active_tags(feedback) if t.source not in HUMAN_SOURCES]
    for tag in automatic:
        correct_tag(session, feedback, kind=tag.kind, value=tag.value, code=tag.code,
                    staff=_staff(actor), now=now, replaces=tag)
    if automatic:
        feedback.updated_at = now
    return len(automatic)


# -- links -----------------------------------------------------------------------------------

def link_tracker(session: Session, feedback: Feedback, tracker_item_id: int, actor: str,
                 now: datetime) -> bool:
    """Link the item to a tracker item. False if it was linked already (by anyone)."""
    item = session.get(TrackerItem, tracker_item_id)
    if item is None:
        raise Invalid({"tracker": "Choose a tracker item from the list"})
    if session.scalar(select(FeedbackTrackerLink.id).where(
            FeedbackTrackerLink.feedback_id == feedback.id,
            FeedbackTrackerLink.tracker_item_id == item.id)) is not None:
        return False
    session.add(FeedbackTrackerLink(feedback_id=feedback.id, tracker_item_id=item.id,
                                    linked_by=actor, created_at=now))
    forget_removed(session, feedback.id, "tracker", item.id)
    _audit(session, actor, "feedback.linked", feedback, now,
           {"target": "tracker", "tracker_item_id": item.id, "title": item.title})
    return True


def unlink_tracker(session: Session, feedback: Feedback, tracker_item_id: int, actor: str,
                   now: datetime) -> bool:
    link = session.scalar(select(FeedbackTrackerLink).where(
        FeedbackTrackerLink.feedback_id == feedback.id,
        FeedbackTrackerLink.tracker_item_id == tracker_item_id))
    if link is None:
        return False
    session.delete(link)
    remember_removed(session, feedback.id, "tracker", tracker_item_id, actor, now)
    _audit(session, actor, "feedback.unlinked", feedback, now,
           {"target": "tracker", "tracker_item_id": tracker_item_id,
            "made_by": link.linked_by or f"rule:{link.rule_id}"})
    return True


def link_consultation(session: Session, feedback: Feedback, consultation_id: int, actor: str,
                      now: datetime) -> bool:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise Invalid({"consultation": "Choose a consultation from the list"})
    if session.scalar(select(FeedbackConsultationLink.id).where(
            FeedbackConsultationLink.feedback_id == feedback.id,
            FeedbackConsultationLink.consultation_id == consultation.id)) is not None:
        return False
    session.add(FeedbackConsultationLink(feedback_id=feedback.id, consultation_id=consultation.id,
                                         linked_by=actor, created_at=now))
    forget_removed(session, feedback.id, "consultation", consultation.id)
    _audit(session, actor, "feedback.linked", feedback, now,
           {"target": "consultation", "consultation": consultation.slug})
    return True


def unlink_consultation(session: Session, feedback: Feedback, consultation_id: int, actor: str,
                        now: datetime) -> bool:
    link = session.scalar(select(FeedbackConsultationLink).where(
        FeedbackConsultationLink.feedback_id == feedback.id,
        FeedbackConsultationLink.consultation_id == consultation_id))
    if link is None:
        return False
    slug = session.scalar(select(Consultation.slug).where(Consultation.id == consultation_id))
    session.delete(link)
    remember_removed(session, feedback.id, "consultation", consultation_id, actor, now)
    _audit(session, actor, "feedback.unlinked", feedback, now,
           {"target": "consultation", "consultation": slug,
            "made_by": link.linked_by or f"rule:{link.rule_id}"})
    return True


# -- notes -----------------------------------------------------------------------------------

def add_note(session: Session, feedback: Feedback, text: str, author_id: int, actor: str,
             now: datetime) -> FeedbackNote:
    """An internal note; never shown to the person who gave the feedback. The audit event
    records that a note was written, not what it says."""
    body = clean_text(text)
    errors: dict[str, str] = {}
    if not body:
        errors["note"] = "Write the note before saving it"
    check_length(errors, "note", body, NOTE_LIMIT, "A note")
    if errors:
        raise Invalid(errors)
    note = FeedbackNote(feedback_id=feedback.id, author_id=author_id, text=body, created_at=now)
    session.add(note)
    session.flush()
    _audit(session, actor, "feedback.note-added", feedback, now, {"note_id": note.id})
    return note


# -- many at once ----------------------------------------------------------------------------

def bulk(session: Session, references: Iterable[str], actor: str, now: datetime, action: str,
         change: Callable[[Feedback], bool | int], details: dict[str, Any] | None = None,
         ) -> BulkResult:
    """Apply ``change`` to each item (it says whether it changed anything) and audit the batch
    as well as each item, so "who closed these 25 items" has one answer."""
    wanted = list(dict.fromkeys(r for r in (normalise_reference(x) for x in references) if r))
    if not wanted:
        raise Invalid({"reference": "Select at least one feedback item"})
    if len(wanted) > BULK_LIMIT:
        raise Invalid({"reference": f"Select {BULK_LIMIT} items or fewer at a time"})
    items = {f.reference: f for f in session.scalars(
        select(Feedback).where(Feedback.reference.in_(wanted)))}
    changed, unchanged = [], []
    for reference in wanted:
        if reference in items:
            (changed if change(items[reference]) else unchanged).append(reference)
    missing = [r for r in wanted if r not in items]
    session.add(AuditEvent(occurred_at=now, actor=actor, action="feedback.bulk-action",
                           entity_type="feedback", entity_id="bulk",
                           details={"action": action, **(details or {}), "changed": changed,
                                    "unchanged": unchanged, "missing": missing}))
    return BulkResult(changed, unchanged, missing)


def bulk_confirm_tags(session: Session, references: Iterable[str], actor: str,
                      now: datetime) -> BulkResult:
    return bulk(session, references, actor, now, "confirm-tags",
                lambda f: confirm_tags(session, f, actor, now))


def bulk_set_status(session: Session, references: Iterable[str], status: str, actor: str,
                    now: datetime) -> BulkResult:
    if status not in set(FeedbackStatus):
        raise Invalid({"status": "Choose a status from the list"})
    return bulk(session, references, actor, now, "set-status",
                lambda f: set_status(session, f, status, actor, now), {"status": status})


def bulk_link_tracker(session: Session, references: Iterable[str], tracker_item_id: int,
                      actor: str, now: datetime) -> BulkResult:
    if session.get(TrackerItem, tracker_item_id) is None:
        raise Invalid({"tracker": "Choose a tracker item from the list"})
    return bulk(session, references, actor, now, "link-tracker",
                lambda f: link_tracker(session, f, tracker_item_id, actor, now),
                {"tracker_item_id": tracker_item_id})


def bulk_link_consultation(session: Session, references: Iterable[str], consultation_id: int,
                           actor: str, now: datetime) -> BulkResult:
    if session.get(Consultation, consultation_id) is None:
        raise Invalid({"consultation": "Choose a consultation from the list"})
    return bulk(session, references, actor, now, "link-consultation",
                lambda f: link_consultation(session, f, consultation_id, actor, now),
                {"consultation_id": consultation_id})

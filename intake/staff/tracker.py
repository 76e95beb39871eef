"""The Involve tracker: what the team is doing about what people said, reported to the governing
body every two months.

Admins create, edit and close items; reviewers keep them current (the red/amber/green rating with
a note saying why, next steps, expected impact, "you said, we did"). Every rating is kept, so the
report can show how an item moved; every change writes an audit event naming who made it.
Permissions are checked by the callers (web, CLI) against ``intake.staff.permissions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Config
from intake.feedback_query import FeedbackFilters, count, facet_counts
from intake.link_decisions import forget_removed, remember_removed
from intake.references import normalise_reference
from intake.staff.dates import local_date
from intake.staff.labels import Count, Labels
from intake.staff.validation import Invalid, check_length, check_services, clean_text
from intake.storage.models import (
    AuditEvent,
    Feedback,
    FeedbackTrackerLink,
    RagRating,
    RagRatingChange,
    TrackerItem,
    TrackerStatus,
)

TITLE_LIMIT = 200       # the column's size
OWNER_LIMIT = 120
TEXT_LIMIT = 10_000     # a description or progress text: a few pages, not a document
NOTE_LIMIT = 2_000
EXCERPT_LENGTH = 160
RATING_LABELS = {RagRating.RED: "Red", RagRating.AMBER: "Amber", RagRating.GREEN: "Green"}
STATUS_LABELS = {TrackerStatus.ACTIVE: "Active", TrackerStatus.PAUSED: "Paused",
                 TrackerStatus.COMPLETED: "Completed"}
# The texts reviewers keep up to date, by field, with what the pages call them.
PROGRESS_FIELDS = {"next_steps": "Next steps", "expected_impact": "Expected impact",
                   "you_said_we_did": "You said, we did"}
_STATUS_ORDER = {TrackerStatus.ACTIVE: 0, TrackerStatus.PAUSED: 1, TrackerStatus.COMPLETED: 2}
_RATING_ORDER = {RagRating.RED: 0, RagRating.AMBER: 1, RagRating.GREEN: 2}


@dataclass(frozen=True)
class TrackerDetails:
    """What an admin sets when creating or editing an item."""

    title: str
    description: str = ""
    services: tuple[str, ...] = ()
    owner: str = ""
    start_date: date | None = None
    due_date: date | None = None


def check_details(details: TrackerDetails, config: Config) -> TrackerDetails:
    """The details tidied, or ``Invalid`` naming each field to correct."""
    errors: dict[str, str] = {}
    title, owner = clean_text(details.title), clean_text(details.owner)
    description = clean_text(details.description)
    if not title:
        errors["title"] = "Enter a title for the tracker item"
    check_length(errors, "title", title, TITLE_LIMIT, "The title")
    check_length(errors, "description", description, TEXT_LIMIT, "The description")
    check_length(errors, "owner", owner, OWNER_LIMIT, "The owner's name")
    services = check_services(errors, "services", list(details.services), config.service_ids)
    if details.start_date and details.due_date and details.due_date < details.start_date:
        errors["due_date"] = "The due date must be the same as or after the start date"
    if errors:
        raise Invalid(errors)
    return TrackerDetails(title=title, description=description, services=tuple(services),
                          owner=owner, start_date=details.start_date, due_date=details.due_date)


def _rating(value: str) -> RagRating:
    try:
        return RagRating(value)
    except ValueError:
        raise Invalid({"rating": "Choose red, amber or green"}) from None


def _audit(session: Session, actor: str, action: str, item: TrackerItem, now: datetime,
           details: dict[str, Any] | None = None) -> None:
    session.add(AuditEvent(occurred_at=now, actor=actor, action=action, entity_type="tracker_item",
                           entity_id=str(item.id), details=details or {}))


def create_item(session: Session, config: Config, details: TrackerDetails, rating: str, note: str,
                actor: str, now: datetime) -> TrackerItem:
    """A new active item; its first rating starts the rating history."""
    errors: dict[str, str] = {}
    try:
        details = check_details(details, config)
    except Invalid as exc:
        errors.update(exc.errors)
    try:
        chosen = _rating(rating)
    except Invalid as exc:
        errors.update(exc.errors)
    note = clean_text(note)
    check_length(errors, "note", note, NOTE_LIMIT, "The note")
    if errors:
        raise Invalid(errors)
    item = TrackerItem(title=details.title, description=details.description,
                       services=list(details.services), owner=details.owner, rag_rating=chosen.value,
                       status=TrackerStatus.ACTIVE, start_date=details.start_date,
                       due_date=details.due_date, created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    session.add(RagRatingChange(tracker_item_id=item.id, rating=chosen.value,
                                note=note or "First rating", changed_by=actor, changed_at=now))
    _audit(session, actor, "tracker.created", item, now,
           {"title": item.title, "rating": chosen.value, "services": list(details.services)})
    return item


def edit_item(session: Session, config: Config, item: TrackerItem, details: TrackerDetails,
              actor: str, now: datetime) -> list[str]:
    """Change the item's details; returns the names of the fields that changed (none: no audit)."""
    details = check_details(details, config)
    new = {"title": details.title, "description": details.description,
           "services": list(details.services), "owner": details.owner,
           "start_date": details.start_date, "due_date": details.due_date}
    changed = [name for name, value in new.items() if getattr(item, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(item, name, new[name])
    item.updated_at = now
    _audit(session, actor, "tracker.edited", item, now, {"changed": changed})
    return changed


def change_status(session: Session, item: TrackerItem, status: str, actor: str,
                  now: datetime) -> None:
    """Pause, complete (close) or reopen an item. Completing records the day it was done."""
    try:
        chosen = TrackerStatus(status)
    except ValueError:
        raise Invalid({"status": "Choose active, paused or completed"}) from None
    if chosen == item.status:
        return
    old = item.status
    item.status = chosen.value
    item.completed_date = local_date(now) if chosen == TrackerStatus.COMPLETED else None
    item.updated_at = now
    _audit(session, actor, "tracker.status-changed", item, now, {"from": old, "to": chosen.value})


def rate(session: Session, item: TrackerItem, rating: str, note: str, actor: str,
         now: datetime) -> RagRatingChange:
    """Set the rating, saying why. The same rating again is a review and is kept in the history."""
    errors: dict[str, str] = {}
    try:
        chosen = _rating(rating)
    except Invalid as exc:
        errors.update(exc.errors)
    note = clean_text(note)
    if not note:
        errors["note"] = "Enter a note saying why the item has this rating"
    check_length(errors, "note", note, NOTE_LIMIT, "The note")
    if errors:
        raise Invalid(errors)
    old = item.rag_rating
    item.rag_rating = chosen.value
    item.updated_at = now
    change = RagRatingChange(tracker_item_id=item.id, rating=chosen.value, note=note,
                             changed_by=actor, changed_at=now)
    session.add(change)
    _audit(session, actor, "tracker.rated", item, now, {"from": old, "to": chosen.value})
    return change


def update_progress(session: Session, item: TrackerItem, name: str, text: str, actor: str,
                    now: datetime) -> bool:
    """Replace one of the progress texts (``PROGRESS_FIELDS``); False when it did not change."""
    if name not in PROGRESS_FIELDS:
        raise Invalid({name: "This is not a text that can be updated here"})
    text = clean_text(text)
    errors: dict[str, str] = {}
    check_length(errors, name, text, TEXT_LIMIT, PROGRESS_FIELDS[name])
    if errors:
        raise Invalid(errors)
    if getattr(item, name) == text:
        return False
    setattr(item, name, text)
    item.updated_at = now
    _audit(session, actor, "tracker.progress-updated", item, now,
           {"field": name, "length": len(text)})
    return True


def rating_history(session: Session, item: TrackerItem) -> list[RagRatingChange]:
    """Newest first."""
    return list(session.scalars(select(RagRatingChange)
                                .where(RagRatingChange.tracker_item_id == item.id)
                                .order_by(RagRatingChange.changed_at.desc(),
                                          RagRatingChange.id.desc())))


# -- linking feedback ------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkResult:
    linked: list[str] = field(default_factory=list)
    already_linked: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def parse_references(text: str) -> tuple[list[str], list[str]]:
    """References from what someone pasted (commas, semicolons or new lines between them; spaces
    too when each part is a whole reference). Returns (references, parts that are not one)."""
    found: list[str] = []
    unreadable: list[str] = []
    for chunk in re.split(r"[,;\n]+", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        whole = normalise_reference(chunk)
        if whole is not None:
            found.append(whole)
            continue
        for word in chunk.split():
            reference = normalise_reference(word)
            if reference is None:
                unreadable.append(word)
            else:
                found.append(reference)
    return list(dict.fromkeys(found)), unreadable


def link_feedback(session: Session, item: TrackerItem, text: str, actor: str,
                  now: datetime) -> LinkResult:
    """Link the feedback named by ``text`` (references) to the item."""
    references, unreadable = parse_references(text)
    if not references and not unreadable:
        raise Invalid({"references": "Enter one or more feedback references, like FB-7K3M9Q"})
    rows = {ref: feedback_id for ref, feedback_id in session.execute(
        select(Feedback.reference, Feedback.id).where(Feedback.reference.in_(references)))}
    existing = set(session.scalars(select(FeedbackTrackerLink.feedback_id).where(
        FeedbackTrackerLink.tracker_item_id == item.id,
        FeedbackTrackerLink.feedback_id.in_(rows.values()))))
    result = LinkResult(unreadable=unreadable)
    for reference in references:
        feedback_id = rows.get(reference)
        if feedback_id is None:
            result.not_found.append(reference)
        elif feedback_id in existing:
            result.already_linked.append(reference)
        else:
            session.add(FeedbackTrackerLink(feedback_id=feedback_id, tracker_item_id=item.id,
                                            linked_by=actor, created_at=now))
            forget_removed(session, feedback_id, "tracker", item.id)
            result.linked.append(reference)
    if result.linked:
        _audit(session, actor, "tracker.feedback-linked", item, now, {"references": result.linked})
    return result


def unlink_feedback(session: Session, item: TrackerItem, reference: str, actor: str,
                    now: datetime) -> bool:
    """Remove one item's link (whoever or whichever rule made it); False if there was none."""
    link = session.scalar(select(FeedbackTrackerLink)
                          .join(Feedback, Feedback.id == FeedbackTrackerLink.feedback_id)
                          .where(FeedbackTrackerLink.tracker_item_id == item.id,
                                 Feedback.reference == reference))
    if link is None:
        return False
    session.delete(link)
    remember_removed(session, link.feedback_id, "tracker", item.id, actor, now)
    _audit(session, actor, "tracker.feedback-unlinked", item, now,
           {"reference": reference, "rule": link.rule_id, "linked_by": link.linked_by})
    return True


# -- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrackerRow:
    item: TrackerItem
    linked: int


def list_items(session: Session, status: str | None = None,
               rating: str | None = None) -> list[TrackerRow]:
    """Items for the list: active first, then red before amber before green, then by title."""
    query = select(TrackerItem)
    if status:
        query = query.where(TrackerItem.status == status)
    if rating:
        query = query.where(TrackerItem.rag_rating == rating)
    counts = facet_counts(session, FeedbackFilters(), "tracker")
    items = sorted(session.scalars(query), key=lambda i: (
        _STATUS_ORDER.get(i.status, 9), _RATING_ORDER.get(i.rag_rating, 9), i.title.casefold(), i.id))
    return [TrackerRow(item, counts.get(str(item.id), 0)) for item in items]


@dataclass(frozen=True)
class LinkedFeedback:
    reference: str
    received_at: datetime
    channel: str
    status: str
    excerpt: str
    linked_by: str           # a person ("staff:…") or the routing rule that made the link


@dataclass(frozen=True)
class LinkedSummary:
    total: int
    services: list[Count]
    languages: list[Count]
    needs: list[Count]
    recent: list[LinkedFeedback]


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def linked_summary(session: Session, labels: Labels, item: TrackerItem,
                   recent: int = 10) -> LinkedSummary:
    """What the item's linked feedback is about: counts by service, language and need (from the
    active tags, with the configured names) and the newest items (redacted text only)."""
    filters = FeedbackFilters(tracker=item.id)
    total = count(session, filters)
    rows = session.execute(
        select(Feedback, FeedbackTrackerLink.rule_id, FeedbackTrackerLink.linked_by)
        .join(FeedbackTrackerLink, FeedbackTrackerLink.feedback_id == Feedback.id)
        .where(FeedbackTrackerLink.tracker_item_id == item.id)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc()).limit(recent))
    newest = [LinkedFeedback(reference=feedback.reference, received_at=feedback.received_at,
                             channel=labels.channel(feedback.channel), status=feedback.status,
                             excerpt=excerpt(feedback.redacted_text),
                             linked_by=linked_by or f"rule {rule_id}")
              for feedback, rule_id, linked_by in rows]
    return LinkedSummary(
        total=total,
        services=labels.counts("service", facet_counts(session, filters, "service")),
        languages=labels.counts("language", facet_counts(session, filters, "language")),
        needs=labels.counts("need", facet_counts(session, filters, "need")),
        recent=newest)

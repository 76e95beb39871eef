"""Applying tags without losing what people decided.

Tags are never updated in place. Re-running the taggers retracts the old automatic tags and adds
new ones; a staff correction retracts the tag it replaces. Tags a contributor or staff member set
are never touched by a re-run, and a value staff removed is not put back automatically.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from intake.pipeline import TagProposal
from intake.storage.models import AuditEvent, Feedback, Tag

HUMAN_SOURCES = frozenset({"contributor", "staff"})
# For these kinds a person's decision replaces inference entirely; for the others (needs, flags,
# themes) inference may still add values the person did not mention.
HUMAN_DECIDES_KIND = frozenset({"language", "service"})
STAFF_PREFIX = "staff:"


def active_tags(feedback: Feedback) -> list[Tag]:
    return [tag for tag in feedback.tags if tag.retracted_at is None]


def _same(tag: Tag, proposal: TagProposal) -> bool:
    return (tag.kind, tag.value, tag.source, tag.tagger_version, round(tag.confidence, 4)) == (
        proposal.kind, proposal.value, proposal.source, proposal.tagger,
        round(proposal.confidence, 4))


def _tag_values(proposal: TagProposal, now: datetime) -> dict[str, Any]:
    return {"kind": proposal.kind, "value": proposal.value, "code": proposal.code,
            "confidence": proposal.confidence, "source": proposal.source,
            "tagger_version": proposal.tagger, "evidence": proposal.evidence, "created_at": now}


def _new_tag(feedback: Feedback, proposal: TagProposal, now: datetime) -> Tag:
    return Tag(feedback=feedback, **_tag_values(proposal, now))


def _wanted(proposals: Iterable[TagProposal], current: list[Tag], history: list[Tag]) -> list[TagProposal]:
    """The proposals people's decisions allow, given the item's active tags and all its tags."""
    human = [t for t in current if t.source in HUMAN_SOURCES]
    human_kinds = {t.kind for t in human}
    human_values = {(t.kind, t.value) for t in human}
    staff_removed = {(t.kind, t.value) for t in history
                     if t.retracted_by and t.retracted_by.startswith(STAFF_PREFIX)}

    def wanted(p: TagProposal) -> bool:
        if p.source in HUMAN_SOURCES:
            return (p.kind, p.value) not in human_values
        if p.kind in HUMAN_DECIDES_KIND and p.kind in human_kinds:
            return False
        return (p.kind, p.value) not in human_values | staff_removed

    return [p for p in proposals if wanted(p)]


def new_item_tag_rows(feedback_id: int, proposals: Iterable[TagProposal],
                      now: datetime) -> list[dict[str, Any]]:
    """The tags ``apply_pipeline_tags`` gives an item that has none yet, as rows for one bulk
    insert (`intake import` stores a batch of items without building a Tag object for each)."""
    return [{"feedback_id": feedback_id, **_tag_values(p, now)} for p in _wanted(proposals, [], [])]


def apply_pipeline_tags(feedback: Feedback, proposals: Iterable[TagProposal], now: datetime,
                        reason: str) -> tuple[int, int]:
    """Bring the item's automatic tags up to date. Returns (added, retracted)."""
    current = active_tags(feedback)
    keep = _wanted(proposals, current, feedback.tags)
    retracted = 0
    for tag in current:
        if tag.source == "auto" and not any(_same(tag, p) for p in keep):
            tag.retracted_at, tag.retracted_by = now, reason
            retracted += 1
    still = [t for t in current if t.retracted_at is None]
    added = 0
    for proposal in keep:
        if not any(_same(t, proposal) for t in still):
            feedback.tags.append(_new_tag(feedback, proposal, now))
            added += 1
    return added, retracted


def correct_tag(session: Session, feedback: Feedback, *, kind: str, value: str, staff: str,
                now: datetime, replaces: Tag | None = None, code: str | None = None) -> Tag:
    """A member of staff sets a tag, optionally replacing one; the replaced tag is kept, retracted."""
    actor = f"{STAFF_PREFIX}{staff}"
    if replaces is not None:
        if replaces.feedback_id != feedback.id:
            raise ValueError("the tag to replace belongs to another feedback item")
        replaces.retracted_at, replaces.retracted_by = now, actor
    tag = Tag(feedback=feedback, kind=kind, value=value, code=code, confidence=1.0,
              source="staff", created_at=now, created_by=actor)
    session.add(tag)
    session.add(AuditEvent(
        occurred_at=now, actor=actor, action="tag.corrected", entity_type="feedback",
        entity_id=feedback.reference,
        details={"kind": kind, "value": value,
                 "replaces": replaces.value if replaces is not None else None}))
    return tag


def remove_tag(session: Session, tag: Tag, *, staff: str, now: datetime) -> None:
    """A member of staff says a tag is wrong. It stays in the history, retracted."""
    actor = f"{STAFF_PREFIX}{staff}"
    tag.retracted_at, tag.retracted_by = now, actor
    session.add(AuditEvent(
        occurred_at=now, actor=actor, action="tag.removed", entity_type="feedback",
        entity_id=tag.feedback.reference, details={"kind": tag.kind, "value": tag.value}))

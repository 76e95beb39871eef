"""People's decisions about links outrank the routing rules: a link a member of staff removed
stays removed when routing runs again, until someone links it again by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake.storage.models import RemovedLink

Target = Literal["tracker", "consultation"]


def remember_removed(session: Session, feedback_id: int, target: Target, target_id: int,
                     actor: str, now: datetime) -> None:
    if session.scalar(select(RemovedLink.id).where(
            RemovedLink.feedback_id == feedback_id, RemovedLink.target == target,
            RemovedLink.target_id == target_id)) is None:
        session.add(RemovedLink(feedback_id=feedback_id, target=target, target_id=target_id,
                                removed_by=actor, removed_at=now))


def forget_removed(session: Session, feedback_id: int, target: Target, target_id: int) -> None:
    session.execute(delete(RemovedLink).where(
        RemovedLink.feedback_id == feedback_id, RemovedLink.target == target,
        RemovedLink.target_id == target_id))


def removed_targets(session: Session, feedback_id: int) -> set[tuple[str, int]]:
    return {(target, target_id) for target, target_id in session.execute(
        select(RemovedLink.target, RemovedLink.target_id).where(RemovedLink.feedback_id == feedback_id))}

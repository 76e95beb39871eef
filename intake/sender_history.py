"""What is known of a message's sender when their message is tagged: the languages of their
recent items (a prior for language detection) and the consultations they were recently invited
to (a reply is about its invitation). One statement for both, for every item from a known
person (a conversation's last turn among them): one round trip where there were two."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import literal_column, select, union_all
from sqlalchemy.orm import Session

from intake.campaigns.reply_links import INVITED_TO
from intake.contributors import PREFERRED_LANGUAGE_WEIGHT, RECENT_LANGUAGES
from intake.storage.models import Contributor

_LANGUAGES, _INVITED = RECENT_LANGUAGES.subquery(), INVITED_TO.subquery()
_HISTORY = union_all(
    select(literal_column("'language'").label("kind"), _LANGUAGES.c.value.label("language"),
           literal_column("NULL").label("consultation_id")),
    select(literal_column("'invitation'"), literal_column("NULL"), _INVITED.c.consultation_id))


def sender_history(session: Session, contributor: Contributor | None, moment: datetime,
                   reply_days: int, exclude_feedback_id: int | None = None
                   ) -> tuple[dict[str, float], tuple[int, ...]]:
    """What is known of ``contributor`` (None for a stranger: nothing) as of ``moment``, in one
    read: their languages (code -> weight: their preferred language weighs two, each language
    tag of their recent items, staff corrections included, one; ``exclude_feedback_id``: an
    item being tagged again, left out), and the ids of the consultations they were sent an
    invitation to in the ``reply_days`` before ``moment``."""
    if contributor is None:
        return {}, ()
    weights: dict[str, float] = {}
    if contributor.preferred_language:
        weights[contributor.preferred_language] = PREFERRED_LANGUAGE_WEIGHT
    invitations: list[int] = []
    for row in session.execute(_HISTORY, {  # no item has id 0: "excluding none" is the same read
            "contributor_id": contributor.id, "exclude_id": exclude_feedback_id or 0,
            "moment": moment, "since": moment - timedelta(days=reply_days)}):
        if row.kind == "language":
            weights[row.language] = weights.get(row.language, 0.0) + 1.0
        else:
            invitations.append(row.consultation_id)
    return weights, tuple(sorted(invitations))

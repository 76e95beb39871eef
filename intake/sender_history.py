"""What is known of a message's sender when their message is tagged: the languages of their
recent items (a prior for language detection) and the consultations they were recently invited
to (a reply is about its invitation). One statement for both, for every item from a known
person (a conversation's last turn among them): one round trip where there were two."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import literal_column, select, union_all
from sqlalchemy.orm import Session

from intake.campaigns.reply_links import INVITED_TO
from intake.contributors import RECENT_LANGUAGES, language_weights
from intake.storage.models import Contributor

_LANGUAGES, _INVITED = RECENT_LANGUAGES.subquery(), INVITED_TO.subquery()
_HISTORY = union_all(
    select(literal_column("'language'").label("kind"), _LANGUAGES.c.value.label("language"),
           literal_column("NULL").label("consultation_id")),
    select(literal_column("'invitation'"), literal_column("NULL"), _INVITED.c.consultation_id))


def sender_history(session: Session, contributor: Contributor | None, moment: datetime,
                   reply_days: int) -> tuple[dict[str, float], tuple[int, ...]]:
    """``intake.contributors.known_languages`` and ``intake.campaigns.recent_invitations`` for
    ``contributor`` (None for a stranger: nothing known) as of ``moment``, in one read."""
    if contributor is None:
        return {}, ()
    languages: list[str] = []
    invitations: list[int] = []
    for row in session.execute(_HISTORY, {  # no item has id 0: no item is left out
            "contributor_id": contributor.id, "exclude_id": 0, "moment": moment,
            "since": moment - timedelta(days=reply_days)}):
        if row.kind == "language":
            languages.append(row.language)
        else:
            invitations.append(row.consultation_id)
    return language_weights(contributor, languages), tuple(sorted(invitations))

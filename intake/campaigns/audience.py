"""Who a campaign reaches, and who it leaves out and why.

A person is reached only when all of these hold, checked in this order (the first that fails is
the reason they are left out):

1. they have not opted out on ANY channel (an opt-out on Telegram also stops texts: PECR asks us
   to honour every opt-out, and people do not think of channels separately);
2. their latest answer to the follow-up question was yes (consent is an append-only log);
3. they have an address on a channel campaigns go out on (their most recently used one);
4. they have not already been sent this campaign's message (one per person per consultation or
   tracker item).

Their language is the one they chose, else the language of their feedback, else the default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from intake.config import Config
from intake.storage.models import (
    ContactAddress,
    Contributor,
    Feedback,
    FeedbackTrackerLink,
    OutboundMessage,
    Tag,
)

FOLLOW_UP = "follow-up"
UNDETERMINED = "und"
# Ids per IN (...) list: well under every database's limit on bound parameters.
CHUNK = 500


class Reason(StrEnum):
    OPTED_OUT = "opted-out"
    NO_CONSENT = "no-consent"
    NO_ADDRESS = "no-address"
    ALREADY_SENT = "already-sent"

    @property
    def label(self) -> str:
        return {
            Reason.OPTED_OUT: "Opted out of messages (on any channel)",
            Reason.NO_CONSENT: "Did not agree to be contacted again, or was never asked",
            Reason.NO_ADDRESS: "No address on a channel we send campaigns on",
            Reason.ALREADY_SENT: "Already sent this message (or it is queued)",
        }[self]


@dataclass(frozen=True)
class Recipient:
    contributor_id: int
    pseudonym: str
    address_id: int
    channel: str
    language: str                  # the person's language
    feedback_id: int | None        # the feedback the message is about, if one
    reference: str | None          # that feedback's reference


@dataclass(frozen=True)
class Exclusion:
    contributor_id: int
    pseudonym: str
    language: str
    reason: Reason


@dataclass(frozen=True)
class Audience:
    recipients: tuple[Recipient, ...]
    excluded: tuple[Exclusion, ...]


def refusal(contributor: Contributor) -> Reason | None:
    """Why this person must not get a campaign message at all (opt-out, no consent), if so.
    The same rule is asked again just before each message is sent."""
    if any(address.opted_out_at is not None for address in contributor.addresses):
        return Reason.OPTED_OUT
    consents = [c for c in contributor.consents if c.purpose == FOLLOW_UP]
    if not consents or not max(consents, key=lambda c: (c.recorded_at, c.id)).granted:
        return Reason.NO_CONSENT
    return None


def sending_address(contributor: Contributor, channels: Iterable[str]) -> ContactAddress | None:
    """Their most recently used address on a channel we send on."""
    wanted = set(channels)
    usable = [a for a in contributor.addresses if a.channel in wanted]
    return max(usable, key=lambda a: (a.last_seen_at, a.id), default=None)


@dataclass(frozen=True)
class _Latest:
    id: int
    reference: str


def _latest_feedback(session: Session, query: Select[tuple[Feedback]]) -> dict[int, _Latest]:
    """Each contributor's most recent feedback among those the query finds (ids only: the text
    is never read for a campaign)."""
    latest: dict[int, _Latest] = {}
    rows = session.execute(
        query.with_only_columns(Feedback.id, Feedback.reference, Feedback.contributor_id)
        .where(Feedback.contributor_id.is_not(None))
        .order_by(Feedback.received_at, Feedback.id))
    for feedback_id, reference, contributor_id in rows:
        latest[contributor_id] = _Latest(feedback_id, reference)
    return latest


def _contributors(session: Session, ids: Sequence[int]) -> list[Contributor]:
    found: list[Contributor] = []
    for start in range(0, len(ids), CHUNK):
        found.extend(session.scalars(
            select(Contributor).where(Contributor.id.in_(ids[start:start + CHUNK]))
            .options(selectinload(Contributor.addresses), selectinload(Contributor.consents))))
    return sorted(found, key=lambda contributor: contributor.id)


def _language_tags(session: Session, feedback_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, tuple[float, str]] = {}
    for start in range(0, len(feedback_ids), CHUNK):
        rows = session.execute(select(Tag.feedback_id, Tag.value, Tag.confidence).where(
            Tag.feedback_id.in_(feedback_ids[start:start + CHUNK]), Tag.kind == "language",
            Tag.retracted_at.is_(None), Tag.value != UNDETERMINED))
        for feedback_id, value, confidence in rows:
            if feedback_id not in found or confidence > found[feedback_id][0]:
                found[feedback_id] = (confidence, value)
    return {feedback_id: value for feedback_id, (_, value) in found.items()}


def _already_sent(session: Session, keys: Sequence[str]) -> set[str]:
    sent: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        sent.update(session.scalars(select(OutboundMessage.intent_key).where(
            OutboundMessage.intent_key.in_(keys[start:start + CHUNK]))))
    return sent


def build(session: Session, config: Config, feedback: Select[tuple[Feedback]],
          intent_key: str, languages: Iterable[str] = ()) -> Audience:
    """The audience made of the people behind ``feedback`` (each by their latest item), kept to
    ``languages`` when given. ``intent_key`` has a ``{contributor}`` slot: one message each."""
    latest = _latest_feedback(session, feedback)
    contributors = _contributors(session, list(latest))
    tags = _language_tags(session, [item.id for item in latest.values()])
    known, default = set(config.language_codes), config.languages.default
    wanted = set(languages)
    keys = {c.id: intent_key.format(contributor=c.id) for c in contributors}
    sent = _already_sent(session, list(keys.values()))
    channels = config.campaigns.channels
    recipients: list[Recipient] = []
    excluded: list[Exclusion] = []
    for contributor in contributors:
        item = latest[contributor.id]
        language = next((code for code in (contributor.preferred_language, tags.get(item.id))
                         if code in known), default)
        if wanted and language not in wanted:
            continue
        reason = refusal(contributor)
        address = sending_address(contributor, channels) if reason is None else None
        if reason is None and address is None:
            reason = Reason.NO_ADDRESS
        if reason is None and keys[contributor.id] in sent:
            reason = Reason.ALREADY_SENT
        if reason is not None or address is None:
            excluded.append(Exclusion(contributor.id, contributor.pseudonym, language,
                                      reason or Reason.NO_ADDRESS))
            continue
        recipients.append(Recipient(contributor.id, contributor.pseudonym, address.id,
                                    address.channel, language, item.id, item.reference))
    return Audience(tuple(recipients), tuple(excluded))


def feedback_on_tracker_item(tracker_item_id: int) -> Select[tuple[Feedback]]:
    return select(Feedback).join(FeedbackTrackerLink, FeedbackTrackerLink.feedback_id == Feedback.id) \
        .where(FeedbackTrackerLink.tracker_item_id == tracker_item_id)


def feedback_about(services: Iterable[str]) -> Select[tuple[Feedback]]:
    """All feedback, or only feedback with an active service tag among ``services``."""
    query = select(Feedback)
    chosen = sorted(set(services))
    if chosen:
        query = query.where(Feedback.id.in_(select(Tag.feedback_id).where(
            Tag.kind == "service", Tag.value.in_(chosen), Tag.retracted_at.is_(None))))
    return query


def count_by(items: Iterable[Recipient | Exclusion], attribute: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[str(getattr(item, attribute))] += 1
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))

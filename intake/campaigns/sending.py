"""Previewing and sending a campaign, and the last check before each of its messages goes out.

Staff see a preview first: how many people by channel and language, the exact text each language
group gets, and who is left out and why. Sending re-reads the audience and refuses if it no longer
matches what was previewed (someone opted out, new feedback came in), so people get what staff
approved and nothing else. Messages go through the outbox, whose worker keeps to each provider's
limits; during quiet hours they wait until the morning.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from intake.campaigns import audience as people
from intake.campaigns.quiet_hours import QuietHours
from intake.campaigns.texts import (
    MAX_LENGTH,
    PERSONAL,
    CampaignTextError,
    check_texts,
    choose_text,
    placeholders_in,
    render,
)
from intake.config import Config
from intake.outbox import Hold, enqueue
from intake.staff.dates import last_day, show_date
from intake.storage.models import (
    AuditEvent,
    Campaign,
    CampaignKind,
    Consultation,
    ContactAddress,
    Contributor,
    OutboundMessage,
    TrackerItem,
)

CAMPAIGN_PURPOSES = frozenset(kind.value for kind in CampaignKind)
CONSULTATION_FORM = "/feedback/c/{slug}"
FEEDBACK_FORM = "/feedback"


class CampaignError(ValueError):
    """The campaign cannot be sent as asked; the message says what to do instead."""


class AudienceChanged(CampaignError):
    """Who would get the message changed after the preview; ``preview`` is the new one."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("Who would get this message has changed since the preview (someone "
                         "opted out, or new feedback came in). Check the new preview and send again.")
        self.preview = preview


@dataclass(frozen=True)
class Filters:
    """Who an invitation is for: people whose feedback was about these services, in these
    languages (empty: everyone). A "you said, we did" message goes to everyone linked."""

    services: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {"services": list(self.services), "languages": list(self.languages)}


@dataclass(frozen=True)
class Target:
    """What a campaign is about: a consultation (an invitation) or a tracker item."""

    kind: CampaignKind
    consultation: Consultation | None = None
    tracker_item: TrackerItem | None = None

    @classmethod
    def invitation(cls, consultation: Consultation) -> Target:
        return cls(CampaignKind.INVITATION, consultation=consultation)

    @classmethod
    def you_said_we_did(cls, tracker_item: TrackerItem) -> Target:
        return cls(CampaignKind.YOU_SAID_WE_DID, tracker_item=tracker_item)

    @property
    def entity(self) -> tuple[str, int]:
        if self.consultation is not None:
            return "consultation", self.consultation.id
        assert self.tracker_item is not None
        return "tracker_item", self.tracker_item.id

    @property
    def intent_key(self) -> str:
        """One message per person per consultation or tracker item, however often staff send."""
        entity, number = self.entity
        return f"{self.kind}:{entity}:{number}:{{contributor}}"

    def values(self, base_url: str) -> dict[str, str]:
        base = base_url.rstrip("/")
        if self.consultation is not None:
            closes = self.consultation.closes_at
            return {"title": self.consultation.title,
                    "link": base + CONSULTATION_FORM.format(slug=self.consultation.slug),
                    "keyword": self.consultation.sms_keyword or "",
                    "closes": show_date(last_day(closes)) if closes is not None else ""}
        assert self.tracker_item is not None
        return {"title": self.tracker_item.title, "link": base + FEEDBACK_FORM}

    def check_open(self, now: datetime) -> None:
        if self.consultation is not None and not self.consultation.is_open_at(now):
            raise CampaignError(f"{self.consultation.title} is not open for feedback now, so "
                                f"nobody can be invited to it. Open it first.")


@dataclass(frozen=True)
class PlannedMessage:
    recipient: people.Recipient
    text_language: str
    body: str


@dataclass(frozen=True)
class TextGroup:
    """Everyone who gets the text in one language: how many, their own languages, the text."""

    language: str
    template: str
    example: str                      # the text as the first of them gets it
    personal: bool                    # it differs per person ({reference})
    count: int
    people_languages: dict[str, int]  # e.g. {"pl": 3} for Polish speakers given the English text


@dataclass(frozen=True)
class Preview:
    target: Target
    texts: dict[str, str]
    filters: Filters
    messages: tuple[PlannedMessage, ...]
    excluded: tuple[people.Exclusion, ...]
    not_before: datetime | None       # quiet hours now: nothing goes before this
    by_channel: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    groups: tuple[TextGroup, ...] = ()

    @property
    def fingerprint(self) -> str:
        """Changes whenever who gets what would change."""
        lines = sorted((m.recipient.contributor_id, m.recipient.address_id, m.text_language, m.body)
                       for m in self.messages)
        return hashlib.sha256(json.dumps(lines, ensure_ascii=False).encode()).hexdigest()[:32]


def audience(session: Session, config: Config, target: Target,
             filters: Filters = Filters()) -> people.Audience:
    if target.kind == CampaignKind.INVITATION:
        query = people.feedback_about(filters.services)
        return people.build(session, config, query, target.intent_key, filters.languages)
    assert target.tracker_item is not None
    return people.build(session, config, people.feedback_on_tracker_item(target.tracker_item.id),
                        target.intent_key)


def check_filters(config: Config, target: Target, filters: Filters) -> None:
    unknown = [s for s in filters.services if s not in config.service_ids] + \
              [code for code in filters.languages if code not in config.language_codes]
    if unknown:
        raise CampaignError(f"{', '.join(unknown)} is not a service or language set up here.")
    if target.kind == CampaignKind.YOU_SAID_WE_DID and (filters.services or filters.languages):
        raise CampaignError("A \"you said, we did\" message goes to everyone whose feedback is "
                            "linked to the item; it cannot be filtered.")


def preview(session: Session, config: Config, target: Target, texts: dict[str, str],
            filters: Filters, now: datetime, base_url: str) -> Preview:
    """What sending would do now. Raises CampaignTextError or CampaignError for what to fix."""
    target.check_open(now)
    check_filters(config, target, filters)
    settings, default = config.campaigns, config.languages.default
    texts = check_texts(texts, target.kind, languages=config.language_codes, default=default,
                        opt_out_word=settings.opt_out_word)
    found = audience(session, config, target, filters)
    shared = target.values(base_url)
    planned: list[PlannedMessage] = []
    for recipient in found.recipients:
        language, template = choose_text(texts, recipient.language, default)
        values = {**shared, "reference": recipient.reference or ""}
        planned.append(PlannedMessage(recipient, language, render(template, values)))
    too_long = {m.text_language for m in planned if len(m.body) > MAX_LENGTH}
    if too_long:
        raise CampaignTextError({code: f"With the placeholders filled in the text is over "
                                       f"{MAX_LENGTH} characters; shorten it." for code in too_long})
    return Preview(
        target=target, texts=texts, filters=filters, messages=tuple(planned),
        excluded=found.excluded,
        not_before=QuietHours.from_settings(settings).not_before(now),
        by_channel=people.count_by(found.recipients, "channel"),
        by_language=people.count_by(found.recipients, "language"),
        excluded_by_reason=people.count_by(found.excluded, "reason"),
        groups=_groups(texts, planned))


def _groups(texts: dict[str, str], planned: list[PlannedMessage]) -> tuple[TextGroup, ...]:
    groups = []
    for language, template in texts.items():
        mine = [m for m in planned if m.text_language == language]
        if not mine:
            continue
        groups.append(TextGroup(
            language=language, template=template, example=mine[0].body,
            personal=bool(PERSONAL & set(placeholders_in(template))), count=len(mine),
            people_languages=dict(Counter(m.recipient.language for m in mine).most_common())))
    return tuple(groups)


def send(session: Session, config: Config, target: Target, texts: dict[str, str],
         filters: Filters, now: datetime, base_url: str, actor: str,
         fingerprint: str | None) -> Campaign:
    """Queue the previewed messages (one per person), record the campaign and audit it.
    ``fingerprint`` is the preview's; if who gets what changed since, AudienceChanged."""
    current = preview(session, config, target, texts, filters, now, base_url)
    if fingerprint is not None and current.fingerprint != fingerprint:
        raise AudienceChanged(current)
    if not current.messages:
        raise CampaignError("Nobody can be sent this message: everyone is left out for the "
                            "reasons shown.")
    consultation = target.consultation
    tracker_item = target.tracker_item
    campaign = Campaign(
        kind=target.kind.value, consultation_id=consultation.id if consultation else None,
        tracker_item_id=tracker_item.id if tracker_item else None, texts=current.texts,
        filters=filters.as_dict(), excluded=current.excluded_by_reason,
        not_before=current.not_before, created_by=actor, created_at=now)
    session.add(campaign)
    session.flush()
    for message in current.messages:
        recipient = message.recipient
        enqueue(session, intent_key=target.intent_key.format(contributor=recipient.contributor_id),
                address=session.get_one(ContactAddress, recipient.address_id),
                purpose=target.kind.value, body=message.body, language=message.text_language,
                now=now, not_before=current.not_before, campaign_id=campaign.id,
                feedback_id=recipient.feedback_id if tracker_item is not None else None)
    session.flush()
    # Another sender may have queued some of the same people a moment ago: count only ours.
    campaign.queued = session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.campaign_id == campaign.id)) or 0
    entity, number = target.entity
    session.add(AuditEvent(
        occurred_at=now, actor=actor, action=f"campaign.{target.kind.value}-sent",
        entity_type=entity, entity_id=str(number),
        details=_audit_details(campaign, current)))
    return campaign


def _audit_details(campaign: Campaign, current: Preview) -> dict[str, Any]:
    return {"campaign_id": campaign.id, "queued": campaign.queued,
            "by_channel": current.by_channel, "by_language": current.by_language,
            "excluded": current.excluded_by_reason, "texts": current.texts,
            "filters": campaign.filters,
            "not_before": current.not_before.isoformat() if current.not_before else None}


class CampaignSendCheck:
    """The outbox worker's last check on a campaign message, just before sending it: the
    person may have opted out or withdrawn consent since it was queued (it may have waited all
    night), and nothing goes during quiet hours, even when the queue runs late."""

    def __init__(self, config: Config) -> None:
        self.quiet = QuietHours.from_settings(config.campaigns)

    def __call__(self, session: Session, message: OutboundMessage, now: datetime) -> Hold | None:
        if message.purpose not in CAMPAIGN_PURPOSES:
            return None
        contributor = session.scalar(
            select(Contributor).where(Contributor.id == message.contributor_id)
            .options(selectinload(Contributor.addresses), selectinload(Contributor.consents)))
        reason = people.refusal(contributor) if contributor is not None else people.Reason.NO_ADDRESS
        if reason is not None:
            return Hold(reason.label)
        until = self.quiet.not_before(now)
        return Hold(f"quiet hours ({self.quiet})", until) if until is not None else None


def send_checks(config: Config) -> tuple[CampaignSendCheck, ...]:
    """The checks the outbox worker runs before each message (see ``intake worker``)."""
    return (CampaignSendCheck(config),)

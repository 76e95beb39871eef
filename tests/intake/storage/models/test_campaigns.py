"""Campaign rows: what staff approved and what happened, and the messages that point back at it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.storage.models import Campaign, CampaignKind, Consultation, OutboundMessage, TrackerItem
from tests.conftest import FIXED_NOW
from tests.intake.storage.models.conftest import delete_refused, refused


def campaign(kind: str = CampaignKind.INVITATION, **fields: object) -> Campaign:
    return Campaign(kind=kind, created_by="staff:1", **fields)


def message(campaign_id: int, intent_key: str = "invite:1:P-AAAAAA") -> OutboundMessage:
    return OutboundMessage(intent_key=intent_key, channel="sms", purpose="invitation",
                           body="Tell us about maternity care", campaign_id=campaign_id)


def test_a_new_campaign_has_empty_texts_filters_and_counts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(campaign())
    with sessions() as session:
        stored = session.scalars(select(Campaign)).one()
    assert (stored.texts, stored.filters, stored.excluded, stored.queued) == ({}, {}, {}, 0)
    assert stored.not_before is None and stored.consultation_id is None
    assert stored.created_at.tzinfo is not None


def test_each_kind_round_trips_and_compares_equal_to_the_enum(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add_all([campaign(kind) for kind in CampaignKind])
    with sessions() as session:
        stored = session.scalars(select(Campaign.kind).order_by(Campaign.id)).all()
    assert stored == list(CampaignKind)
    assert [CampaignKind(kind) for kind in stored] == list(CampaignKind)


def test_texts_filters_and_exclusions_round_trip(sessions: sessionmaker[Session]) -> None:
    texts = {"en": "Tell us about {service}", "pl": "Powiedz nam o {service}",
             "ur": "ہمیں {service} کے بارے میں بتائیں"}
    filters = {"services": ["maternity"], "languages": []}
    excluded = {"opted-out": 2, "no-consent": 5}
    with sessions.begin() as session:
        session.add(campaign(texts=texts, filters=filters, excluded=excluded, queued=12))
    with sessions() as session:
        stored = session.scalars(select(Campaign)).one()
    assert (stored.texts, stored.filters, stored.excluded, stored.queued) == (
        texts, filters, excluded, 12)


def test_not_before_set_during_quiet_hours_comes_back_in_utc(sessions: sessionmaker[Session]) -> None:
    local_morning = datetime(2026, 11, 3, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    with sessions.begin() as session:
        session.add(campaign(not_before=local_morning))
    with sessions() as session:
        stored = session.scalar(select(Campaign.not_before))
    assert stored == local_morning and stored is not None and stored.utcoffset() == timedelta(0)


@pytest.mark.parametrize("field", ["consultation_id", "tracker_item_id"])
def test_a_campaign_for_a_missing_consultation_or_tracker_item_is_refused(
        sessions: sessionmaker[Session], field: str) -> None:
    with sessions() as session:
        session.add(campaign(**{field: 999_999}))
        refused(session)


def test_messages_a_campaign_queued_point_back_at_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consultation = Consultation(slug="maternity-2026", title="Maternity care", opens_at=FIXED_NOW)
        item = TrackerItem(title="Evening GP appointments")
        session.add_all([consultation, item])
        session.flush()
        invitation = campaign(consultation_id=consultation.id)
        update = campaign(CampaignKind.YOU_SAID_WE_DID, tracker_item_id=item.id)
        session.add_all([invitation, update])
        session.flush()
        session.add_all([message(invitation.id), message(invitation.id, "invite:1:P-BBBBBB"),
                         message(update.id, "ysdw:1:P-AAAAAA")])
        consultation_id = consultation.id
    with sessions() as session:
        keys = session.scalars(select(OutboundMessage.intent_key).join(
            Campaign, OutboundMessage.campaign_id == Campaign.id).where(
            Campaign.consultation_id == consultation_id).order_by(OutboundMessage.intent_key)).all()
    assert keys == ["invite:1:P-AAAAAA", "invite:1:P-BBBBBB"]


def test_a_campaign_with_queued_messages_cannot_be_deleted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        sent = campaign()
        session.add(sent)
        session.flush()
        session.add(message(sent.id))
    delete_refused(sessions, Campaign, sent.id)
    with sessions() as session:
        assert session.scalar(select(OutboundMessage.campaign_id)) == sent.id

"""Previewing and sending a campaign: what a target is and fills in, which filters are allowed,
what the preview shows and how its fingerprint moves, what sending records, and the outbox
worker's last check before each campaign message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.campaigns.audience import Reason
from intake.campaigns.sending import (
    CAMPAIGN_PURPOSES,
    AudienceChanged,
    CampaignError,
    CampaignSendCheck,
    Filters,
    Preview,
    Target,
    check_filters,
    preview,
    send,
    send_checks,
)
from intake.campaigns.texts import MAX_LENGTH, CampaignTextError
from intake.config import Config
from intake.outbox import Hold, enqueue
from intake.storage.models import (
    AuditEvent,
    Campaign,
    CampaignKind,
    Consultation,
    ContactAddress,
    OutboundMessage,
    TrackerItem,
)
from tests.conftest import FIXED_NOW
from tests.intake.synthetic_people import DAY, add_consultation, add_person, add_tracker_item
from tests.intake.test_campaigns import BASE_URL, EN, NIGHT, PL, YOU_SAID

STAFF = "staff:reviewer@example.test"
MORNING = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def consultation(**changes: object) -> Consultation:
    values: dict[str, object] = {
        "id": 7, "slug": "gp-access", "title": "Getting a GP appointment", "status": "open",
        "sms_keyword": "GPACCESS", "opens_at": FIXED_NOW - 10 * DAY,
        "closes_at": datetime(2026, 11, 23, 0, 0, tzinfo=UTC)}
    return Consultation(**{**values, **changes})


# -- Filters and Target, without a database ----------------------------------------------------

def test_filters_are_recorded_as_lists() -> None:
    assert Filters().as_dict() == {"services": [], "languages": []}
    assert Filters(("gp", "dental"), ("pl",)).as_dict() == {"services": ["gp", "dental"],
                                                            "languages": ["pl"]}


def test_the_intent_key_is_one_per_person_per_consultation_or_item() -> None:
    invitation = Target.invitation(consultation())
    item = Target.you_said_we_did(TrackerItem(id=3, title="Phones"))
    assert (invitation.kind, invitation.entity) == (CampaignKind.INVITATION, ("consultation", 7))
    assert (item.kind, item.entity) == (CampaignKind.YOU_SAID_WE_DID, ("tracker_item", 3))
    assert invitation.intent_key.format(contributor=12) == "invitation:consultation:7:12"
    assert item.intent_key.format(contributor=12) == "you-said-we-did:tracker_item:3:12"


def test_an_invitation_fills_in_the_consultation() -> None:
    """It closes (exclusively) at midnight starting 23 November: the last day is the 22nd."""
    assert Target.invitation(consultation()).values(BASE_URL + "/") == {
        "title": "Getting a GP appointment", "link": f"{BASE_URL}/feedback/c/gp-access",
        "keyword": "GPACCESS", "closes": "22 November 2026"}


def test_an_invitation_without_keyword_or_closing_day_leaves_them_blank() -> None:
    values = Target.invitation(consultation(sms_keyword=None, closes_at=None)).values(BASE_URL)
    assert (values["keyword"], values["closes"]) == ("", "")


def test_you_said_we_did_fills_in_the_item_and_the_feedback_form() -> None:
    item = Target.you_said_we_did(TrackerItem(id=3, title="Answering the phone"))
    assert item.values(BASE_URL + "/") == {"title": "Answering the phone",
                                           "link": f"{BASE_URL}/feedback"}


@pytest.mark.parametrize("changes", [
    {"status": "closed"}, {"status": "planned"},
    {"opens_at": FIXED_NOW + timedelta(seconds=1)},
    {"closes_at": FIXED_NOW},
])
def test_nobody_is_invited_to_a_consultation_not_open_now(changes: dict[str, object]) -> None:
    with pytest.raises(CampaignError) as refused:
        Target.invitation(consultation(**changes)).check_open(FIXED_NOW)
    assert str(refused.value) == ("Getting a GP appointment is not open for feedback now, so "
                                  "nobody can be invited to it. Open it first.")


def test_an_open_consultation_and_any_tracker_item_pass_the_open_check() -> None:
    Target.invitation(consultation(opens_at=FIXED_NOW)).check_open(FIXED_NOW)
    Target.you_said_we_did(TrackerItem(id=3, title="Done", status="completed")).check_open(
        FIXED_NOW)


def test_unknown_services_and_languages_are_all_named(config: Config) -> None:
    with pytest.raises(CampaignError) as refused:
        check_filters(config, Target.invitation(consultation()),
                      Filters(("gp", "nope"), ("pl", "xx")))
    assert str(refused.value) == "nope, xx is not a service or language set up here."
    check_filters(config, Target.invitation(consultation()), Filters(("gp",), ("pl",)))


@pytest.mark.parametrize("filters", [Filters(services=("gp",)), Filters(languages=("pl",))])
def test_you_said_we_did_cannot_be_filtered(config: Config, filters: Filters) -> None:
    item = Target.you_said_we_did(TrackerItem(id=3, title="Phones"))
    with pytest.raises(CampaignError, match="cannot be filtered"):
        check_filters(config, item, filters)
    check_filters(config, item, Filters())


def test_campaign_purposes_are_the_campaign_kinds() -> None:
    assert {"invitation", "you-said-we-did"} == CAMPAIGN_PURPOSES


# -- preview and send ---------------------------------------------------------------------------

@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


def look(session: Session, config: Config, target: Target, texts: dict[str, str] | None = None,
         now: datetime = FIXED_NOW) -> Preview:
    return preview(session, config, target, texts or {"en": EN}, Filters(), now, BASE_URL)


def test_the_preview_groups_people_by_the_text_they_get(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    english = add_person(session, vault, 1)
    add_person(session, vault, 2, preferred_language="ur")           # no Urdu text: English
    polish = add_person(session, vault, 3, preferred_language="pl", channels=["telegram"])
    add_person(session, vault, 4, consents=[False])
    target = Target.invitation(add_consultation(session))
    shown = look(session, config, target, {"pl": PL, "en": EN, "ro": "Romanian {link} STOP"})
    assert [(g.language, g.count, g.people_languages, g.personal) for g in shown.groups] == [
        ("pl", 1, {"pl": 1}, False), ("en", 2, {"en": 1, "ur": 1}, False)]   # no Romanian reader
    english_group = shown.groups[1]
    assert english_group.template == EN
    assert english_group.example == next(
        m.body for m in shown.messages if m.recipient.contributor_id == english.id)
    assert "{" not in english_group.example and f"{BASE_URL}/feedback/c/gp-access" in \
        english_group.example
    assert (shown.by_channel, shown.by_language) == ({"sms": 2, "telegram": 1},
                                                    {"en": 1, "pl": 1, "ur": 1})
    assert shown.excluded_by_reason == {"no-consent": 1}
    assert [(m.recipient.contributor_id, m.text_language) for m in shown.messages
            if m.recipient.contributor_id == polish.id] == [(polish.id, "pl")]
    assert shown.not_before is None


def test_the_fingerprint_changes_only_when_who_gets_what_changes(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    add_person(session, vault, 1)
    target = Target.invitation(add_consultation(session))
    first = look(session, config, target)
    assert look(session, config, target).fingerprint == first.fingerprint
    at_night = look(session, config, target, now=NIGHT)
    assert (at_night.fingerprint, at_night.not_before) == (first.fingerprint, MORNING)
    assert look(session, config, target, {"en": EN + " Thanks."}).fingerprint != first.fingerprint
    add_person(session, vault, 2, consents=[False])                 # left out: no change
    assert look(session, config, target).fingerprint == first.fingerprint
    add_person(session, vault, 3)
    assert look(session, config, target).fingerprint != first.fingerprint


def test_a_text_too_long_once_filled_in_is_refused_for_its_language(
        runtime: Runtime, session: Session, config: Config) -> None:
    add_person(session, runtime.intake.vault, 1)
    add_person(session, runtime.intake.vault, 2, preferred_language="pl")
    target = Target.invitation(add_consultation(session))
    long_english = EN + "x" * (MAX_LENGTH - len(EN))             # fits as written...
    with pytest.raises(CampaignTextError) as refused:
        look(session, config, target, {"en": long_english, "pl": PL})
    assert refused.value.problems == {"en": f"With the placeholders filled in the text is over "
                                            f"{MAX_LENGTH} characters; shorten it."}


def test_sending_an_invitation_queues_and_records_it(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    reached = add_person(session, vault, 1, preferred_language="pl")
    add_person(session, vault, 2, opted_out=["sms"])
    found = add_consultation(session)
    target = Target.invitation(found)
    shown = look(session, config, target, {"en": EN, "pl": PL})
    campaign = send(session, config, target, {"en": f"  {EN}  ", "pl": PL, "ur": " "},
                    Filters(), FIXED_NOW, BASE_URL, STAFF, shown.fingerprint)
    assert (campaign.kind, campaign.consultation_id, campaign.tracker_item_id) == (
        "invitation", found.id, None)
    assert (campaign.texts, campaign.filters, campaign.excluded) == (
        {"en": EN, "pl": PL}, {"services": [], "languages": []}, {"opted-out": 1})
    assert (campaign.queued, campaign.not_before, campaign.created_by, campaign.created_at) == (
        1, None, STAFF, FIXED_NOW)
    (message,) = session.scalars(select(OutboundMessage))
    assert (message.contributor_id, message.campaign_id, message.purpose, message.language) == (
        reached.id, campaign.id, "invitation", "pl")
    assert message.body == shown.messages[0].body and message.next_attempt_at == FIXED_NOW
    assert message.intent_key == target.intent_key.format(contributor=reached.id)
    # An invitation is about the consultation, not about anyone's feedback.
    assert message.feedback_id is None


def test_sending_at_night_holds_the_campaign_until_morning(
        runtime: Runtime, session: Session, config: Config) -> None:
    add_person(session, runtime.intake.vault, 1)
    campaign = send(session, config, Target.invitation(add_consultation(session)), {"en": EN},
                    Filters(), NIGHT, BASE_URL, STAFF, None)
    session.flush()
    assert campaign.not_before == MORNING
    assert session.scalars(select(OutboundMessage.next_attempt_at)).one() == MORNING
    event = session.scalars(select(AuditEvent)).one()
    assert event.details["not_before"] == MORNING.isoformat()


def test_you_said_we_did_is_audited_against_the_tracker_item(
        runtime: Runtime, session: Session, config: Config) -> None:
    item = add_tracker_item(session)
    add_person(session, runtime.intake.vault, 1, tracker=item, channels=["telegram"])
    campaign = send(session, config, Target.you_said_we_did(item), {"en": YOU_SAID}, Filters(),
                    FIXED_NOW, BASE_URL, STAFF, None)
    session.flush()
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.entity_type, event.entity_id, event.actor) == (
        "campaign.you-said-we-did-sent", "tracker_item", str(item.id), STAFF)
    assert {key: event.details[key] for key in ("campaign_id", "queued", "by_channel",
                                                "by_language", "filters")} == {
        "campaign_id": campaign.id, "queued": 1, "by_channel": {"telegram": 1},
        "by_language": {"en": 1}, "filters": {"services": [], "languages": []}}
    assert (campaign.tracker_item_id, campaign.consultation_id) == (item.id, None)


def test_a_stale_fingerprint_sends_nothing_and_gives_the_new_preview(
        runtime: Runtime, session: Session, config: Config) -> None:
    someone = add_person(session, runtime.intake.vault, 1)
    target = Target.invitation(add_consultation(session))
    with pytest.raises(AudienceChanged) as changed:
        send(session, config, target, {"en": EN}, Filters(), FIXED_NOW, BASE_URL, STAFF,
             "0" * 32)
    assert isinstance(changed.value, CampaignError)
    assert [m.recipient.contributor_id for m in changed.value.preview.messages] == [someone.id]
    assert "Check the new preview and send again" in str(changed.value)
    assert session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_a_campaign_nobody_can_get_is_not_recorded(
        runtime: Runtime, session: Session, config: Config) -> None:
    add_person(session, runtime.intake.vault, 1, consents=[False])
    target = Target.invitation(add_consultation(session))
    with pytest.raises(CampaignError, match="Nobody can be sent this message"):
        send(session, config, target, {"en": EN}, Filters(), FIXED_NOW, BASE_URL, STAFF, None)
    assert session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


# -- the last check before sending ---------------------------------------------------------------

def queued(session: Session, address: ContactAddress, purpose: str) -> OutboundMessage:
    return enqueue(session, intent_key=f"test:{purpose}:{address.id}", address=address,
                   purpose=purpose, body="Synthetic. Reply STOP.", language="en", now=FIXED_NOW)


def test_the_last_check_holds_campaign_messages_only(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    fine = add_person(session, vault, 1).addresses[0]
    opted_out = add_person(session, vault, 2, channels=["telegram", "sms"],
                           opted_out=["telegram"]).addresses[1]
    declined = add_person(session, vault, 3, consents=[True, False]).addresses[0]
    check = CampaignSendCheck(config)
    for purpose in CAMPAIGN_PURPOSES:
        assert check(session, queued(session, fine, purpose), FIXED_NOW) is None
        assert check(session, queued(session, opted_out, purpose), FIXED_NOW) == Hold(
            Reason.OPTED_OUT.label)
        assert check(session, queued(session, declined, purpose), NIGHT) == Hold(
            Reason.NO_CONSENT.label)                       # cancelled, not merely deferred
        assert check(session, queued(session, fine, purpose), NIGHT) == Hold(
            "quiet hours (21:00 to 08:00)", MORNING)
    # A reply to someone's own message is not a campaign: none of this applies.
    assert check(session, queued(session, opted_out, "reply"), NIGHT) is None
    # A campaign message for nobody known has nowhere to go.
    orphan = OutboundMessage(intent_key="test:orphan", contributor_id=None, channel="sms",
                             purpose="invitation", body="Synthetic. Reply STOP.")
    assert check(session, orphan, FIXED_NOW) == Hold(Reason.NO_ADDRESS.label)


def test_the_worker_checks_are_the_campaign_check_with_the_configured_hours(
        config: Config) -> None:
    (check,) = send_checks(config)
    assert isinstance(check, CampaignSendCheck)
    assert str(check.quiet) == "21:00 to 08:00"

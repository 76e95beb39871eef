"""Campaigns reach only people who said yes and never opted out anywhere, in their language, on
their own channel, once each, never at night; replies to an invitation join its consultation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from intake.campaigns import (
    AudienceChanged,
    CampaignError,
    CampaignTextError,
    Filters,
    Preview,
    QuietHours,
    Reason,
    Target,
    preview,
    send,
)
from intake.campaigns.texts import render
from intake.cli.worker import make_worker
from intake.config import Config
from intake.config.schema import CampaignSettings
from intake.message import IncomingMessage
from intake.outbox import OutboxWorker
from intake.storage.models import (
    AuditEvent,
    Campaign,
    ConsentRecord,
    Consultation,
    ContactAddress,
    Contributor,
    FeedbackConsultationLink,
    OutboundMessage,
    OutboundStatus,
    TrackerItem,
)
from tests.conftest import FIXED_NOW
from tests.intake.synthetic_people import DAY, add_consultation, add_person, add_tracker_item, phone

BASE_URL = "https://intake.example.test"
EVERYONE = Filters()
EN = "NHS update on {title}: tell us what you think at {link}. Reply STOP to opt out."
PL = "NHS: {title}. Napisz do nas: {link}. STOP - koniec wiadomosci."
YOU_SAID = "You told us about {title} (ref {reference}). Two more staff answer at 8am. Reply STOP to opt out."
# 22:30 in London in November (GMT): quiet hours.
NIGHT = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)


class Sender:
    channel = "sms"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, address: str, body: str) -> str:
        self.sent.append((address, body))
        return f"SM{len(self.sent):032d}"


def invite(runtime: Runtime, texts: dict[str, str] | None = None, filters: Filters = EVERYONE,
           now: datetime = FIXED_NOW, slug: str = "gp-access", fingerprint: str | None = None) -> int:
    with runtime.sessions.begin() as session:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        assert consultation is not None
        campaign = send(session, runtime.config, Target.invitation(consultation),
                        texts or {"en": EN}, filters, now, BASE_URL, "staff:reviewer@example.org",
                        fingerprint)
        return campaign.id


def look(runtime: Runtime, texts: dict[str, str] | None = None, filters: Filters = EVERYONE,
         now: datetime = FIXED_NOW, slug: str = "gp-access") -> Preview:
    with runtime.sessions() as session:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        assert consultation is not None
        return preview(session, runtime.config, Target.invitation(consultation),
                       texts or {"en": EN}, filters, now, BASE_URL)


def messages(runtime: Runtime) -> list[OutboundMessage]:
    with runtime.sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def pseudonym_of(runtime: Runtime, contributor_id: int) -> str:
    with runtime.sessions() as session:
        return session.get_one(Contributor, contributor_id).pseudonym


def people(runtime: Runtime, *specs: dict[str, object], start: int = 1) -> list[int]:
    """Add a consultation and one person per spec (keyword arguments of add_person), numbered
    from ``start``."""
    with runtime.sessions.begin() as session:
        if session.scalar(select(Consultation.id).where(Consultation.slug == "gp-access")) is None:
            add_consultation(session)
        return [add_person(session, runtime.intake.vault, start + index, **spec).id  # type: ignore[arg-type]
                for index, spec in enumerate(specs)]


# -- consent and opt-outs -----------------------------------------------------------------------

def test_only_people_whose_latest_answer_was_yes_are_reached(runtime: Runtime) -> None:
    yes, no, changed_mind, came_round, never_asked = people(
        runtime, {"consents": [True]}, {"consents": [False]}, {"consents": [True, False]},
        {"consents": [False, True]}, {"consents": []})
    shown = look(runtime)
    assert {m.recipient.contributor_id for m in shown.messages} == {yes, came_round}
    assert {e.contributor_id: e.reason for e in shown.excluded} == {
        no: Reason.NO_CONSENT, changed_mind: Reason.NO_CONSENT, never_asked: Reason.NO_CONSENT}
    invite(runtime)
    assert sorted(m.contributor_id for m in messages(runtime)) == sorted([yes, came_round])


def test_an_opt_out_on_another_channel_stops_every_channel(runtime: Runtime) -> None:
    # Texts are their latest channel and not opted out, but they blocked the Telegram bot.
    (person,) = people(runtime, {"channels": ["telegram", "sms"], "opted_out": ["telegram"]})
    shown = look(runtime)
    assert shown.messages == ()
    assert [(e.contributor_id, e.reason) for e in shown.excluded] == [(person, Reason.OPTED_OUT)]
    with pytest.raises(CampaignError, match="Nobody"):
        invite(runtime)
    assert messages(runtime) == []


def test_the_message_goes_to_the_channel_they_used_last(runtime: Runtime) -> None:
    (person,) = people(runtime, {"channels": ["sms", "telegram"]})
    invite(runtime)
    (message,) = messages(runtime)
    with runtime.sessions() as session:
        address = session.get_one(ContactAddress, message.contact_address_id)
        assert (message.channel, address.channel, address.contributor_id) == (
            "telegram", "telegram", person)


def test_preview_lists_who_is_left_out_and_why(runtime: Runtime) -> None:
    reached, opted_out, declined, email_only, already = people(
        runtime, {}, {"opted_out": ["sms"]}, {"consents": [False]}, {"channels": ["email"]}, {})
    with runtime.sessions.begin() as session:
        # Someone invited before (by another campaign for this consultation).
        consultation = session.scalars(select(Consultation)).one()
        session.add(OutboundMessage(
            intent_key=Target.invitation(consultation).intent_key.format(contributor=already),
            contributor_id=already, channel="sms", purpose="invitation", body="Earlier",
            status=OutboundStatus.SENT, next_attempt_at=FIXED_NOW, created_at=FIXED_NOW,
            updated_at=FIXED_NOW))
    shown = look(runtime)
    assert [m.recipient.contributor_id for m in shown.messages] == [reached]
    assert {e.contributor_id: e.reason for e in shown.excluded} == {
        opted_out: Reason.OPTED_OUT, declined: Reason.NO_CONSENT, email_only: Reason.NO_ADDRESS,
        already: Reason.ALREADY_SENT}
    assert shown.excluded_by_reason == {"already-sent": 1, "no-address": 1, "no-consent": 1,
                                        "opted-out": 1}
    assert {e.pseudonym for e in shown.excluded} == {
        pseudonym_of(runtime, n) for n in (opted_out, declined, email_only, already)}
    assert shown.by_channel == {"sms": 1}


def test_an_opt_out_after_the_preview_stops_the_send(runtime: Runtime) -> None:
    first, _ = people(runtime, {}, {})
    seen = look(runtime)
    with runtime.sessions.begin() as session:
        session.scalars(select(ContactAddress).where(
            ContactAddress.contributor_id == first)).one().opted_out_at = FIXED_NOW
    with pytest.raises(AudienceChanged) as changed:
        invite(runtime, fingerprint=seen.fingerprint)
    assert len(changed.value.preview.messages) == 1
    assert messages(runtime) == []


def test_consent_withdrawn_while_a_message_waits_cancels_it(runtime: Runtime) -> None:
    (person,) = people(runtime, {})
    invite(runtime, now=NIGHT)
    with runtime.sessions.begin() as session:
        session.add(ConsentRecord(contributor_id=person, purpose="follow-up", granted=False,
                                  wording_version="2026-11-en-1", channel="sms",
                                  recorded_at=NIGHT + timedelta(minutes=5)))
    sender = Sender()
    morning = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    report = make_worker_at(runtime, sender, morning).run_once()
    (message,) = messages(runtime)
    assert (report.cancelled, sender.sent, message.status) == (1, [], OutboundStatus.CANCELLED)


def test_an_opt_out_on_another_channel_while_a_message_waits_cancels_it(runtime: Runtime) -> None:
    (person,) = people(runtime, {"channels": ["telegram", "sms"]})
    invite(runtime)
    with runtime.sessions.begin() as session:
        session.scalars(select(ContactAddress).where(ContactAddress.contributor_id == person,
                                                     ContactAddress.channel == "telegram")
                        ).one().opted_out_at = FIXED_NOW
    sender = Sender()
    make_worker_at(runtime, sender, FIXED_NOW).run_once()
    assert sender.sent == [] and messages(runtime)[0].status == OutboundStatus.CANCELLED


# -- quiet hours --------------------------------------------------------------------------------

def make_worker_at(runtime: Runtime, sender: Sender, moment: datetime) -> OutboxWorker:
    worker = make_worker(runtime, {"sms": sender})
    worker.clock = lambda: moment
    return worker


@pytest.mark.parametrize(("moment", "until"), [
    # GMT in winter: 22:30 local waits for 08:00 local the next morning.
    (datetime(2026, 11, 2, 22, 30, tzinfo=UTC), datetime(2026, 11, 3, 8, 0, tzinfo=UTC)),
    (datetime(2026, 11, 3, 6, 0, tzinfo=UTC), datetime(2026, 11, 3, 8, 0, tzinfo=UTC)),
    # BST in summer: 20:30 UTC is 21:30 local, quiet until 08:00 local = 07:00 UTC.
    (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
    # 20:30 in winter, 07:00 UTC in summer (08:00 local): allowed.
    (datetime(2026, 11, 2, 20, 30, tzinfo=UTC), None),
    (datetime(2026, 7, 2, 7, 0, tzinfo=UTC), None),
    # The night the clocks go back (25 October 2026): 08:00 GMT.
    (datetime(2026, 10, 24, 21, 30, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
])
def test_quiet_hours_are_local_time(moment: datetime, until: datetime | None) -> None:
    quiet = QuietHours.from_settings(CampaignSettings(quiet_hours="21:00-08:00"))
    assert quiet.not_before(moment) == until


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours.from_settings(CampaignSettings(quiet_hours="12:00-13:00"))
    assert lunch.not_before(datetime(2026, 11, 2, 12, 15, tzinfo=UTC)) == datetime(
        2026, 11, 2, 13, 0, tzinfo=UTC)
    assert lunch.not_before(datetime(2026, 11, 2, 13, 0, tzinfo=UTC)) is None


@pytest.mark.parametrize("bad", ["21:00", "25:00-08:00", "21:00-21:00", "9pm-8am"])
def test_quiet_hours_that_make_no_sense_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"time range|same time"):
        CampaignSettings(quiet_hours=bad)


def test_a_campaign_sent_at_night_waits_for_the_morning(runtime: Runtime) -> None:
    people(runtime, {})
    shown = look(runtime, now=NIGHT)
    morning = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert shown.not_before == morning
    invite(runtime, now=NIGHT)
    (message,) = messages(runtime)
    assert (message.status, message.next_attempt_at) == (OutboundStatus.QUEUED, morning)
    sender = Sender()
    assert make_worker_at(runtime, sender, NIGHT + timedelta(hours=1)).run_once().sent == 0
    assert make_worker_at(runtime, sender, morning).run_once().sent == 1
    assert sender.sent == [(phone(1), render(EN, {
        "title": "Getting a GP appointment", "link": f"{BASE_URL}/feedback/c/gp-access"}))]


def test_a_late_queue_does_not_send_into_the_night(runtime: Runtime) -> None:
    people(runtime, {})
    invite(runtime, now=datetime(2026, 11, 2, 20, 55, tzinfo=UTC))   # 20:55: allowed
    sender = Sender()
    late = datetime(2026, 11, 2, 21, 5, tzinfo=UTC)                   # the worker was behind
    report = make_worker_at(runtime, sender, late).run_once()
    (message,) = messages(runtime)
    assert (report.sent, report.deferred, sender.sent) == (0, 1, [])
    assert message.status == OutboundStatus.QUEUED and message.attempts == 0
    assert message.next_attempt_at == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


# -- language -----------------------------------------------------------------------------------

def test_each_person_gets_their_language_or_english(runtime: Runtime) -> None:
    polish, urdu, tagged_polish, unknown = people(
        runtime, {"preferred_language": "pl"}, {"preferred_language": "ur"},
        {"feedback_language": "pl"}, {"feedback_language": "und"})
    shown = look(runtime, {"en": EN, "pl": PL})
    got = {m.recipient.contributor_id: (m.recipient.language, m.text_language)
           for m in shown.messages}
    assert got == {polish: ("pl", "pl"), urdu: ("ur", "en"), tagged_polish: ("pl", "pl"),
                   unknown: ("en", "en")}
    groups = {g.language: g for g in shown.groups}
    assert groups["pl"].count == 2 and groups["pl"].example.startswith("NHS: Getting a GP")
    assert groups["en"].people_languages == {"en": 1, "ur": 1}
    invite(runtime, {"en": EN, "pl": PL})
    assert sorted((m.contributor_id, m.language) for m in messages(runtime)) == sorted(
        [(polish, "pl"), (urdu, "en"), (tagged_polish, "pl"), (unknown, "en")])


def test_a_chosen_language_wins_over_the_language_of_their_feedback(runtime: Runtime) -> None:
    (person,) = people(runtime, {"preferred_language": "en", "feedback_language": "pl"})
    (message,) = look(runtime, {"en": EN, "pl": PL}).messages
    assert (message.recipient.contributor_id, message.text_language) == (person, "en")


# -- texts --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("texts", "language", "problem"), [
    ({"pl": PL}, "en", "no text in their language"),
    ({"en": "Come to {tittle}. STOP to opt out."}, "en", "{tittle} is not a placeholder"),
    ({"en": "Come to {link.__class__}. STOP."}, "en", "is not a placeholder"),
    ({"en": "Unbalanced { brace. STOP."}, "en", "no partner"),
    ({"en": "Tell us what you think at {link}."}, "en", "contain the word STOP"),
    ({"en": EN, "pl": "Napisz do nas {link}."}, "pl", "contain the word STOP"),
    ({"en": EN + "x" * 1600}, "en", "1600 or fewer"),
])
def test_texts_that_cannot_go_out_are_refused(runtime: Runtime, texts: dict[str, str],
                                              language: str, problem: str) -> None:
    people(runtime, {})
    with pytest.raises(CampaignTextError) as refused:
        look(runtime, texts)
    assert problem in refused.value.problems[language]


def test_an_invitation_to_a_closed_consultation_is_refused(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        add_consultation(session, "old", status="closed", sms_keyword=None)
    with pytest.raises(CampaignError, match="not open"):
        look(runtime, slug="old")


# -- one message each ---------------------------------------------------------------------------

def test_one_message_per_person_however_often_staff_send(runtime: Runtime) -> None:
    first, _ = people(runtime, {}, {})
    invite(runtime)
    people(runtime, {}, start=3)               # a newcomer since the first campaign
    again = look(runtime)
    assert [e.reason for e in again.excluded if e.contributor_id == first] == [Reason.ALREADY_SENT]
    invite(runtime)
    counted = [m.contributor_id for m in messages(runtime)]
    assert len(counted) == len(set(counted)) == 3
    with runtime.sessions() as session:
        assert [c.queued for c in session.scalars(select(Campaign).order_by(Campaign.id))] == [2, 1]


def test_you_said_we_did_reaches_everyone_linked_once_with_their_reference(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        item = add_tracker_item(session)
        twice = add_person(session, runtime.intake.vault, 1, tracker=item, feedback_count=2).id
        once = add_person(session, runtime.intake.vault, 2, tracker=item).id
        add_person(session, runtime.intake.vault, 3)          # feedback not linked to the item
        add_person(session, runtime.intake.vault, 4, tracker=item, consents=[False])
        target = Target.you_said_we_did(item)
        shown = preview(session, runtime.config, target, {"en": YOU_SAID}, Filters(), FIXED_NOW,
                        BASE_URL)
        assert shown.excluded_by_reason == {"no-consent": 1}
        assert shown.groups[0].personal
        send(session, runtime.config, target, {"en": YOU_SAID}, Filters(), FIXED_NOW, BASE_URL,
             "staff:reviewer@example.org", shown.fingerprint)
    sent = messages(runtime)
    assert sorted(m.contributor_id for m in sent) == sorted([twice, once])
    by_person = {m.contributor_id: m for m in sent}
    # The reference of their latest linked feedback, and the message is filed against it.
    assert "(ref FB-" in by_person[twice].body and by_person[twice].feedback_id is not None
    with runtime.sessions() as session:
        from intake.storage.models import Feedback
        latest = session.get_one(Feedback, by_person[twice].feedback_id)
        assert latest.reference in by_person[twice].body
        assert latest.received_at == max(f.received_at for f in session.scalars(
            select(Feedback).where(Feedback.contributor_id == twice)))
    assert {m.purpose for m in sent} == {"you-said-we-did"}


# -- filters, audit -----------------------------------------------------------------------------

def test_an_invitation_can_be_kept_to_services_and_languages(runtime: Runtime) -> None:
    gp, dentist, polish_gp = people(runtime, {"services": ["gp"]}, {"services": ["dental"]},
                                    {"services": ["gp"], "preferred_language": "pl"})
    def reached(filters: Filters) -> set[int]:
        return {m.recipient.contributor_id for m in look(runtime, filters=filters).messages}
    assert reached(Filters(services=("gp",))) == {gp, polish_gp}
    assert reached(Filters(services=("dental",))) == {dentist}
    assert reached(Filters(languages=("pl",))) == {polish_gp}
    with pytest.raises(CampaignError, match="not a service or language"):
        look(runtime, filters=Filters(services=("not-a-service",)))


def test_sending_is_audited_with_who_what_and_how_many(runtime: Runtime) -> None:
    people(runtime, {}, {"consents": [False]})
    campaign_id = invite(runtime)
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "campaign.invitation-sent")).one()
        consultation = session.scalars(select(Consultation)).one()
        assert (event.actor, event.entity_type, event.entity_id) == (
            "staff:reviewer@example.org", "consultation", str(consultation.id))
        assert event.details["campaign_id"] == campaign_id
        assert event.details["queued"] == 1
        assert event.details["excluded"] == {"no-consent": 1}
        assert event.details["texts"] == {"en": EN}


# -- replies to an invitation -------------------------------------------------------------------

def deliver_invitations(runtime: Runtime, at: datetime = FIXED_NOW) -> None:
    make_worker_at(runtime, Sender(), at).run_once()


def reply(runtime: Runtime, number: int, at: datetime, key: str = "SM-reply") -> list[tuple[int, str]]:
    runtime.intake.clock = lambda: at
    result = runtime.intake.ingest(IncomingMessage(
        "sms", key, "The phone line is engaged every morning at 8am.", sender=phone(number),
        received_at=at))
    with runtime.sessions() as session:
        return [(link.consultation_id, link.rule_id or "") for link in session.scalars(
            select(FeedbackConsultationLink).where(
                FeedbackConsultationLink.feedback_id == result.feedback_id))]


def consultation_id(runtime: Runtime, slug: str = "gp-access") -> int:
    with runtime.sessions() as session:
        found = session.scalar(select(Consultation.id).where(Consultation.slug == slug))
        assert found is not None
        return found


def test_a_reply_to_an_invitation_is_linked_to_its_consultation(runtime: Runtime) -> None:
    people(runtime, {}, {"consents": [False]})
    invite(runtime)
    deliver_invitations(runtime)
    links = reply(runtime, 1, FIXED_NOW + 2 * DAY)
    assert (consultation_id(runtime), "consultation-invitation-reply") in links
    # Someone who was not invited writes in the same day: no invitation link.
    assert all(rule != "consultation-invitation-reply"
               for _, rule in reply(runtime, 2, FIXED_NOW + 2 * DAY, "SM-other"))


def test_a_late_reply_or_a_closed_consultation_is_not_linked(runtime: Runtime) -> None:
    people(runtime, {}, {})
    invite(runtime)
    deliver_invitations(runtime)
    days = runtime.config.campaigns.invitation_reply_days
    assert all(rule != "consultation-invitation-reply"
               for _, rule in reply(runtime, 1, FIXED_NOW + (days + 1) * DAY))
    with runtime.sessions.begin() as session:
        session.scalars(select(Consultation)).one().status = "closed"
    assert all(rule != "consultation-invitation-reply"
               for _, rule in reply(runtime, 2, FIXED_NOW + DAY, "SM-closed"))


def test_an_invitation_never_sent_does_not_link_a_reply(runtime: Runtime) -> None:
    people(runtime, {})
    invite(runtime, now=NIGHT)                  # still waiting for the morning
    assert all(rule != "consultation-invitation-reply"
               for _, rule in reply(runtime, 1, NIGHT + timedelta(minutes=30)))


def test_the_worker_the_cli_runs_has_the_campaign_checks(runtime: Runtime, config: Config) -> None:
    people(runtime, {})
    invite(runtime, now=datetime(2026, 11, 2, 20, 0, tzinfo=UTC))
    worker = make_worker(runtime, {"sms": Sender()})
    worker.clock = lambda: NIGHT
    assert worker.run_once().deferred == 1
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.status == OutboundStatus.QUEUED)) == 1


def test_tracker_items_still_take_any_campaign(runtime: Runtime) -> None:
    """A completed item can still tell people what changed (nothing is refused by status)."""
    with runtime.sessions.begin() as session:
        item = add_tracker_item(session)
        item.status = "completed"
        add_person(session, runtime.intake.vault, 1, tracker=item)
        assert len(preview(session, runtime.config, Target.you_said_we_did(
            session.get_one(TrackerItem, item.id)), {"en": YOU_SAID}, Filters(), FIXED_NOW,
            BASE_URL).messages) == 1

"""Who a campaign reaches and who it leaves out: the reasons in their order, the address and
language chosen for each person, the feedback each message is about, and the feedback queries."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.campaigns.audience import (
    Audience,
    Exclusion,
    Reason,
    Recipient,
    build,
    count_by,
    feedback_about,
    feedback_on_tracker_item,
    refusal,
    sending_address,
)
from intake.config import Config
from intake.config.schema import CampaignSettings
from intake.storage.models import (
    ConsentRecord,
    ContactAddress,
    Contributor,
    Feedback,
    OutboundMessage,
    OutboundStatus,
    Tag,
)
from tests.conftest import FIXED_NOW
from tests.intake.staff.synthetic_feedback import reference
from tests.intake.synthetic_people import DAY, add_person, add_tracker_item

# The package exports a function of the same name, so reach the module itself this way.
AUDIENCE_MODULE = importlib.import_module("intake.campaigns.audience")
KEY = "invitation:consultation:1:{contributor}"


# -- the rules, on people not stored ------------------------------------------------------------

def address(channel: str = "sms", *, seen: datetime = FIXED_NOW, opted_out: bool = False,
            number: int | None = None) -> ContactAddress:
    return ContactAddress(id=number, channel=channel, address_hash="h", address_encrypted="e",
                          last_seen_at=seen, opted_out_at=FIXED_NOW if opted_out else None)


def consent(granted: bool, at: datetime = FIXED_NOW, purpose: str = "follow-up",
            number: int | None = None) -> ConsentRecord:
    return ConsentRecord(id=number, purpose=purpose, granted=granted, wording_version="test",
                         channel="sms", recorded_at=at)


def person(addresses: list[ContactAddress], consents: list[ConsentRecord]) -> Contributor:
    return Contributor(pseudonym="P-TEST", addresses=addresses, consents=consents)


def test_someone_who_said_yes_and_never_opted_out_may_be_sent_messages() -> None:
    assert refusal(person([address()], [consent(True)])) is None


def test_an_opt_out_on_any_address_comes_before_consent() -> None:
    opted = person([address("sms"), address("telegram", opted_out=True)], [consent(True)])
    assert refusal(opted) == Reason.OPTED_OUT
    assert refusal(person([address(opted_out=True)], [])) == Reason.OPTED_OUT


def test_the_latest_follow_up_answer_decides_whatever_order_it_was_stored_in() -> None:
    later = FIXED_NOW + DAY
    assert refusal(person([], [consent(False, later), consent(True)])) == Reason.NO_CONSENT
    assert refusal(person([], [consent(True, later), consent(False)])) is None


def test_answers_recorded_at_the_same_moment_are_ordered_by_id() -> None:
    assert refusal(person([], [consent(False, number=2), consent(True, number=1)])) \
        == Reason.NO_CONSENT
    assert refusal(person([], [consent(True, number=2), consent(False, number=1)])) is None


def test_never_asked_or_asked_only_about_something_else_is_no_consent() -> None:
    assert refusal(person([address()], [])) == Reason.NO_CONSENT
    assert refusal(person([address()], [consent(True, purpose="research")])) == Reason.NO_CONSENT
    # A later answer about something else does not hide a "no" to follow-ups.
    assert refusal(person([], [consent(False), consent(True, FIXED_NOW + DAY, "research")])) \
        == Reason.NO_CONSENT


def test_the_sending_address_is_the_most_recently_used_on_a_campaign_channel() -> None:
    sms = address("sms", seen=FIXED_NOW - DAY)
    telegram = address("telegram", seen=FIXED_NOW)
    email = address("email", seen=FIXED_NOW + DAY)
    someone = person([sms, telegram, email], [])
    assert sending_address(someone, ["sms", "telegram"]) is telegram
    assert sending_address(someone, ("sms",)) is sms
    assert sending_address(someone, ["whatsapp"]) is None
    assert sending_address(person([], []), ["sms"]) is None


def test_the_channels_may_be_any_iterable() -> None:
    sms = address("sms", seen=FIXED_NOW - DAY)
    telegram = address("telegram", seen=FIXED_NOW)
    assert sending_address(person([sms, telegram], []), iter(["sms", "telegram"])) is telegram


def test_addresses_last_used_at_the_same_moment_are_ordered_by_id() -> None:
    first, second = address("sms", number=1), address("telegram", number=2)
    assert sending_address(person([second, first], []), ["sms", "telegram"]) is second


def test_each_reason_has_its_own_label_for_staff() -> None:
    labels = {reason: reason.label for reason in Reason}
    assert len(set(labels.values())) == len(Reason) == 4
    assert labels[Reason.OPTED_OUT] == "Opted out of messages (on any channel)"
    assert [str(reason) for reason in Reason] == [
        "opted-out", "no-consent", "no-address", "already-sent"]


def recipient(number: int, channel: str, language: str) -> Recipient:
    return Recipient(number, f"P{number}", number, channel, language, None, None)


def test_count_by_counts_most_first_then_by_name() -> None:
    found = [recipient(1, "telegram", "en"), recipient(2, "sms", "pl"),
             recipient(3, "telegram", "pl"), recipient(4, "sms", "en"),
             recipient(5, "whatsapp", "en")]
    assert list(count_by(found, "channel").items()) == [("sms", 2), ("telegram", 2),
                                                        ("whatsapp", 1)]
    assert count_by(found, "language") == {"en": 3, "pl": 2}
    assert count_by([], "channel") == {}


def test_count_by_names_reasons_by_their_value() -> None:
    left_out = [Exclusion(1, "P1", "en", Reason.NO_CONSENT),
                Exclusion(2, "P2", "en", Reason.OPTED_OUT),
                Exclusion(3, "P3", "pl", Reason.NO_CONSENT)]
    assert count_by(left_out, "reason") == {"no-consent": 2, "opted-out": 1}


# -- building an audience from the database -------------------------------------------------------

@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


def everyone(session: Session, config: Config, languages: tuple[str, ...] = (),
             query: Select[tuple[Feedback]] | None = None) -> Audience:
    return build(session, config, query if query is not None else feedback_about(()), KEY,
                 languages)


def test_a_recipient_carries_their_address_language_and_latest_feedback(
        runtime: Runtime, session: Session, config: Config) -> None:
    someone = add_person(session, runtime.intake.vault, 1, channels=["sms", "telegram"],
                         feedback_count=3)
    latest = session.scalars(select(Feedback).where(Feedback.contributor_id == someone.id)
                             .order_by(Feedback.received_at.desc())).first()
    telegram = next(a for a in someone.addresses if a.channel == "telegram")
    assert latest is not None
    # Later feedback from nobody known (an anonymous web form) is skipped.
    session.add(Feedback(reference=reference(998), contributor_id=None, channel="web",
                         text="Anonymous.", redacted_text="Anonymous.", received_at=FIXED_NOW,
                         pipeline_version="test"))
    session.flush()
    found = everyone(session, config)
    assert found.excluded == ()
    assert found.recipients == (Recipient(someone.id, someone.pseudonym, telegram.id, "telegram",
                                          "en", latest.id, latest.reference),)


def test_each_person_is_left_out_for_the_first_rule_they_fail(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    opted_and_declined = add_person(session, vault, 1, consents=[False], opted_out=["sms"])
    declined_no_address = add_person(session, vault, 2, consents=[False], channels=["email"])
    no_address = add_person(session, vault, 3, channels=["email"])
    already = add_person(session, vault, 4)
    reached = add_person(session, vault, 5)
    session.add(OutboundMessage(
        intent_key=KEY.format(contributor=already.id), contributor_id=already.id, channel="sms",
        purpose="invitation", body="Earlier. Reply STOP.", status=OutboundStatus.QUEUED,
        next_attempt_at=FIXED_NOW, created_at=FIXED_NOW, updated_at=FIXED_NOW))
    # A message under another campaign's key does not count.
    session.add(OutboundMessage(
        intent_key=f"invitation:consultation:2:{reached.id}", contributor_id=reached.id,
        channel="sms", purpose="invitation", body="Other. Reply STOP.",
        status=OutboundStatus.SENT, next_attempt_at=FIXED_NOW, created_at=FIXED_NOW,
        updated_at=FIXED_NOW))
    session.flush()
    found = everyone(session, config)
    assert [r.contributor_id for r in found.recipients] == [reached.id]
    assert [(e.contributor_id, e.reason) for e in found.excluded] == [
        (opted_and_declined.id, Reason.OPTED_OUT), (declined_no_address.id, Reason.NO_CONSENT),
        (no_address.id, Reason.NO_ADDRESS), (already.id, Reason.ALREADY_SENT)]
    assert found.excluded[0] == Exclusion(opted_and_declined.id, opted_and_declined.pseudonym,
                                          "en", Reason.OPTED_OUT)


def test_only_the_configured_channels_are_sending_addresses(
        runtime: Runtime, session: Session, config: Config) -> None:
    telegram_only = add_person(session, runtime.intake.vault, 1, channels=["telegram"])
    sms_only = dataclasses.replace(config, campaigns=CampaignSettings(channels=["sms"]))
    assert [r.channel for r in everyone(session, config).recipients] == ["telegram"]
    assert [(e.contributor_id, e.reason) for e in everyone(session, sms_only).excluded] == [
        (telegram_only.id, Reason.NO_ADDRESS)]


def language_tag(session: Session, feedback_id: int, value: str, confidence: float,
                 retracted: bool = False) -> None:
    session.add(Tag(feedback_id=feedback_id, kind="language", value=value, confidence=confidence,
                    source="auto", retracted_at=FIXED_NOW if retracted else None))


def only_feedback(session: Session, contributor: Contributor) -> int:
    return session.scalars(select(Feedback.id).where(Feedback.contributor_id == contributor.id)).one()


def test_the_language_is_chosen_then_detected_then_the_default(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    chose = add_person(session, vault, 1, preferred_language="ur", feedback_language="pl")
    unknown_choice = add_person(session, vault, 2, preferred_language="xx", feedback_language="pl")
    surest = add_person(session, vault, 3)
    retracted = add_person(session, vault, 4)
    undetermined = add_person(session, vault, 5, feedback_language="und")
    nothing = add_person(session, vault, 6)
    language_tag(session, only_feedback(session, surest), "pl", 0.6)
    language_tag(session, only_feedback(session, surest), "ro", 0.8)
    language_tag(session, only_feedback(session, surest), "cs", 0.7)
    language_tag(session, only_feedback(session, retracted), "pl", 0.99, retracted=True)
    language_tag(session, only_feedback(session, retracted), "ar", 0.5)
    session.flush()
    found = {r.contributor_id: r.language for r in everyone(session, config).recipients}
    assert found == {chose.id: "ur", unknown_choice.id: "pl", surest.id: "ro",
                     retracted.id: "ar", undetermined.id: "en", nothing.id: "en"}


def test_a_language_filter_leaves_others_out_of_the_audience_entirely(
        runtime: Runtime, session: Session, config: Config) -> None:
    vault = runtime.intake.vault
    polish = add_person(session, vault, 1, preferred_language="pl")
    add_person(session, vault, 2)
    add_person(session, vault, 3, consents=[False])                    # English, not reached
    declined_polish = add_person(session, vault, 4, preferred_language="pl", consents=[False])
    found = everyone(session, config, languages=("pl",))
    assert [r.contributor_id for r in found.recipients] == [polish.id]
    assert [e.contributor_id for e in found.excluded] == [declined_polish.id]


def test_the_message_is_about_their_latest_item_among_those_chosen(
        runtime: Runtime, session: Session, config: Config) -> None:
    """Dental feedback five days ago, GP feedback yesterday: a dental campaign is about the
    dental item, and reads its language."""
    someone = add_person(session, runtime.intake.vault, 1, services=["dental"],
                         feedback_language="pl")
    dental = only_feedback(session, someone)
    gp = Feedback(reference=reference(999), contributor_id=someone.id, channel="sms",
                  text="Synthetic.", redacted_text="Synthetic.", received_at=FIXED_NOW - DAY,
                  pipeline_version="test")
    session.add(gp)
    session.flush()
    session.add(Tag(feedback_id=gp.id, kind="service", value="gp", confidence=1.0,
                    source="contributor"))
    session.flush()
    (about_dental,) = everyone(session, config, query=feedback_about(["dental"])).recipients
    (about_anything,) = everyone(session, config).recipients
    assert (about_dental.feedback_id, about_dental.language) == (dental, "pl")
    assert (about_anything.feedback_id, about_anything.language) == (gp.id, "en")


def test_large_audiences_are_read_in_chunks_without_losing_anyone(
        runtime: Runtime, session: Session, config: Config,
        monkeypatch: pytest.MonkeyPatch) -> None:
    vault = runtime.intake.vault
    ids = [add_person(session, vault, number, feedback_language="pl").id for number in range(1, 6)]
    for contributor_id in ids[::2]:
        session.add(OutboundMessage(
            intent_key=KEY.format(contributor=contributor_id), contributor_id=contributor_id,
            channel="sms", purpose="invitation", body="Earlier. Reply STOP.",
            status=OutboundStatus.SENT, next_attempt_at=FIXED_NOW, created_at=FIXED_NOW,
            updated_at=FIXED_NOW))
    session.flush()
    monkeypatch.setattr(AUDIENCE_MODULE, "CHUNK", 2)
    found = everyone(session, config)
    assert [(r.contributor_id, r.language) for r in found.recipients] == [
        (ids[1], "pl"), (ids[3], "pl")]
    assert [(e.contributor_id, e.reason) for e in found.excluded] == [
        (number, Reason.ALREADY_SENT) for number in ids[::2]]


# -- the feedback queries -------------------------------------------------------------------------

def contributors_of(session: Session, query: Select[tuple[Feedback]]) -> set[int | None]:
    return {item.contributor_id for item in session.scalars(query)}


def test_feedback_about_services_uses_active_service_tags(runtime: Runtime,
                                                          session: Session) -> None:
    vault = runtime.intake.vault
    gp = add_person(session, vault, 1, services=["gp"])
    dental = add_person(session, vault, 2, services=["dental"])
    both = add_person(session, vault, 3, services=["gp", "pharmacy"])
    untagged = add_person(session, vault, 4, services=[])
    retracted = add_person(session, vault, 5, services=["pharmacy"])
    for tag in session.scalars(select(Tag).join(Feedback).where(
            Feedback.contributor_id == retracted.id)):
        tag.retracted_at = FIXED_NOW
    session.flush()
    assert contributors_of(session, feedback_about(())) == {
        gp.id, dental.id, both.id, untagged.id, retracted.id}
    assert contributors_of(session, feedback_about(["gp"])) == {gp.id, both.id}
    assert contributors_of(session, feedback_about(["pharmacy", "dental", "pharmacy"])) == {
        dental.id, both.id}
    assert contributors_of(session, feedback_about(["nhs-111"])) == set()


def test_feedback_on_a_tracker_item_is_only_what_is_linked_to_it(runtime: Runtime,
                                                                  session: Session) -> None:
    vault = runtime.intake.vault
    item, other_item = add_tracker_item(session), add_tracker_item(session, "Parking")
    linked = add_person(session, vault, 1, tracker=item)
    add_person(session, vault, 2, tracker=other_item)
    add_person(session, vault, 3)
    assert contributors_of(session, feedback_on_tracker_item(item.id)) == {linked.id}
    assert contributors_of(session, feedback_on_tracker_item(other_item.id + 100)) == set()

"""`purge`: personal data past its retention period goes, everything newer stays, and a repeat
run finds nothing more. Dates are counted back from FIXED_NOW with the periods 90 / 365 / 730
days; the tests share one database per backend and roll back what ``purge`` changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.bootstrap import Runtime
from intake.config import Config, ConfigError, load_config
from intake.config.schema import RetentionSettings
from intake.outbox import enqueue
from intake.privacy.erasure import ERASED
from intake.privacy.retention import PurgeReport, purge
from intake.privacy.vault import ContactVault
from intake.storage.models import (
    AuditEvent,
    ConsentRecord,
    ContactAddress,
    Contributor,
    Conversation,
    ConversationTurn,
    Feedback,
    InboundMessage,
    OutboundMessage,
    RecordedNeed,
)
from tests.conftest import FIXED_NOW
from tests.intake.privacy.people_fixtures import BACKENDS, shared_runtime
from tests.intake.synthetic_people import add_person

DAY = timedelta(days=1)
PERIODS = RetentionSettings(raw_payload_days=90, original_text_days=365, contact_details_days=730)
LONG_AGO = FIXED_NOW - 800 * DAY      # past every period
MONTHS_AGO = FIXED_NOW - 100 * DAY    # past the raw payload period only
LATELY = FIXED_NOW - 10 * DAY         # within every period


@dataclass(frozen=True)
class World:
    runtime: Runtime
    gone: int           # a person not heard from since LONG_AGO
    half: int           # a person whose old number is stale but whose email is in use
    recent: int         # a person heard from LATELY
    inbound: dict[str, int]
    conversations: dict[str, int]
    feedback: dict[str, int]
    outbound: dict[str, int]


def message(session: Session, vault: ContactVault, name: str, state: str, received_at: datetime,
            sender_hash: str | None = None) -> int:
    record = InboundMessage(channel="sms", provider_message_id=name, received_at=received_at,
                            payload_encrypted=vault.encrypt(f'{{"text": "{name}"}}'),
                            sender_hash=sender_hash, state=state)
    session.add(record)
    session.flush()
    return record.id


def conversation(session: Session, address_hash: str, status: str, moment: datetime,
                 inbound_id: int) -> int:
    chat = Conversation(channel="sms", address_hash=address_hash, status=status,
                        state={"texts": ["Hettie Oakenshaw said the ward was cold"]},
                        started_at=moment, last_activity_at=moment,
                        closed_at=None if status == "open" else moment)
    session.add(chat)
    session.flush()
    session.add(ConversationTurn(conversation_id=chat.id, inbound_message_id=inbound_id,
                                 replies=["Which service is it about?"], created_at=moment,
                                 answered_at=moment))
    return chat.id


def build(runtime: Runtime) -> World:
    vault = runtime.intake.vault
    with runtime.sessions.begin() as session:
        gone = add_person(session, vault, 301, received_at=LONG_AGO)
        session.add(RecordedNeed(contributor=gone, need="large-print", code=None,
                                 source="contributor", recorded_at=LONG_AGO))
        half = add_person(session, vault, 302, channels=("sms", "email"), received_at=LONG_AGO)
        [old_number] = [a for a in half.addresses if a.channel == "sms"]
        [email] = [a for a in half.addresses if a.channel == "email"]
        email.last_seen_at = LATELY
        recent = add_person(session, vault, 303, received_at=LATELY)
        [gone_address], [recent_address] = gone.addresses, recent.addresses
        session.flush()
        inbound = {
            "old-processed": message(session, vault, "old-processed", "processed", MONTHS_AGO,
                                     sender_hash=gone_address.address_hash),
            "old-chat": message(session, vault, "old-chat", "conversation", MONTHS_AGO),
            "old-failed": message(session, vault, "old-failed", "failed", MONTHS_AGO),
            "old-received": message(session, vault, "old-received", "received", MONTHS_AGO),
            "new-processed": message(session, vault, "new-processed", "processed", LATELY,
                                     sender_hash=recent_address.address_hash),
            "new-chat": message(session, vault, "new-chat", "conversation", LATELY),
            "open-chat": message(session, vault, "open-chat", "conversation", LATELY),
        }
        conversations = {
            "old": conversation(session, gone_address.address_hash, "completed", MONTHS_AGO,
                                inbound["old-chat"]),
            "new": conversation(session, recent_address.address_hash, "timed-out", LATELY,
                                inbound["new-chat"]),
            "open": conversation(session, "open-hash", "open", MONTHS_AGO, inbound["open-chat"]),
        }
        texts = {}
        for name, person in (("gone", gone), ("half", half), ("recent", recent)):
            [item] = session.scalars(select(Feedback).where(Feedback.contributor_id == person.id))
            item.text = f"Hettie Oakenshaw ({name}) on 07700 900{person.id:03d} waited hours"
            item.redacted_text = f"[name] ({name}) on [phone] waited hours"
            texts[name] = item.id
        erased = session.get_one(Feedback, texts["half"])
        erased.text = erased.redacted_text = ERASED
        erased.erased_at, erased.contributor_id = LONG_AGO + DAY, None
        outbound = {}
        for name, address in (("to-gone", gone_address), ("to-old-number", old_number),
                              ("to-recent", recent_address)):
            outbound[name] = enqueue(session, intent_key=f"test:{name}", address=address,
                                     purpose="reply", body="Thank you", language=None,
                                     now=LONG_AGO).id
        sent = enqueue(session, intent_key="test:sent", address=gone_address, purpose="reply",
                       body="Thank you", language=None, now=LONG_AGO)
        sent.status, outbound["sent-to-gone"] = "sent", sent.id
        return World(runtime, gone.id, half.id, recent.id, inbound, conversations, texts, outbound)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          config: Config) -> Iterator[World]:
    with shared_runtime(request.param, tmp_path_factory.mktemp("retention"), config) as runtime:
        yield build(runtime)


@pytest.fixture
def session(world: World) -> Iterator[Session]:
    with world.runtime.sessions() as session:
        yield session
        session.rollback()


def purged(session: Session) -> PurgeReport:
    report = purge(session, PERIODS, FIXED_NOW, actor="cli:admin")
    session.flush()
    session.expire_all()
    return report


def test_the_report_counts_everything_past_its_period(session: Session) -> None:
    assert purged(session) == PurgeReport(raw_payloads=2, chat_answers=1, original_texts=1,
                                          contact_addresses=2, consents=1, needs=1)


def test_raw_payloads_of_finished_messages_go_and_unfinished_or_newer_ones_stay(
        world: World, session: Session) -> None:
    purged(session)
    payloads = {name: session.get_one(InboundMessage, inbound_id)
                for name, inbound_id in world.inbound.items()}
    for name in ("old-processed", "old-chat"):
        assert payloads[name].payload_encrypted == ""
        assert payloads[name].payload_removed_at == FIXED_NOW
    for name in ("old-failed", "old-received", "new-processed", "new-chat", "open-chat"):
        assert payloads[name].payload_encrypted != "", name
        assert payloads[name].payload_removed_at is None
    vault = world.runtime.intake.vault
    assert vault.decrypt(payloads["old-failed"].payload_encrypted) == '{"text": "old-failed"}'


def test_answers_of_finished_chats_go_and_open_or_newer_chats_keep_theirs(
        world: World, session: Session) -> None:
    purged(session)
    chats = {name: session.get_one(Conversation, chat_id)
             for name, chat_id in world.conversations.items()}
    assert chats["old"].state == {}
    assert chats["new"].state and chats["open"].state
    replies = {turn.conversation_id: turn.replies for turn in session.scalars(select(ConversationTurn))}
    assert replies[chats["old"].id] == []
    assert replies[chats["new"].id] == replies[chats["open"].id] == ["Which service is it about?"]


def test_original_text_becomes_the_redacted_text_after_its_period(world: World,
                                                                  session: Session) -> None:
    purged(session)
    items = {name: session.get_one(Feedback, item_id) for name, item_id in world.feedback.items()}
    assert items["gone"].text == "[name] (gone) on [phone] waited hours"
    assert items["gone"].original_removed_at == FIXED_NOW
    assert items["half"].text == ERASED and items["half"].original_removed_at is None
    assert items["recent"].text.startswith("Hettie Oakenshaw (recent)")
    assert items["recent"].original_removed_at is None


def test_unused_addresses_go_with_consents_and_needs_only_when_none_is_left(
        world: World, session: Session) -> None:
    purged(session)
    channels = {person: sorted(session.scalars(select(ContactAddress.channel).where(
        ContactAddress.contributor_id == person))) for person in (world.gone, world.half, world.recent)}
    assert channels == {world.gone: [], world.half: ["email"], world.recent: ["sms"]}

    def held(model: type, person: int) -> int:
        return len(session.scalars(select(model.id).where(model.contributor_id == person)).all())

    assert (held(ConsentRecord, world.gone), held(RecordedNeed, world.gone)) == (0, 0)
    assert held(ConsentRecord, world.half) == 1 and held(ConsentRecord, world.recent) == 1
    # The pseudonym stays, so staff still see which items came from one person.
    assert session.get(Contributor, world.gone) is not None
    assert session.get_one(Feedback, world.feedback["gone"]).contributor_id == world.gone
    old = session.get_one(InboundMessage, world.inbound["old-processed"])
    assert old.sender_hash is None
    assert session.get_one(InboundMessage, world.inbound["new-processed"]).sender_hash is not None
    chat = session.get_one(Conversation, world.conversations["old"])
    assert chat.address_hash == f"purged-{chat.id}"


def test_unsent_messages_to_a_purged_address_are_cancelled(world: World, session: Session) -> None:
    purged(session)
    status = {name: session.get_one(OutboundMessage, message_id)
              for name, message_id in world.outbound.items()}
    for name in ("to-gone", "to-old-number"):
        assert (status[name].status, status[name].contact_address_id) == ("cancelled", None)
        assert status[name].last_error == "contact details past retention"
    assert status["sent-to-gone"].status == "sent"
    assert status["to-recent"].status == "queued"
    assert status["to-recent"].contact_address_id is not None


def test_the_purge_is_audited_and_a_repeat_removes_nothing_more(session: Session) -> None:
    first = purged(session)
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purged"))
    assert (event.actor, event.entity_type, event.entity_id) == (
        "cli:admin", "retention", FIXED_NOW.date().isoformat())
    assert event.details == {**asdict(first), **PERIODS.model_dump()}
    again = purge(session, PERIODS, FIXED_NOW + DAY, actor="cli:admin")
    assert again == PurgeReport() and again.total == 0
    assert len(session.scalars(select(AuditEvent.id).where(
        AuditEvent.action == "retention.purged")).all()) == 1


def test_nothing_is_past_a_period_a_day_before_it_ends(world: World, session: Session) -> None:
    generous = RetentionSettings(raw_payload_days=101, original_text_days=801,
                                 contact_details_days=801)
    assert purge(session, generous, FIXED_NOW, actor="cli:admin") == PurgeReport()


# -- the settings -------------------------------------------------------------------------------

@pytest.mark.parametrize("field, days", [
    ("raw_payload_days", 1), ("raw_payload_days", 4000), ("original_text_days", 29),
    ("contact_details_days", 0), ("contact_details_days", -730)])
def test_periods_outside_the_sensible_range_are_refused(field: str, days: int) -> None:
    with pytest.raises(ValidationError) as refused:
        RetentionSettings(**{field: days})
    assert field in str(refused.value)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValidationError):
        RetentionSettings(raw_payload_day=90)  # type: ignore[call-arg]


def test_pipeline_toml_with_a_one_day_period_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text("[retention]\nraw_payload_days = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path)
    assert "raw_payload_days" in str(refused.value)


def test_the_shipped_periods(config: Config) -> None:
    assert config.retention == RetentionSettings(raw_payload_days=90, original_text_days=365,
                                                 contact_details_days=730)

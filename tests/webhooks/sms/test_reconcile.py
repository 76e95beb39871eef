"""`intake sms reconcile`: texts Twilio received while the database was down, fetched back from
Twilio's message log (the real twilio client against the local fake, over HTTP) and ingested once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.cli import main
from intake.contributors import find_address
from intake.storage.database import make_engine
from intake.storage.models import (
    AuditEvent,
    ConversationTurn,
    Feedback,
    InboundMessage,
    InboundState,
    OutboundMessage,
)
from tests.conftest import FIXED_NOW, settings_env
from webhooks.sms import reconcile as reconciling
from webhooks.sms.reconcile import (
    ReconcileError,
    ReconcileSummary,
    parse_moment,
    reconcile,
    twilio_client,
)

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PATIENT, SERVICE_NUMBER, SmsChannel, new_sid
from .fake_twilio import FakeTwilio, closed_port_url

OTHER_PATIENT = "+447700900456"
OUTAGE = FIXED_NOW - timedelta(hours=1)  # when the missed texts were sent


def run(sms: SmsChannel, since: datetime = FIXED_NOW - timedelta(hours=2),
        until: datetime | None = None, dry_run: bool = False) -> ReconcileSummary:
    return reconcile(sms.chat, twilio_client(sms.settings), [SERVICE_NUMBER], since, until,
                     dry_run=dry_run)


def missed(fake: FakeTwilio, body: str, minutes: int = 0, sender: str = PATIENT) -> str:
    """A text Twilio received (and the webhook never stored), ``minutes`` into the outage."""
    return fake.add_message(sender, SERVICE_NUMBER, body, OUTAGE + timedelta(minutes=minutes))


def inbound_rows(sms: SmsChannel) -> dict[str, InboundMessage]:
    with sms.runtime.sessions() as session:
        return {row.provider_message_id: row for row in session.scalars(select(InboundMessage))}


def feedback_texts(sms: SmsChannel) -> list[str]:
    with sms.runtime.sessions() as session:
        return list(session.scalars(select(Feedback.text).order_by(Feedback.id)))


def listing_requests(fake: FakeTwilio) -> list[dict[str, str]]:
    return [r.form for r in fake.requests if r.method == "GET"]


# -- ingesting what was missed ------------------------------------------------------------------

def test_texts_missed_during_an_outage_are_ingested_once(sms_via_fake: SmsChannel,
                                                        fake_twilio: FakeTwilio) -> None:
    sms = sms_via_fake
    first = missed(fake_twilio, "The GP receptionist was rude to my dad", 0)
    second = missed(fake_twilio, "The pharmacy on the high street was closed again", 5, OTHER_PATIENT)

    summary = run(sms)

    assert (summary.listed, summary.inbound, summary.already_stored) == (2, 2, 0)
    assert summary.missing == [first, second]  # oldest first
    assert (summary.ingested, len(summary.references), summary.failed) == (2, 2, [])
    rows = inbound_rows(sms)
    assert set(rows) == {first, second}
    assert rows[first].state == InboundState.PROCESSED
    assert rows[first].received_at.replace(tzinfo=UTC) == OUTAGE  # when Twilio had it, not now
    assert feedback_texts(sms) == ["The GP receptionist was rude to my dad",
                                   "The pharmacy on the high street was closed again"]
    # Nobody is answered: no conversation turn, nothing queued, nothing sent.
    assert sms.count(ConversationTurn) == sms.count(OutboundMessage) == 0
    assert [r for r in fake_twilio.requests if r.method == "POST"] == []
    [listing] = listing_requests(fake_twilio)
    assert listing["To"] == SERVICE_NUMBER
    assert fake_twilio.requests[0].basic_auth == (ACCOUNT_SID, AUTH_TOKEN)

    again = run(sms)

    assert (again.inbound, again.already_stored, again.missing, again.ingested) == (2, 2, [], 0)
    assert sms.count(InboundMessage) == 2
    assert sms.count(Feedback) == 2


def test_texts_the_webhook_stored_are_not_stored_again(sms_via_fake: SmsChannel,
                                                       fake_twilio: FakeTwilio) -> None:
    sms = sms_via_fake
    answered = new_sid()
    assert sms.text(PATIENT, "Hi", sid=answered)[0] == 200  # before the outage: a conversation
    fake_twilio.add_message(PATIENT, SERVICE_NUMBER, "Hi", OUTAGE - timedelta(minutes=30), sid=answered)
    lost = missed(fake_twilio, "My mum waited six hours in A&E", 10, OTHER_PATIENT)

    summary = run(sms)

    assert (summary.inbound, summary.already_stored, summary.missing, summary.ingested) == (2, 1, [lost], 1)
    assert sorted(inbound_rows(sms)) == sorted([answered, lost])
    assert inbound_rows(sms)[answered].state == InboundState.CONVERSATION  # left as it was


def test_outbound_messages_in_the_log_are_left_alone(sms_via_fake: SmsChannel,
                                                     fake_twilio: FakeTwilio) -> None:
    sms = sms_via_fake
    # A test text from another number on the account is in the log twice: sent and received.
    fake_twilio.add_message("+447700900999", SERVICE_NUMBER, "Testing", OUTAGE, "outbound-api")
    received = missed(fake_twilio, "Testing", 0, "+447700900999")
    # Our own replies are to the patient, so not listed at all.
    fake_twilio.add_message(SERVICE_NUMBER, PATIENT, "Thank you", OUTAGE, "outbound-reply")

    summary = run(sms)

    assert (summary.listed, summary.inbound, summary.missing) == (2, 1, [received])
    assert set(inbound_rows(sms)) == {received}


def test_a_stop_among_missed_texts_opts_the_person_out(sms_via_fake: SmsChannel,
                                                       fake_twilio: FakeTwilio) -> None:
    sms = sms_via_fake
    missed(fake_twilio, "The waiting room at the walk-in centre was filthy", 0)
    stop = missed(fake_twilio, "STOP", 2)
    missed(fake_twilio, "And nobody answered the phone at the surgery all week", 4)

    summary = run(sms)

    assert (summary.ingested, summary.opted_out, len(summary.references)) == (3, 1, 2)
    rows = inbound_rows(sms)
    assert (rows[stop].state, rows[stop].error) == (InboundState.IGNORED, "opt-out keyword")
    assert "STOP" not in " ".join(feedback_texts(sms))
    with sms.runtime.sessions() as session:
        address = find_address(session, sms.runtime.intake.vault, "sms", PATIENT)
        assert address is not None and address.opted_out_at is not None
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("contact.%"))))
    assert actions == ["contact.opt-out"]
    assert sms.count(OutboundMessage) == 0  # not even the opt-out confirmation


def test_a_help_or_start_is_not_feedback(sms_via_fake: SmsChannel, fake_twilio: FakeTwilio) -> None:
    sms = sms_via_fake
    missed(fake_twilio, "STOP", 0)
    start = missed(fake_twilio, "Start", 1)
    help_ = missed(fake_twilio, "HELP", 2, OTHER_PATIENT)

    summary = run(sms)

    assert (summary.opted_out, summary.opted_in, summary.references) == (1, 1, [])
    assert summary.ignored == [(help_, "help keyword")]
    assert inbound_rows(sms)[start].state == InboundState.IGNORED
    with sms.runtime.sessions() as session:
        address = find_address(session, sms.runtime.intake.vault, "sms", PATIENT)
        assert address is not None and address.opted_out_at is None  # STOP then START: back on


# -- Twilio's pages and the time window ----------------------------------------------------------

def test_every_page_is_read(sms_via_fake: SmsChannel, fake_twilio: FakeTwilio,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconciling, "PAGE_SIZE", 3)
    sids = [missed(fake_twilio, f"Complaint number {n} about the GP surgery", n) for n in range(7)]

    summary = run(sms_via_fake)

    assert summary.missing == sids
    assert summary.ingested == 7
    pages = listing_requests(fake_twilio)
    assert [(p["PageSize"], p.get("Page")) for p in pages] == [("3", None), ("3", "1"), ("3", "2")]
    assert all(p["To"] == SERVICE_NUMBER and "DateSent>" in p for p in pages)


def test_only_texts_inside_the_window_are_considered(sms_via_fake: SmsChannel,
                                                     fake_twilio: FakeTwilio) -> None:
    for hours in (5, 3, 1):
        fake_twilio.add_message(PATIENT, SERVICE_NUMBER, f"A text from {hours} hours ago",
                                FIXED_NOW - timedelta(hours=hours), sid=f"SM{hours:032d}")

    summary = run(sms_via_fake, since=FIXED_NOW - timedelta(hours=4),
                  until=FIXED_NOW - timedelta(hours=2))

    assert summary.missing == [f"SM{3:032d}"]
    [listing] = listing_requests(fake_twilio)
    assert listing["DateSent>"] == "2026-11-02T06:30:00Z"
    assert listing["DateSent<"] == "2026-11-02T08:30:00Z"


def test_a_dry_run_stores_nothing(sms_via_fake: SmsChannel, fake_twilio: FakeTwilio) -> None:
    sms = sms_via_fake
    sid = missed(fake_twilio, "The GP receptionist was rude to my dad")
    missed(fake_twilio, "STOP", 1)

    summary = run(sms, dry_run=True)

    assert summary.dry_run and len(summary.missing) == 2 and summary.missing[0] == sid
    assert (summary.ingested, summary.opted_out) == (0, 0)
    assert sms.count(InboundMessage) == sms.count(Feedback) == 0
    with sms.runtime.sessions() as session:
        assert find_address(session, sms.runtime.intake.vault, "sms", PATIENT) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("2h", FIXED_NOW - timedelta(hours=2)),
    ("3d", FIXED_NOW - timedelta(days=3)),
    ("1d12h", FIXED_NOW - timedelta(hours=36)),
    ("90m", FIXED_NOW - timedelta(minutes=90)),
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
    ("2026-11-01T09:30", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
    ("2026-11-01T09:30:00+01:00", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
    ("2026-11-01T09:30:00Z", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
])
def test_since_takes_durations_and_iso_times(text: str, expected: datetime) -> None:
    assert parse_moment(text, FIXED_NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2 hours", "h", "", "2026-13-01", "-2h"])
def test_anything_else_is_refused_with_the_forms_it_takes(text: str) -> None:
    with pytest.raises(ValueError, match="Use a duration such as 2h"):
        parse_moment(text, FIXED_NOW)


def test_twilio_out_of_reach_stores_nothing(sms_via_fake: SmsChannel) -> None:
    client = twilio_client(replace(sms_via_fake.settings, api_base_url=closed_port_url()))

    with pytest.raises(ReconcileError, match=r"Twilio could not be reached .* nothing was stored"):
        reconcile(sms_via_fake.chat, client, [SERVICE_NUMBER], FIXED_NOW - timedelta(hours=2))
    assert sms_via_fake.count(InboundMessage) == 0


# -- the command -----------------------------------------------------------------------------------

@pytest.fixture
def env(database_url: str, tmp_path: Path, fake_twilio: FakeTwilio) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        **settings_env(database_url, tmp_path / "instance"),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SERVICE_NUMBER, "TWILIO_MESSAGING_SERVICE_SID": None,
        "TWILIO_API_BASE_URL": fake_twilio.base_url}
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env=env, catch_exceptions=False)
    assert upgraded.exit_code == 0, upgraded.output
    return env


@pytest.fixture
def env_without_database(tmp_path: Path, fake_twilio: FakeTwilio) -> dict[str, str | None]:
    """For mistakes caught before the database is opened (it is never created)."""
    return {**settings_env(f"sqlite:///{tmp_path / 'never-opened.sqlite3'}", tmp_path / "instance"),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SERVICE_NUMBER, "TWILIO_MESSAGING_SERVICE_SID": None,
            "TWILIO_API_BASE_URL": fake_twilio.base_url}


def intake(env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(main, ["sms", "reconcile", *args], env=env)


def test_the_command_ingests_and_reports(env: dict[str, str | None], database_url: str,
                                         fake_twilio: FakeTwilio) -> None:
    now = datetime.now(UTC)
    sid = fake_twilio.add_message(PATIENT, SERVICE_NUMBER, "The GP receptionist was rude to my dad",
                                  now - timedelta(minutes=30))
    fake_twilio.add_message(OTHER_PATIENT, SERVICE_NUMBER, "STOP", now - timedelta(minutes=20))
    fake_twilio.add_message(PATIENT, SERVICE_NUMBER, "Too old", now - timedelta(hours=3))

    dry = intake(env, "--since", "2h", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"    {sid}" in dry.output.splitlines()
    assert "Dry run: nothing was stored." in dry.output

    result = intake(env, "--since", "2h")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Twilio listed 2 messages from ")
    assert lines[0].endswith("to now: 2 inbound, 0 outbound (left alone).")
    assert "  Ingested: 2" in lines
    assert "    opted out: 1" in lines
    assert any(line.startswith("    became feedback: 1 (FB-") for line in lines)
    assert PATIENT not in result.output and "rude" not in result.output  # no numbers, no text
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = set(connection.scalars(select(InboundMessage.provider_message_id)))
    finally:
        engine.dispose()
    assert sid in stored and len(stored) == 2

    again = intake(env, "--since", "2h")
    assert again.exit_code == 0, again.output
    assert "  Already stored: 2" in again.output and "  Ingested: 0" in again.output


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "yesterday"], "Invalid value for --since: 'yesterday' is neither a duration"),
    (["--since", "2h", "--until", "soon"], "Invalid value for --until: 'soon' is neither"),
    (["--since", "1h", "--until", "3h"], "is after the end of the window"),
    ([], "Missing option '--since'"),
])
def test_a_bad_window_is_a_clear_error(env_without_database: dict[str, str | None], args: list[str],
                                       message: str, tmp_path: Path) -> None:
    result = intake(env_without_database, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "never-opened.sqlite3").exists()


def test_a_twilio_error_is_a_clear_error(env: dict[str, str | None], fake_twilio: FakeTwilio) -> None:
    fake_twilio.listing_error = (401, 20003, "Authenticate")

    result = intake(env, "--since", "2h")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert ("Error: Twilio answered 401 (error 20003: Authenticate) while listing messages. Check "
            "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN") in " ".join(result.output.split())


def test_missing_credentials_are_a_clear_error(env_without_database: dict[str, str | None]) -> None:
    result = intake({**env_without_database, "TWILIO_AUTH_TOKEN": None}, "--since", "2h")

    assert result.exit_code == 1
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set" in result.output


def test_without_a_number_the_command_asks_for_one(env_without_database: dict[str, str | None]) -> None:
    result = intake({**env_without_database, "TWILIO_FROM_NUMBER": None}, "--since", "2h")

    assert result.exit_code == 2
    assert "Give the number people text with --to, or set TWILIO_FROM_NUMBER." in result.output

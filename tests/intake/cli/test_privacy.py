"""`intake erase`, `intake subject-access` and `intake purge` as an admin runs them, against the
test database (the commands use the real clock, so purge's old data is dated years back)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.cli import main
from intake.message import IncomingMessage
from intake.privacy.requests import record_request
from intake.storage.models import (
    AuditEvent,
    ContactAddress,
    Contributor,
    Feedback,
    InboundMessage,
)
from tests.conftest import settings_env
from tests.intake.staff.ingested import ingest

PHONE = "+447700900123"
SAID = "Wilhelmina Thorncastle says the GP surgery never answers the phone"
LONG_AGO = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(runtime: Runtime, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The same database and keys as ``runtime`` (already migrated), for the command."""
    return settings_env(database_url, tmp_path / "instance")


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def said(runtime: Runtime) -> str:
    return ingest(runtime, SAID, sender=PHONE, follow_up=True)


def still_held(runtime: Runtime) -> bool:
    with runtime.sessions() as session:
        return session.scalar(select(Feedback.text).where(Feedback.text == SAID)) is not None


def test_erase_needs_exactly_one_valid_key(env: dict[str, str]) -> None:
    for args in ([], ["--phone", PHONE, "--email", "w.t@example.org"], ["--dry-run"]):
        result = run(env, "erase", *args)
        assert result.exit_code == 2, args
        assert "Give exactly one of --phone, --telegram, --email, --reference, --pseudonym" in (
            result.output)
    result = run(env, "erase", "--phone", "not a number")
    assert result.exit_code == 2 and "'not a number' is not a phone number." in result.output


def test_erase_changes_nothing_on_a_dry_run_without_yes_or_for_nobody(
        runtime: Runtime, env: dict[str, str]) -> None:
    said(runtime)
    dry = run(env, "erase", "--phone", "07700 900123", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "feedback items: 1" in dry.output and "contact addresses: 1" in dry.output
    assert "Dry run: nothing was changed." in dry.output
    unconfirmed = run(env, "erase", "--phone", "07700 900123")
    assert unconfirmed.exit_code == 1
    assert "Erasure cannot be undone: confirm with --yes." in unconfirmed.output
    nobody = run(env, "erase", "--phone", "07700 900999", "--yes")
    assert nobody.exit_code == 1
    assert "Nothing is held for the phone ending 999." in nobody.output
    assert still_held(runtime)
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "erasure.completed")).all() == []


def test_erase_with_yes_erases_prints_counts_and_clears_the_pending_request(
        runtime: Runtime, env: dict[str, str]) -> None:
    reference = said(runtime)
    with runtime.sessions.begin() as session:
        pseudonym = session.scalar(select(Contributor.pseudonym))
        assert pseudonym is not None
        record_request(session, pseudonym, actor="staff:dpo@example.org", channel="letter",
                       now=runtime.intake.clock())
    pending = run(env, "erase", "--pending")
    assert pending.exit_code == 0, pending.output
    assert f"{pseudonym}  asked 2026-11-02 10:30 via letter  (1 item(s))" in pending.output
    assert "1 request(s) waiting." in pending.output

    erased = run(env, "erase", "--pseudonym", pseudonym, "--yes", "--reason", "letter of 1 Nov")
    assert erased.exit_code == 0, erased.output
    assert "feedback items: 1" in erased.output and "person record: 1" in erased.output
    assert f"Erased the person found by pseudonym {pseudonym}" in erased.output
    assert not still_held(runtime)
    with runtime.sessions() as session:
        assert session.scalar(select(Contributor.id)) is None
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "erasure.completed"))
        assert event is not None and event.actor.startswith("cli:")
        assert event.details["reason"] == "letter of 1 Nov"
    assert run(env, "erase", "--pending").output.endswith("0 request(s) waiting.\n")
    again = run(env, "erase", "--reference", reference, "--yes")
    assert again.exit_code == 0 and "feedback items: 0" in again.output


def test_subject_access_writes_the_json_to_a_file_and_is_audited(
        runtime: Runtime, env: dict[str, str], tmp_path: Path) -> None:
    reference = said(runtime)
    out = tmp_path / "sar.json"
    result = run(env, "subject-access", "--phone", "07700 900123", "-o", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [a["address"] for a in document["contact_addresses"]] == [PHONE]
    assert [(f["reference"], f["text"]) for f in document["feedback"]] == [(reference, SAID)]
    assert document["found_by"] == "phone ending 123"
    with runtime.sessions() as session:
        pseudonym = session.scalar(select(Contributor.pseudonym))
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "subject-access.exported"))
    assert event is not None and event.entity_id == pseudonym
    assert event.details == {"found_by": "phone ending 123"}
    unknown = run(env, "subject-access", "--reference", "FB-7K3M9Q")
    assert unknown.exit_code == 1
    assert "No feedback has the reference FB-7K3M9Q." in unknown.output


def test_purge_dry_run_then_purge(runtime: Runtime, env: dict[str, str]) -> None:
    ingest(runtime, SAID, sender=PHONE, follow_up=True, received_at=LONG_AGO)
    recent = runtime.intake.ingest(IncomingMessage(
        channel="sms", provider_message_id="recent", text="The pharmacy was helpful today",
        sender="+447700900124", received_at=datetime.now(UTC)))
    assert recent.feedback_id is not None
    with runtime.sessions.begin() as session:
        # The first person was last heard from long ago; the second just now.
        first, second = session.scalars(select(ContactAddress).order_by(ContactAddress.id))
        first.last_seen_at, second.last_seen_at = LONG_AGO, datetime.now(UTC)

    dry = run(env, "purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "raw payloads: 1" in dry.output and "contact addresses: 1" in dry.output
    assert "original texts: 1" in dry.output
    assert "Dry run: nothing was changed." in dry.output
    assert still_held(runtime)

    done = run(env, "purge")
    assert done.exit_code == 0, done.output
    assert "Removed 4 item(s) of personal data past retention." in done.output
    with runtime.sessions() as session:
        removed = session.scalars(select(Feedback.original_removed_at).order_by(Feedback.id)).all()
        assert removed[0] is not None and removed[1] is None
        payloads = dict(session.execute(select(InboundMessage.provider_message_id,
                                               InboundMessage.payload_encrypted)).all())
        assert payloads["recent"] != "" and len(session.scalars(select(ContactAddress)).all()) == 1
        assert session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "retention.purged")) is not None
    assert "Removed 0 item(s)" in run(env, "purge").output


# -- the other commands keep working after data was removed ----------------------------------

def test_keys_rotate_and_reprocess_work_after_purge_and_erasure(
        env: dict[str, str], runtime: Runtime) -> None:
    """Emptied payloads are skipped by rotation; re-tagging uses the item's own (redacted) text
    once the raw message is gone, and leaves erased items' tags as they are."""
    old = ingest(runtime, "The GP receptionist was rude, my name is Ada Purge", sender=PHONE,
                 received_at=LONG_AGO)
    erased = ingest(runtime, "Maternity was wonderful", sender="+447700900456")
    assert run(env, "purge").exit_code == 0
    assert run(env, "erase", "--phone", "+447700900456", "--yes").exit_code == 0
    new_key = run(env, "keys", "generate").output.strip()
    both = {**env, "INTAKE_ENCRYPTION_KEYS": f"{new_key},{env['INTAKE_ENCRYPTION_KEYS']}"}
    rotated = run(both, "keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    with runtime.sessions() as session:
        tags_before = {f.reference: sorted((t.kind, t.value) for t in f.tags if t.active)
                       for f in session.scalars(select(Feedback))}
    retagged = run({**env, "INTAKE_ENCRYPTION_KEYS": new_key}, "reprocess")
    assert retagged.exit_code == 0, retagged.output
    with runtime.sessions() as session:
        by_reference = {f.reference: f for f in session.scalars(select(Feedback))}
        assert ("service", "gp") in [(t.kind, t.value) for t in by_reference[old].tags if t.active]
        assert "Ada" not in by_reference[old].text
        assert sorted((t.kind, t.value) for t in by_reference[erased].tags if t.active) == (
            tags_before[erased])


def test_an_email_is_found_however_it_was_capitalised(env: dict[str, str], runtime: Runtime) -> None:
    runtime.intake.ingest(IncomingMessage(channel="web", provider_message_id="form-caps",
                                          text=SAID, sender="Wil.Thorn@Example.ORG",
                                          sender_channel="email"))
    found = run(env, "subject-access", "--email", "wil.thorn@example.org")
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["contact_addresses"][0]["address"] == "wil.thorn@example.org"

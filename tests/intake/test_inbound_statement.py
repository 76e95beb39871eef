"""The raw message stored by the statement that also reads (``intake.inbound_statement``,
``Intake.receive_reading``): on PostgreSQL one round trip that stores what ``receive`` stores
and reads, committed together; elsewhere, and for a repeat delivery, nothing stored and the
caller told so."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, select

from intake.bootstrap import Runtime
from intake.inbound_statement import STORED_INBOUND, stored_params
from intake.ingest import Intake
from intake.message import IncomingMessage
from intake.storage.models import Contributor, InboundMessage
from tests.conftest import FIXED_NOW
from tests.statements_sent import statements_sent

# A read that starts from the row being stored, with parameters of its own: the new id, and a
# contributor picked by pseudonym (None when there is none).
READ = select(STORED_INBOUND.c.id, Contributor.id).select_from(STORED_INBOUND).outerjoin(
    Contributor, Contributor.pseudonym == bindparam("channel"))


def message(pid: str, sender: str | None = "+447700900123") -> IncomingMessage:
    return IncomingMessage(channel="sms", provider_message_id=pid, text="My GP was kind",
                           sender=sender, received_at=FIXED_NOW)


def counted(intake: Intake) -> list[tuple[str, bool]]:
    """The ``received`` hook's calls from now on (what metrics count)."""
    calls: list[tuple[str, bool]] = []
    intake.received = lambda channel, duplicate: calls.append((channel, duplicate))  # type: ignore[method-assign]
    return calls


def stored(runtime: Runtime, pid: str) -> dict[str, Any]:
    with runtime.engine.connect() as other:
        row = other.execute(select(InboundMessage.__table__).where(
            InboundMessage.provider_message_id == pid)).mappings().one()
    return dict(row)


def test_on_postgresql_the_message_is_stored_as_receive_stores_it_and_read_in_one_statement(
        runtime: Runtime, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's: SQLite has no data-modifying WITH clauses")
    with runtime.sessions.begin() as session:
        session.add(Contributor(pseudonym="Psms", created_at=FIXED_NOW))
    calls = counted(runtime.intake)
    with statements_sent(engine) as sent:
        row = runtime.intake.receive_reading(message("SM-read"), READ, {"channel": "Psms"})
    assert row is not None
    inbound_id, contributor_id = row
    assert [level for _, level in sent] == ["AUTOCOMMIT"]
    assert sent[0][0].startswith("WITH stored AS (INSERT INTO inbound_message")
    assert calls == [("sms", False)]
    with runtime.sessions() as session:
        assert contributor_id == session.scalar(select(Contributor.id))
    runtime.intake.receive(message("SM-plain"))
    # Seen from another connection at once (committed); every column as ``receive`` writes it
    # (the read's "channel" parameter did not reach the message's channel).
    via_read, via_receive = stored(runtime, "SM-read"), stored(runtime, "SM-plain")
    assert via_read["id"] == inbound_id
    same = {"id", "provider_message_id", "payload_encrypted"}
    assert {k: v for k, v in via_read.items() if k not in same} == {
        k: v for k, v in via_receive.items() if k not in same}
    assert (via_read["channel"], via_read["state"], via_read["attempts"]) == ("sms", "received", 0)
    assert runtime.intake.vault.decrypt(via_read["payload_encrypted"]) == runtime.intake.vault.decrypt(
        via_receive["payload_encrypted"]).replace("SM-plain", "SM-read")


def test_a_repeat_delivery_is_not_stored_again_and_the_caller_receives_it(
        runtime: Runtime, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's: SQLite has no data-modifying WITH clauses")
    first = runtime.intake.receive_reading(message("SM-twice"), READ, {"channel": "nobody"})
    assert first is not None and first[1] is None
    calls = counted(runtime.intake)
    assert runtime.intake.receive_reading(message("SM-twice"), READ, {"channel": "nobody"}) is None
    assert calls == []
    assert runtime.intake.receive(message("SM-twice")) == (first[0], True)
    with runtime.sessions() as session:
        assert session.scalars(select(InboundMessage.id)).all() == [first[0]]


def test_on_sqlite_nothing_is_stored_and_the_caller_receives_it(
        runtime: Runtime, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's")
    calls = counted(runtime.intake)
    with statements_sent(engine) as sent:
        assert runtime.intake.receive_reading(message("SM-lite"), READ, {"channel": "x"}) is None
    assert sent == [] and calls == []
    with runtime.sessions() as session:
        assert session.scalar(select(InboundMessage.id)) is None


def test_a_value_missing_from_the_row_is_an_error_not_a_null() -> None:
    values = {"channel": "sms", "provider_message_id": "SM-1", "received_at": FIXED_NOW,
              "payload_encrypted": "x", "sender_hash": None, "state": "received", "attempts": 0}
    assert stored_params(values)["inbound__provider_message_id"] == "SM-1"
    del values["attempts"]
    with pytest.raises(KeyError):
        stored_params(values)

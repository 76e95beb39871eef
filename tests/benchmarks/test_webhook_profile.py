"""`benchmarks.webhook_profile` runs the production app in process over signed SMS traffic and
reports statements per turn by kind (and a profile when asked). Only the report's shape is
checked: no timing is asserted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine

from benchmarks.webhook_profile import in_transaction, main, statement_kind


@pytest.mark.parametrize(("sql", "kind"), [
    ('SELECT contact_address.id FROM contact_address WHERE x = ?', "SELECT contact_address"),
    ("INSERT INTO conversation_turn (inbound_message_id) VALUES (?)", "INSERT conversation_turn"),
    ('UPDATE "conversation" SET state=?', "UPDATE conversation"),
    ("SAVEPOINT sa_savepoint_1", "SAVEPOINT"),
])
def test_statements_are_named_by_verb_and_table(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind


def test_a_connection_in_autocommit_mode_runs_no_transaction() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as plain:
        assert in_transaction(plain)
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as autocommit:
        assert not in_transaction(autocommit)
    engine.dispose()


def test_the_report_counts_statements_for_every_answered_turn(
        capsys: pytest.CaptureFixture[str]) -> None:
    main(["--turns", "20", "--warmup", "5", "--profile", "--top", "5"])
    out = capsys.readouterr().out
    assert re.search(r"^sqlite: 20 turns .*statuses \{200: 20\}$", out, re.M)
    assert re.search(r"^SQL statements per turn: \d+\.\d\d$", out, re.M)
    assert re.search(r"^ +\d+\.\d\d +INSERT inbound_message$", out, re.M)
    transactions = re.search(r"^transactions per turn: (\d+\.\d\d)$", out, re.M)
    assert transactions and 0 < float(transactions.group(1)) < 5  # every turn writes in one
    assert "Ordered by: cumulative time" in out

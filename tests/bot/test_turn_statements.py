"""The statements a turn runs, as PostgreSQL is sent them: each writes only the columns it
names, however its parameters are named (SQLAlchemy sets a column of an UPDATE's table that a
parameter is named after, so a name shared by two tables in one statement writes both)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

from bot.turn_statements import (
    ANSWER_TURN,
    OPEN_CONVERSATION,
    SETTLE_INBOUND,
    THANK_TURN,
    WRITE_CONVERSATION,
    WRITE_FIRST_REPLY,
    WRITE_FIRST_REPLY_SEEN,
    WRITE_NEWCOMERS_FIRST_REPLY,
    WRITE_REPLY,
    WRITE_REPLY_SEEN,
)
from intake.contributors import NEW_ADDRESS, NEW_CONTRIBUTOR
from tests.statements_sent import set_by

SETTLED = ["state", "error", "processed_at"]
CONVERSATION_WRITTEN = ["status", "state", "last_activity_at", "closed_at", "version"]


def as_sent(statement: ClauseElement) -> str:
    """The statement compiled for PostgreSQL with a value for every parameter it names."""
    names = list(statement.compile(dialect=postgresql.dialect()).params)
    return str(statement.compile(dialect=postgresql.dialect(), column_keys=names))


def inserted_by(sql: str, table: str) -> list[str]:
    found = re.search(rf"INSERT INTO {table} \((.*?)\)", sql)
    assert found, sql
    return found.group(1).split(", ")


@pytest.mark.parametrize(("statement", "table", "columns"), [
    (WRITE_CONVERSATION, "conversation", CONVERSATION_WRITTEN),
    (SETTLE_INBOUND, "inbound_message", SETTLED),
    (THANK_TURN, "conversation_turn", ["replies", "answered_at"]),
])
def test_each_update_sets_only_what_it_names(statement: ClauseElement, table: str,
                                              columns: list[str]) -> None:
    assert set_by(as_sent(statement), table) == columns


def test_a_reply_in_one_statement_writes_the_conversation_then_the_message_then_the_turn() -> None:
    sql = as_sent(WRITE_REPLY)
    assert sql.startswith("WITH written AS")
    assert set_by(sql, "conversation") == CONVERSATION_WRITTEN
    assert set_by(sql, "inbound_message") == SETTLED
    assert sorted(inserted_by(sql, "conversation_turn")) == sorted(
        inserted_by(as_sent(ANSWER_TURN), "conversation_turn"))
    # Nothing is settled or claimed unless the conversation was still at the version read.
    assert "conversation.version = %(read_version)s" in sql
    assert "EXISTS (SELECT written.id" in sql and sql.rstrip().endswith(
        "FROM written RETURNING conversation_turn.id")


def test_a_first_reply_in_one_statement_inserts_the_conversation_as_a_first_turn_does() -> None:
    sql = as_sent(WRITE_FIRST_REPLY)
    assert sorted(inserted_by(sql, "conversation")) == sorted(
        inserted_by(as_sent(OPEN_CONVERSATION), "conversation"))
    # The conversation's channel is not bound as "channel", which the message has too.
    assert set_by(sql, "inbound_message") == SETTLED
    assert "%(conversation_channel)s" in sql and "%(channel)s" not in sql
    assert sql.rstrip().endswith("FROM written RETURNING conversation_turn.id")


def test_a_new_persons_first_reply_inserts_them_as_a_new_address_does_then_the_turn() -> None:
    """Contributor, address, conversation, message, turn: each insert takes the id the one
    before returned, and writes the columns the transaction's own inserts write."""
    sql = as_sent(WRITE_NEWCOMERS_FIRST_REPLY)
    for table, alone in (("contributor", NEW_CONTRIBUTOR), ("contact_address", NEW_ADDRESS),
                         ("conversation", OPEN_CONVERSATION)):
        assert sorted(inserted_by(sql, table)) == sorted(inserted_by(as_sent(alone), table))
    assert [clause.split()[0] for clause in re.findall(r"\b\w+ AS \n?\(", sql)] == [
        "person", "address", "written", "settled"]
    # The address takes the new contributor's id, and the conversation the address's.
    assert re.search(r"INSERT INTO contact_address \(contributor_id, .*?VALUES \(\(SELECT "
                     r"person.id\s+FROM person\),", sql, re.DOTALL)
    assert "RETURNING contact_address.id, contact_address.contributor_id" in sql
    assert re.search(r"INSERT INTO conversation \(channel, address_hash, contributor_id, .*?VALUES "
                     r"\(\S+, \S+, \(SELECT address.contributor_id\s+FROM address\),", sql, re.DOTALL)
    assert set_by(sql, "inbound_message") == SETTLED
    assert "%(conversation_channel)s" in sql and "%(channel)s" not in sql
    assert sql.rstrip().endswith("FROM written RETURNING conversation_turn.id")


@pytest.mark.parametrize("statement", [WRITE_REPLY_SEEN, WRITE_FIRST_REPLY_SEEN])
def test_a_turn_that_records_the_hour_of_last_contact_sets_only_that_on_the_address(
        statement: ClauseElement) -> None:
    """The address's channel, hash and contributor are the conversation's too: bound by the
    conversation's names, none of them is written to the address."""
    sql = as_sent(statement)
    assert set_by(sql, "contact_address") == ["last_seen_at"]
    assert set_by(sql, "inbound_message") == SETTLED
    # Recorded only if the conversation's row was written, as the message is settled.
    assert re.search(r"seen AS \s*\(UPDATE contact_address .* WHERE contact_address.id = "
                     r"%\(address_id\)s\S* AND \(EXISTS \(SELECT written.id", sql)


@pytest.mark.parametrize("statement", [WRITE_REPLY, WRITE_FIRST_REPLY])
def test_a_turn_within_the_hour_of_last_contact_leaves_the_address_alone(
        statement: ClauseElement) -> None:
    assert "contact_address" not in as_sent(statement)

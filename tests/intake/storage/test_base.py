"""The shared declarative base: UTC timestamps that come back aware, JSON that is JSONB on
PostgreSQL, and constraint names that are the same on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB

from intake.storage.base import JSONType, UTCDateTime, utcnow
from intake.storage.database import make_sessions
from intake.storage.models import AuditEvent
from tests.conftest import FIXED_NOW

PLUS_FIVE = timezone(timedelta(hours=5, minutes=30))
MINUS_FOUR = timezone(timedelta(hours=-4))


def event(moment: datetime, entity_id: str = "1", **details: object) -> AuditEvent:
    return AuditEvent(occurred_at=moment, actor="cli:tester", action="feedback.viewed",
                      entity_type="feedback", entity_id=entity_id, details=dict(details))


def test_utcnow_is_aware_and_in_utc() -> None:
    before = datetime.now(UTC)
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


# -- UTCDateTime, dialect by dialect ---------------------------------------------------------------

def test_binding_converts_to_utc_and_drops_the_zone_only_for_sqlite() -> None:
    column = UTCDateTime()
    moment = datetime(2026, 11, 2, 16, 0, tzinfo=PLUS_FIVE)

    on_sqlite = column.process_bind_param(moment, sqlite.dialect())
    on_postgres = column.process_bind_param(moment, postgresql.dialect())

    assert on_sqlite == datetime(2026, 11, 2, 10, 30)
    assert on_sqlite is not None and on_sqlite.tzinfo is None
    assert on_postgres == FIXED_NOW
    assert on_postgres is not None and on_postgres.tzinfo == UTC


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_a_naive_datetime_is_refused_with_a_hint(dialect: object) -> None:
    with pytest.raises(ValueError, match="naive datetime given; use an aware datetime in UTC"):
        UTCDateTime().process_bind_param(datetime(2026, 11, 2, 10, 30), dialect)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_none_passes_through_both_ways(dialect: object) -> None:
    assert UTCDateTime().process_bind_param(None, dialect) is None  # type: ignore[arg-type]
    assert UTCDateTime().process_result_value(None, dialect) is None  # type: ignore[arg-type]


def test_results_are_aware_utc_whether_stored_naive_or_with_an_offset() -> None:
    column = UTCDateTime()
    naive = column.process_result_value(datetime(2026, 11, 2, 10, 30), sqlite.dialect())
    offset = column.process_result_value(datetime(2026, 11, 2, 6, 30, tzinfo=MINUS_FOUR),
                                         postgresql.dialect())
    assert naive == offset == FIXED_NOW
    assert naive is not None and naive.tzinfo == UTC
    assert offset is not None and offset.tzinfo == UTC


# -- against the databases -------------------------------------------------------------------------

def test_comparisons_in_queries_are_made_in_utc_whatever_offset_was_given(engine: Engine) -> None:
    """SQLite stores the UTC wall time as text: a filter given in another zone must still pick
    the right rows (it would not if the offset were ignored)."""
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        session.add_all([event(FIXED_NOW - timedelta(minutes=1), "before"),
                         event(FIXED_NOW + timedelta(minutes=1), "after")])
    cutoff = FIXED_NOW.astimezone(PLUS_FIVE)  # 16:00 at +05:30, the same instant
    with sessions() as session:
        earlier = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.occurred_at < cutoff))
        ordered = session.scalars(select(AuditEvent.occurred_at).order_by(AuditEvent.occurred_at))
        assert list(earlier) == ["before"]
        assert [moment.utcoffset() for moment in ordered] == [timedelta(0)] * 2


def test_json_columns_round_trip_nested_values(engine: Engine) -> None:
    details = {"fields": ["status", "tags"], "counts": {"opted-out": 2}, "note": "ünïcode ✓",
               "flag": True, "nothing": None}
    with make_sessions(engine).begin() as session:
        session.add(event(FIXED_NOW, **details))
    with make_sessions(engine)() as session:
        assert session.scalar(select(AuditEvent.details)) == details


def test_json_is_jsonb_on_postgresql() -> None:
    assert isinstance(JSONType.dialect_impl(postgresql.dialect()), JSONB)
    assert not isinstance(JSONType.dialect_impl(sqlite.dialect()), JSONB)


def test_json_annotations_make_jsonb_columns_in_a_postgresql_database(engine: Engine) -> None:
    types = {column["name"]: column["type"] for column in inspect(engine).get_columns("audit_event")}
    if engine.dialect.name == "postgresql":
        assert isinstance(types["details"], JSONB)
    else:
        assert type(types["details"]).__name__ == "JSON"


def test_constraint_names_follow_the_convention_on_both_databases(engine: Engine) -> None:
    inspector = inspect(engine)
    assert {c["name"] for c in inspector.get_unique_constraints("inbound_message")} == {
        "uq_inbound_message_channel_provider_message_id"}
    assert {c["name"] for c in inspector.get_foreign_keys("tag")} == {"fk_tag_feedback_id_feedback"}
    assert inspector.get_pk_constraint("tag")["name"] == "pk_tag"
    assert "ix_audit_event_action" in {index["name"] for index in inspector.get_indexes("audit_event")}

"""Pooled PostgreSQL connections are pinged on checkout only after sitting idle, and a dead idle
connection is replaced before a request can fail on it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from intake.storage.database import make_engine
from tests.conftest import POSTGRES_URL, postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL")

IDLE = 0.2  # the check's threshold in these tests (production waits IDLE_SECONDS)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr("intake.storage.connection_check.IDLE_SECONDS", IDLE)
    made = make_engine(POSTGRES_URL, pool_size=1, max_overflow=0)
    yield made
    made.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    made: list[object] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: object) -> bool:
        made.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return made


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine, pings: list[object]) -> None:
    first = backend_pid(engine)
    for _ in range(5):
        assert backend_pid(engine) == first
    assert pings == []


def test_a_connection_idle_past_the_threshold_is_pinged_and_kept_if_alive(
        engine: Engine, pings: list[object]) -> None:
    first = backend_pid(engine)
    time.sleep(IDLE * 2)
    assert backend_pid(engine) == first
    assert len(pings) == 1


def test_an_idle_connection_the_server_cut_is_replaced_before_use(
        engine: Engine, pings: list[object]) -> None:
    first = backend_pid(engine)
    killer = make_engine(POSTGRES_URL, pool_pre_ping=True)
    try:
        with killer.begin() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": first}).scalar_one()
    finally:
        killer.dispose()
    time.sleep(IDLE * 2)
    # The request after the cut gets a fresh, working connection: no error reaches it.
    assert backend_pid(engine) != first
    assert len(pings) == 1


def terminate(pid: int) -> None:
    """End a backend from another connection, and wait until it has gone."""
    killer = make_engine(POSTGRES_URL, pool_pre_ping=True)
    try:
        with killer.begin() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": pid}).scalar_one()
        for _ in range(200):
            with killer.connect() as connection:
                if not connection.execute(text("SELECT count(*) FROM pg_stat_activity "
                                               "WHERE pid = :pid"), {"pid": pid}).scalar_one():
                    return
            time.sleep(0.01)
        raise AssertionError(f"backend {pid} is still there")
    finally:
        killer.dispose()


def test_a_connection_the_server_closed_a_moment_ago_is_replaced_before_use(
        engine: Engine, pings: list[object]) -> None:
    """Used a moment ago, so not idle; but the server said goodbye on its socket (a restart,
    a terminated backend, a proxy going down): it is pinged, found dead and replaced."""
    first = backend_pid(engine)
    terminate(first)
    assert backend_pid(engine) != first          # no error reaches the request
    assert len(pings) == 1
    second = backend_pid(engine)                 # and a healthy one is left alone again
    assert backend_pid(engine) == second and len(pings) == 1


def test_the_pool_hands_out_the_connection_returned_last() -> None:
    """So under load the same connections stay warm, and the idle ones are the ones checked."""
    engine = make_engine(POSTGRES_URL, pool_size=2, max_overflow=0)
    try:
        first, second = engine.connect(), engine.connect()
        pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())
                for c in (first, second)]
        first.close()
        second.close()  # returned last
        assert backend_pid(engine) == pids[1]
        assert backend_pid(engine) == pids[1]
    finally:
        engine.dispose()


def test_asking_for_pre_ping_keeps_sqlalchemys_own() -> None:
    explicit = make_engine(POSTGRES_URL, pool_pre_ping=True)
    try:
        assert explicit.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        explicit.dispose()

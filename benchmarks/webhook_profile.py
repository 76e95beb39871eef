"""Where an SMS conversation turn's time goes: the production app in this process, served by
Flask's test client with the same signed Twilio traffic as ``benchmarks.webhook_load``, on a
fresh SQLite or PostgreSQL database.

Prints the SQL statements per turn (by kind of statement and table), the transactions per
turn (on PostgreSQL each is two more round trips, BEGIN and COMMIT; a statement on a connection
in autocommit mode is not one) and, with ``--profile``, the functions that take the most time
(cProfile, cumulative and own time). No server, no
network and no timing target: it is for finding the costs, the load benchmark measures them.

    .venv/bin/python -m benchmarks.webhook_profile [--database sqlite|postgresql] [--turns 400]
        [--warmup 100] [--profile] [--top 40] [--save FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from benchmarks.served import fresh_database, production_env
from benchmarks.sms_traffic import Traffic
from benchmarks.webhook_load import REAL_PATH, _traffic

STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|SAVEPOINT|RELEASE|ROLLBACK|BEGIN)"
                       r".*?(?:FROM|INTO|UPDATE)?\s+\"?(\w+)\"?", re.S | re.I)


def in_transaction(connection: Any) -> bool:
    """Whether ``connection`` runs its statements in a transaction (BEGIN ... COMMIT), not
    each committing itself (``intake.storage.database.one_statement_sessions``)."""
    return connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"


def statement_kind(sql: str) -> str:
    """``SELECT conversation_turns`` and the like: the verb and the first table named."""
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", sql, re.I)
    return f"{verb} {table.group(1)}" if table and verb != "SAVEPOINT" else verb


@contextmanager
def production_app(database_url: str, instance: Path) -> Iterator[Flask]:
    """``webhooks.wsgi``'s app, built with production settings for ``database_url``."""
    with mock.patch.dict(os.environ, production_env(database_url, instance), clear=True):
        from webhooks import create_app
        from webhooks.wsgi import load_taggers

        app = create_app()
        load_taggers(app)
        yield app


def send(client: FlaskClient, traffic: Traffic) -> int:
    delivery = traffic.next()
    response = client.post(REAL_PATH, data=delivery.body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": delivery.signature})
    traffic.answered(delivery, response.status_code == 200, response.data)
    return response.status_code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", type=Path, help="also write the profile here (for pstats, snakeviz)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="webhook-profile-") as directory, fresh_database(
            args.database, Path(directory)) as url, production_app(
            url, Path(directory) / "instance") as app:
        from webhooks.runtime import RUNTIME_KEY

        engine = app.extensions[RUNTIME_KEY].engine
        statements: Counter[str] = Counter()
        transactions: list[int] = [0]

        def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements[statement_kind(sql)] += 1

        def began(connection: Any) -> None:
            if in_transaction(connection):
                transactions[0] += 1

        client = app.test_client()
        traffic = _traffic(REAL_PATH, seed=1)
        for _ in range(args.warmup):
            send(client, traffic)
        event.listen(engine, "before_cursor_execute", count)
        event.listen(engine, "begin", began)
        traffic.counts.clear()
        profiler = cProfile.Profile() if args.profile else None
        statuses: Counter[int] = Counter()
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(args.turns):
            statuses[send(client, traffic)] += 1
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "begin", began)
    turns = args.turns
    print(f"{args.database}: {turns} turns {dict(traffic.counts)}; statuses {dict(statuses)}")
    print(f"wall {1000 * wall / turns:.2f} ms/turn, CPU {1000 * cpu / turns:.2f} ms/turn "
          f"(in process, {'with' if profiler else 'without'} the profiler)")
    print(f"SQL statements per turn: {sum(statements.values()) / turns:.2f}")
    for kind, n in statements.most_common():
        print(f"  {n / turns:6.2f}  {kind}")
    print(f"transactions per turn: {transactions[0] / turns:.2f}")
    if profiler:
        stats = pstats.Stats(profiler)
        if args.save:
            stats.dump_stats(args.save)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()

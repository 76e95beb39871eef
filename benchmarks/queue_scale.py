"""The queue at scale: filtered queue pages with their counts, and the governing body's report,
over a million feedback items on PostgreSQL.

Targets (issue 9): a filtered queue page with its counts p95 under 100 ms; the report over all of
it in under 10 s. Pages are fetched through the real queue view (Flask's test client, signed in as
a reviewer), the report made by the function `intake report` calls. Baselines measured in the same
run (``SELECT 1``, a primary-key look-up, ``SELECT count(*)``) let the figures be read as ratios
on a noisy machine.

    .venv/bin/python -m benchmarks.queue_scale [--rows 1000000] [--reuse] [--requests 30]
                                              [--statements] [--json FILE]
    .venv/bin/python -m benchmarks.queue_scale --drop

The data lives in a database of its own (``involve_bench_queue`` unless ``--database``) on the
server at ``--server`` (default postgresql://postgres@127.0.0.1:5432); ``--reuse`` keeps a
database made earlier with the same ``--rows`` (migrating it to the newest revision first),
``--drop`` removes it.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography.fernet import Fernet
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url

from benchmarks.machine import describe
from benchmarks.measure import percentile
from benchmarks.queue_data import END, FIRST_DAY, LAST_DAY, generate
from intake.bootstrap import Runtime, build_runtime
from intake.feedback_query import tune_for_counting
from intake.feedback_sample import EVERY
from intake.reporting import ReportPeriod, build_report
from intake.reporting.html import render_document
from intake.settings import Settings
from intake.staff.accounts import create_user
from intake.storage import migrate
from intake.storage.database import make_engine, normalise_url
from intake.storage.models import Feedback, StaffUser
from intake.view_counts import ABOUT_FROM, EXACT_UP_TO, upper_bound, view_counts

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "involve_bench_queue"
REVIEWER = "reviewer@bench.example.org"
PASSWORD = "a long benchmark password 42"
TARGET_PAGE_P95_MS = 100.0
TARGET_REPORT_S = 10.0
# Realistic views of the queue: what the engagement team filters by, first pages and deep ones.
PAGES = [
    ("everything, first page", ""),
    ("everything, page 2,000", "page=2000"),
    ("status new", "status=new"),
    ("service maternity", "service=maternity"),
    ("service GP, page 200", "service=gp&page=200"),
    ("Urdu + interpreter", "language=ur&need=interpreter"),
    ("a month (since/until)", f"since={LAST_DAY.replace(day=1).isoformat()}&until={LAST_DAY.isoformat()}"),
    ("no service yet, open", "service=none&status=new"),
    ("safety flag", "flag=suicide-self-harm"),
    ("tracker item", "tracker=7"),
    ("words 'interpreter'", "q=interpreter"),
    ("channel SMS + GP + month", f"channel=sms&service=gp&since={LAST_DAY.replace(day=1).isoformat()}"),
]


def database_url(server: str, name: str) -> str:
    return normalise_url(make_url(server).set(database=name)).render_as_string(hide_password=False)


def admin_engine(server: str) -> Engine:
    return create_engine(normalise_url(make_url(server).set(database="postgres")),
                         isolation_level="AUTOCOMMIT")


def stamp(rows: int) -> str:
    return f"queue_scale rows={rows}"


def existing_stamp(admin: Engine, name: str) -> str | None:
    """The comment on the benchmark database (how many rows it was made with), or None if the
    database does not exist."""
    with admin.connect() as connection:
        found = connection.execute(text(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
            "WHERE datname = :name"), {"name": name}).first()
    return None if found is None else found[0]


def drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(server: str, name: str, rows: int, reuse: bool) -> dict[str, Any]:
    """Make (or reuse) the database: migrated to head, filled, vacuumed and analysed."""
    admin = admin_engine(server)
    made: dict[str, Any] = {"reused": False}
    try:
        if reuse and existing_stamp(admin, name) == stamp(rows):
            made["reused"] = True
        else:
            drop(admin, name)
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = make_engine(database_url(server, name))
        try:
            started = time.perf_counter()
            migrate.upgrade(engine)
            made["migrate_s"] = round(time.perf_counter() - started, 2)
            if not made["reused"]:
                started = time.perf_counter()
                with engine.begin() as connection:
                    made["counts"] = generate(connection, rows)
                made["generate_s"] = round(time.perf_counter() - started, 1)
                started = time.perf_counter()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
                made["vacuum_s"] = round(time.perf_counter() - started, 1)
                with admin.connect() as connection:
                    connection.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{stamp(rows)}'")
            made["revision"] = migrate.current_revision(engine)
        finally:
            engine.dispose()
    finally:
        admin.dispose()
    return made


def bench_runtime(url: str, instance: Path) -> Runtime:
    settings = Settings.from_env({
        "INTAKE_ENV": "test", "DATABASE_URL": url, "INTAKE_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "benchmark-secret-key", "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INTAKE_HASH_KEY": "benchmark-hash-key-" + "x" * 32,
        "PUBLIC_BASE_URL": "https://intake.example.test"})
    runtime = build_runtime(settings=settings)
    runtime.intake.clock = lambda: END
    return runtime


def reviewer_client(runtime: Runtime, exact_up_to: int = EXACT_UP_TO) -> FlaskClient:
    """The real app, signed in as a reviewer (the account is made once per database)."""
    from webhooks import create_app
    from webhooks.staff.auth import principal  # noqa: F401  (the staff blueprint is installed)

    with runtime.sessions.begin() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.email == REVIEWER)) is None:
            create_user(session, REVIEWER, "reviewer", PASSWORD, END, display_name="Benchmark")
    client = create_app({"TESTING": True, "QUEUE_EXACT_COUNTS_UP_TO": exact_up_to},
                        runtime=runtime).test_client()
    login = client.get("/staff/login").get_data(as_text=True)
    token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post("/staff/login", data={"email": REVIEWER, "password": PASSWORD,
                                                 "csrf_token": token})
    if signed_in.status_code != 302:
        raise RuntimeError(f"could not sign in: {signed_in.status_code}")
    return client


def timings(action: Callable[[], object], times: int, warm: int = 1) -> list[float]:
    """Milliseconds per call, after ``warm`` calls that are not counted."""
    for _ in range(warm):
        action()
    measured = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        measured.append((time.perf_counter() - started) * 1000)
    return measured


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 2), "p95": round(percentile(values, 0.95), 2),
            "p99": round(percentile(values, 0.99), 2), "mean": round(statistics.fmean(values), 2),
            "n": len(values)}


@contextmanager
def statement_log(engine: Engine) -> Iterator[list[tuple[float, str]]]:
    """Each SQL statement run meanwhile, with its time in ms (to find the slow ones)."""
    log: list[tuple[float, str]] = []

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        log.append(((time.perf_counter() - conn.info.pop("bench_started")) * 1000, statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def baselines(runtime: Runtime, times: int) -> dict[str, dict[str, float]]:
    rng = random.Random(1)
    with runtime.sessions() as session:
        highest = session.scalar(select(Feedback.id).order_by(Feedback.id.desc()).limit(1)) or 1

        def by_key() -> object:
            session.expunge_all()
            return session.get(Feedback, rng.randint(1, highest))

        return {
            "SELECT 1": summary(timings(lambda: session.execute(text("SELECT 1")), times * 3)),
            "primary-key look-up": summary(timings(by_key, times * 3)),
            "SELECT count(*) FROM feedback": summary(timings(
                lambda: session.execute(text("SELECT count(*) FROM feedback")), max(3, times // 3))),
        }


def queue_pages(runtime: Runtime, client: FlaskClient, times: int,
                show_statements: bool) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, query in PAGES:
        def fetch(query: str = query) -> None:
            response = client.get(f"/staff/queue?{query}")
            if response.status_code != 200:
                raise RuntimeError(f"/staff/queue?{query} answered {response.status_code}")
        result: dict[str, Any] = {"query": query, **summary(timings(fetch, times))}
        with statement_log(runtime.engine) as log:
            fetch()
        result["statements"] = len(log)
        result["sql_ms"] = round(sum(ms for ms, _ in log), 1)
        if show_statements:
            result["slowest"] = [{"ms": round(ms, 1), "sql": sql}
                                 for ms, sql in sorted(log, reverse=True)[:5]]
        results[name] = result
    return results


def estimate_accuracy(runtime: Runtime, exact_up_to: int) -> dict[str, dict[str, Any]]:
    """How far each page's estimated counts are from the exact ones (counted again with no
    limit): per page, the facets estimated, the relative error of the total and of every value
    shown as "about" (seen ten times or more in the sample), and how many values shown as
    "fewer than" some bound in fact have that many or more (the promise: one in twenty at most)."""
    from webhooks.staff.queue import read_request

    accuracy: dict[str, dict[str, Any]] = {}
    for name, query in PAGES:
        filters = read_request(dict(parse_qsl(query))).filters
        with runtime.sessions() as session:
            tune_for_counting(session)
            shown = view_counts(session, filters, exact_up_to)
            exact = view_counts(session, filters, 10**12)
        errors, bounds, wrong = [], 0, 0
        for facet in shown.estimated:
            for value, number in exact.facets[facet].items():
                seen = shown.number(facet, value) // EVERY
                if seen >= ABOUT_FROM:
                    errors.append(abs(shown.number(facet, value) - number) / max(1, number))
                else:
                    bounds += 1
                    wrong += number >= upper_bound(seen)
        accuracy[name] = {
            "estimated": sorted(shown.estimated), "total_estimated": shown.total_estimated,
            "total": shown.total, "exact_total": exact.total,
            "total_error": abs(shown.total - exact.total) / exact.total if exact.total else 0.0,
            "values_about": len(errors),
            "median_error": round(statistics.median(errors), 3) if errors else None,
            "max_error": round(max(errors), 3) if errors else None,
            "values_bounded": bounds, "bounds_exceeded": wrong}
    return accuracy


def report_timings(runtime: Runtime, times: int) -> dict[str, Any]:
    """The report over every day of the data, as `intake report --format html` makes it."""
    period = ReportPeriod(FIRST_DAY, LAST_DAY)
    built: list[Any] = []

    def make() -> None:
        with runtime.sessions() as session:
            built.append(build_report(session, runtime.config, period, END))
        render_document(built[-1])

    seconds = [ms / 1000 for ms in timings(make, times, warm=0)]
    report = built[-1]
    return {"period": period.title, "granularity": report.granularity, "tables": list(report.names),
            "items": report.table("summary").rows[0][1],
            "seconds": {"p50": round(statistics.median(seconds), 2), "max": round(max(seconds), 2),
                        "n": len(seconds)}}


def run(args: argparse.Namespace) -> dict[str, Any]:
    before = describe()
    print(before.line(), flush=True)
    made = prepare(args.server, args.database, args.rows, args.reuse)
    print(f"database {args.database}: {json.dumps(made)}", flush=True)
    with tempfile.TemporaryDirectory() as instance:
        runtime = bench_runtime(database_url(args.server, args.database), Path(instance))
        try:
            client = reviewer_client(runtime, args.exact_up_to)
            # As deploy/gunicorn.conf.py's pre_fork hook does for each worker: what the app
            # loaded is kept out of the collector's full collections (each ~90 ms here).
            gc.freeze()
            base = baselines(runtime, args.requests)
            pages = queue_pages(runtime, client, args.requests, args.statements)
            accuracy = estimate_accuracy(runtime, args.exact_up_to)
            report = report_timings(runtime, args.report_runs)
        finally:
            runtime.close()
    after = describe()
    results = {"machine": before.as_dict(), "load_average_after": after.load_average,
               "rows": args.rows, "database": made, "baselines": base, "pages": pages,
               "exact_up_to": args.exact_up_to, "estimates": accuracy,
               "report": report,
               "targets": {"page_p95_ms": TARGET_PAGE_P95_MS, "report_s": TARGET_REPORT_S}}
    print_results(results)
    print(after.line())
    return results


def print_results(results: dict[str, Any]) -> None:
    print("\nbaselines (ms)               p50      p95      p99")
    for name, figures in results["baselines"].items():
        print(f"  {name:<28}{figures['p50']:>7.2f}  {figures['p95']:>7.2f}  {figures['p99']:>7.2f}")
    count_ms = results["baselines"]["SELECT count(*) FROM feedback"]["p50"]
    print(f"\nqueue pages (ms, n={next(iter(results['pages'].values()))['n']} each; "
          f"target p95 < {TARGET_PAGE_P95_MS:.0f})")
    print("  page                           p50      p95      p99  statements   SQL ms"
          "   p95/count(*)  target")
    verdicts: Counter[str] = Counter()
    for name, figures in results["pages"].items():
        met = figures["p95"] < TARGET_PAGE_P95_MS
        verdicts[met] += 1
        print(f"  {name:<28}{figures['p50']:>7.1f}  {figures['p95']:>7.1f}  {figures['p99']:>7.1f}"
              f"  {figures['statements']:>10}  {figures['sql_ms']:>7.1f}"
              f"  {figures['p95'] / count_ms:>13.1f}  "
              f"{'met' if met else 'MISSED'}")
        for slow in figures.get("slowest", []):
            print(f"      {slow['ms']:>8.1f} ms  {' '.join(slow['sql'].split())[:300]}")
    print(f"  {verdicts[True]} of {len(results['pages'])} pages under target")
    print(f"\nestimated counts against exact ones (groups whose narrowest filter matches more than "
          f"{results['exact_up_to']:,} items are estimated from the 1-in-{EVERY} sample)")
    print("  page                          total error  facets estimated  'about' values"
          "  median error  max error  'fewer than' values  exceeded")
    for name, figures in results["estimates"].items():
        median = "-" if figures["median_error"] is None else f"{figures['median_error']:.1%}"
        largest = "-" if figures["max_error"] is None else f"{figures['max_error']:.1%}"
        total = f"{figures['total_error']:.1%}" if figures["total_estimated"] else "exact"
        print(f"  {name:<28}{total:>12}  {len(figures['estimated']):>16}"
              f"  {figures['values_about']:>14}  {median:>12}  {largest:>9}"
              f"  {figures['values_bounded']:>19}  {figures['bounds_exceeded']:>8}")
    report = results["report"]
    seconds = report["seconds"]
    print(f"\nreport over {report['period']} ({report['items']:,} items, by {report['granularity']}): "
          f"median {seconds['p50']:.2f} s, max {seconds['max']:.2f} s of {seconds['n']} "
          f"(target < {TARGET_REPORT_S:.0f} s: "
          f"{'met' if seconds['max'] < TARGET_REPORT_S else 'MISSED'})")


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database made earlier with the same --rows")
    parser.add_argument("--drop", action="store_true", help="remove the database and stop")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--report-runs", type=int, default=3)
    parser.add_argument("--statements", action="store_true",
                        help="show each page's five slowest SQL statements")
    parser.add_argument("--exact-up-to", type=int, default=EXACT_UP_TO,
                        help="the queue's QUEUE_EXACT_COUNTS_UP_TO (intake.view_counts)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.drop:
        admin = admin_engine(args.server)
        drop(admin, args.database)
        admin.dispose()
        print(f"dropped {args.database}")
        return None
    results = run(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

"""How much SMS webhook traffic the web app takes, next to a bare Flask endpoint in the same run.

gunicorn is started exactly as production starts it (``-c deploy/gunicorn.conf.py``, production
settings, WEB_CONCURRENCY and WEB_THREADS set here and printed) serving
``benchmarks.webhook_app:app``: the real app plus ``POST /bench/bare-sms``, which parses the same
Twilio form and answers the same kind of TwiML but checks no signature and touches no database.
The load is signed Twilio webhooks from Ofcom drama numbers (see benchmarks/sms_traffic.py: first
messages, replies within conversations, a few retried deliveries), sent with httpx from this
process to 127.0.0.1 only, on SQLite and on PostgreSQL (a schema of its own, dropped after).

For each database, after a short warm-up of both routes:

* throughput: a closed loop (a fixed number of connections, each sending its next request as
  soon as the last is answered) for a fixed time, bare then real, ``--rounds`` times;
  the figure is real/bare, measured side by side;
* latency: an open loop at a fixed offered rate (``--rate``, default 200 requests/second; more
  rates after it, comma-separated, show where the real route does keep up) for a fixed time,
  bare then real; latency is counted from when each request was due, so a server
  that falls behind is charged for the queue it builds (no coordinated omission).

Also printed: the server's CPU time per request (all gunicorn workers, from /proc), the load
generator's own CPU share, since both share this machine's cores, and the busiest worker's CPU
in cores (near 1.0, that one worker was the limit: see ``busiest_worker``). When the load generator used
most of a core on the bare route, that route's closed-loop rate is the generator's limit, not the
server's: the report says so, and gives the server's CPU per request bare/real beside the ratio.
Each closed-loop sender has an httpx client of its own, which costs this script about half as
much per request as one shared pool (``--closed-loop-pool shared``, as figures before 6 December
were measured; docs/performance.md).

``--floor`` adds ``POST /bench/stored-sms`` to each closed-loop round (benchmarks/webhook_app.py):
the signature checked and the message stored as the real route does first, with no conversation.
Its rate over the bare route's is what any webhook that keeps the service's first promise could
reach on this machine; the real route's over it is what the conversation and the pipeline cost.

``--tagging worker`` runs the server with INTAKE_TAGGING=worker and ``intake worker`` beside it,
as production would: a finished conversation is stored and answered at once, and the worker tags
it. The worker's CPU time is counted in the server's, the messages still waiting for it are
printed after each phase, and at the end the run waits (at most ``DRAIN_SECONDS``) until the
worker has tagged them all, and prints how long that took.

    .venv/bin/python -m benchmarks.webhook_load [--databases sqlite,postgresql] [--workers 5]
        [--threads 4] [--concurrency 16] [--seconds 20] [--rate 200[,50,...]] [--latency-seconds 20]
        [--rounds 2] [--warmup-seconds 5] [--floor] [--tagging inline|worker]
        [--closed-loop-pool per-connection|shared]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from benchmarks.machine import describe
from benchmarks.measure import percentile
from benchmarks.served import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    ROOT,
    SERVICE_NUMBER,
    Gunicorn,
    cpu_seconds,
    fresh_database,
    is_local,
    postgres_cpu_seconds,
    production_env,
    running_gunicorn,
    stop,
)
from benchmarks.sms_traffic import Traffic
from benchmarks.webhook_app import BARE_PATH, STORED_PATH
from intake.port_sharing import kernel_migrates, reuse_port
from intake.preflight import NGINX_IDLE_UPSTREAM_SECONDS
from intake.storage.database import make_engine

APP = "benchmarks.webhook_app:app"
REAL_PATH = "/sms/twilio"
REQUEST_SECONDS = 30.0
KEEPALIVE_SECONDS = float(NGINX_IDLE_UPSTREAM_SECONDS)   # as nginx does, below gunicorn
_TLS = ssl.create_default_context()   # never used (plain HTTP), but built once, not per client
OPEN_LOOP_CONNECTIONS = 64
THROUGHPUT_TARGET = 0.40      # real at least 40% of bare's requests per second
P99_TARGET_MS = 100.0         # at the offered rate
TARGET_RATE = 200.0           # requests/second
CLIENT_BOUND = 0.9            # of a core: the closed loop then measures this script, not the server
DRAIN_SECONDS = 300.0         # the longest the run waits for the worker's backlog at the end
INTAKE = Path(sys.executable).parent / "intake"


@dataclass
class Phase:
    """One measured stretch of load on one route."""

    database: str
    route: str                   # "bare" or "real"
    mode: str                    # "closed" or "open"
    load: str                    # "c=16" or "200/s"
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    busiest_worker: float = 0.0  # the busiest gunicorn worker's CPU, in cores
    database_cpu: float | None = None  # PostgreSQL's, when it runs on this machine

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    @property
    def error_kinds(self) -> str:
        """What the errors were (status codes, or the client's exception), if any."""
        kinds = ", ".join(f"{status} x{n}" for status, n in sorted(self.statuses.items())
                          if status != "200")
        return f" ({kinds})" if kinds else ""

    def row(self) -> str:
        lat = self.latencies_ms or [0.0]
        cpu_ms = 1000 * self.server_cpu / self.requests if self.requests else 0.0
        client = 100 * self.client_cpu / self.seconds if self.seconds else 0.0
        return (f"{self.database:<10} {self.route:<6} {self.mode:<6} {self.load:>6} "
                f"{self.requests:>8} {self.rate:>8.1f} {percentile(lat, 0.5):>7.1f} "
                f"{percentile(lat, 0.95):>7.1f} {percentile(lat, 0.99):>7.1f} {max(lat):>8.1f} "
                f"{self.errors:>6} {cpu_ms:>8.2f} {client:>7.0f} {self.busiest_worker:>7.2f} "
                f"{self._database_ms:>9}")

    @property
    def _database_ms(self) -> str:
        if self.database_cpu is None or not self.requests:
            return "-"
        return f"{1000 * self.database_cpu / self.requests:.2f}"


HEADER = (f"{'database':<10} {'route':<6} {'mode':<6} {'load':>6} {'requests':>8} {'req/s':>8} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>8} {'errors':>6} "
          f"{'cpu ms/req':>8} {'client%':>7} {'busiest':>7} {'db ms/req':>9}")


def busiest_worker(before: Mapping[int, float], after: Mapping[int, float],
                   seconds: float) -> float:
    """The most CPU one worker used in ``seconds``, in cores (workers that started meanwhile
    counted from zero). Its threads share one interpreter lock, so a worker near 1.0 is the
    server's limit whatever the others do: with one listening socket, gunicorn's idle workers
    take new keep-alive connections in bursts, and two of five often serve all of them."""
    if not after or seconds <= 0:
        return 0.0
    return max(used - before.get(pid, 0.0) for pid, used in after.items()) / seconds


async def _send(client: httpx.AsyncClient, path: str, traffic: Traffic, phase: Phase | None,
                due: float | None = None) -> None:
    delivery = traffic.next()
    started = time.perf_counter() if due is None else due
    try:
        response = await client.post(path, content=delivery.body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": delivery.signature})
        status, ok, body = str(response.status_code), response.status_code == 200, response.content
    except httpx.HTTPError as error:
        status, ok, body = type(error).__name__, False, b""
    elapsed_ms = 1000 * (time.perf_counter() - started)
    traffic.answered(delivery, ok, body)
    if phase is not None:
        phase.latencies_ms.append(elapsed_ms)
        phase.statuses[status] += 1


def _client(server: Gunicorn, connections: int) -> httpx.AsyncClient:
    """A client that, like nginx in front of gunicorn (deploy/nginx), closes a connection idle
    for ``KEEPALIVE_SECONDS``: httpx's default, 5 s, is gunicorn's own keepalive, and a request
    sent just as gunicorn closed its idle connection was reset unread (a ReadError, the
    message never stored). The clients share one TLS context, though they only speak plain
    HTTP to 127.0.0.1: by default each builds its own from the CA bundle, 22 ms apiece, so
    the open loop's 64 clients took 1.4 s of this script's CPU inside the phase it measures."""
    return httpx.AsyncClient(base_url=server.base_url, timeout=REQUEST_SECONDS, verify=_TLS,
                             limits=httpx.Limits(max_connections=connections,
                                                 max_keepalive_connections=connections,
                                                 keepalive_expiry=KEEPALIVE_SECONDS))


@asynccontextmanager
async def _clients(server: Gunicorn, connections: int, pool: str) -> AsyncIterator[
        Callable[[int], httpx.AsyncClient]]:
    """What each of ``connections`` senders sends with: one client sharing a pool of that many
    connections (``shared``), or a client of one connection each (``per-connection``). httpcore's
    pool does work for every connection it holds each time a request starts or ends, so a
    shared pool costs the load generator more per request the more connections it has; with
    its own client, a sender's cost does not depend on how many others there are."""
    async with AsyncExitStack() as stack:
        if pool == "shared":
            client = await stack.enter_async_context(_client(server, connections))
            yield lambda _sender: client
            return
        own = [await stack.enter_async_context(_client(server, 1)) for _ in range(connections)]
        yield own.__getitem__


def _traffic(path: str, seed: int) -> Traffic:
    return Traffic(PUBLIC_BASE_URL + path, AUTH_TOKEN, SERVICE_NUMBER, ACCOUNT_SID, seed=seed)


async def closed_loop(server: Gunicorn, path: str, traffic: Traffic, concurrency: int,
                      seconds: float, phase: Phase | None, pool: str = "per-connection") -> None:
    """``concurrency`` connections, each sending as soon as its last answer came, for
    ``seconds`` (requests still in flight then are waited for and counted)."""
    async with _clients(server, concurrency, pool) as client_of:
        deadline = time.perf_counter() + seconds

        async def user(sender: int) -> None:
            while time.perf_counter() < deadline:
                await _send(client_of(sender), path, traffic, phase)

        await asyncio.gather(*(user(sender) for sender in range(concurrency)))


async def open_loop(server: Gunicorn, path: str, traffic: Traffic, rate: float, seconds: float,
                    phase: Phase) -> None:
    """One request due every 1/``rate`` seconds for ``seconds``, whether or not earlier ones were
    answered; each request's latency is counted from when it was due. A request due while every
    connection is busy waits in a first-in, first-out queue of this script's own, and each of
    ``OPEN_LOOP_CONNECTIONS`` senders has a client of one connection. Both keep httpx's pool
    out of the way when the server falls behind: it looked through all its waiting requests
    each time a connection freed (with thousands waiting, a whole core of this script), and it
    handed every waiting request to the same idle connection, where they queued on its lock
    while the other connections stood idle for seconds, so the server was offered less than
    the rate."""
    total = max(1, int(rate * seconds))
    due_times: asyncio.Queue[float | None] = asyncio.Queue()
    async with _clients(server, OPEN_LOOP_CONNECTIONS, "per-connection") as client_of:

        async def connection(sender: int) -> None:
            while (due := await due_times.get()) is not None:
                await _send(client_of(sender), path, traffic, phase, due)

        senders = [asyncio.create_task(connection(sender))
                   for sender in range(OPEN_LOOP_CONNECTIONS)]
        start = time.perf_counter() + 0.05
        for index in range(total):
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            due_times.put_nowait(due)
        for _ in senders:
            due_times.put_nowait(None)
        await asyncio.gather(*senders)


@dataclass
class Service:
    """What serves the load: gunicorn, and with ``--tagging worker`` an ``intake worker``."""

    server: Gunicorn
    database_url: str
    worker: subprocess.Popen[bytes] | None = None

    def cpu_seconds(self) -> float:
        worker = cpu_seconds(self.worker.pid) if self.worker is not None else 0.0
        return self.server.workers_cpu_seconds() + worker

    def database_cpu_seconds(self) -> float | None:
        """PostgreSQL's CPU time so far, where it runs on this machine (else None)."""
        return postgres_cpu_seconds() if is_local(self.database_url) else None

    def queued(self) -> int:
        """Messages waiting for the worker to tag them."""
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return int(connection.execute(text(
                    "SELECT count(*) FROM inbound_message WHERE state = 'queued'")).scalar_one())
        finally:
            engine.dispose()


def measured(service: Service, phase: Phase, run: Coroutine[Any, Any, None]) -> Phase:
    """Run one phase's coroutine, recording wall time and both sides' CPU time."""
    server_before = service.cpu_seconds()
    database_before = service.database_cpu_seconds()
    workers_before = service.server.each_worker_cpu_seconds()
    client_before = time.process_time()
    started = time.perf_counter()
    asyncio.run(run)
    phase.seconds = time.perf_counter() - started
    phase.client_cpu = time.process_time() - client_before
    phase.server_cpu = service.cpu_seconds() - server_before
    database_after = service.database_cpu_seconds()
    if database_before is not None and database_after is not None:
        phase.database_cpu = database_after - database_before
    phase.busiest_worker = busiest_worker(workers_before, service.server.each_worker_cpu_seconds(),
                                          phase.seconds)
    print(phase.row(), flush=True)
    if service.worker is not None:
        print(f"  waiting for the worker to tag them: {service.queued()} messages", flush=True)
    return phase


def start_worker(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    """``intake worker`` as production runs it (its default interval)."""
    with (workdir / "worker.log").open("ab") as out:
        return subprocess.Popen([str(INTAKE), "worker"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def drain(service: Service) -> str:
    """Wait until the worker has tagged everything queued; how long it took."""
    started = time.perf_counter()
    while (left := service.queued()) and time.perf_counter() - started < DRAIN_SECONDS:
        time.sleep(0.5)
    took = time.perf_counter() - started
    return (f"the worker tagged the backlog {took:.1f} s after the load ended" if not left
            else f"{left} messages still waiting for the worker after {took:.0f} s")


def run_database(kind: str, args: argparse.Namespace, workdir: Path) -> list[Phase]:
    phases: list[Phase] = []
    paths = {"bare": BARE_PATH, "stored": STORED_PATH, "real": REAL_PATH}
    routes = ("bare", "stored", "real") if args.floor else ("bare", "real")
    traffic = {route: _traffic(paths[route], seed) for seed, route in enumerate(paths)}
    drained = ""
    with fresh_database(kind, workdir) as url:
        env = production_env(url, workdir / f"instance-{kind}", INTAKE_TAGGING=args.tagging,
                             WEB_REUSE_PORT=args.reuse_port)
        with running_gunicorn(env, workdir, APP, args.workers, args.threads) as server:
            service = Service(server, url, start_worker(env, workdir)
                              if args.tagging == "worker" else None)
            try:
                for route in routes:  # every worker loads what it loads lazily
                    asyncio.run(closed_loop(server, paths[route], traffic[route],
                                            args.concurrency, args.warmup_seconds, None,
                                            args.closed_loop_pool))
                for _ in range(args.rounds):
                    for route in routes:
                        phase = Phase(kind, route, "closed", f"c={args.concurrency}")
                        phases.append(measured(service, phase, closed_loop(
                            server, paths[route], traffic[route], args.concurrency,
                            args.seconds, phase, args.closed_loop_pool)))
                for rate in args.rate:
                    for route in ("bare", "real"):
                        phase = Phase(kind, route, "open", f"{rate:g}/s")
                        phases.append(measured(service, phase, open_loop(
                            server, paths[route], traffic[route], rate, args.latency_seconds,
                            phase)))
                if service.worker is not None:
                    drained = f"; {drain(service)}"
            finally:
                if service.worker is not None:
                    stop(service.worker)
            replaced = server.output().count("Booting worker")
    real = traffic["real"]
    print(f"{kind}: real traffic sent {dict(real.counts)}; retried deliveries answered "
          f"differently from the first: {real.retries_differing}; workers booted (incl. "
          f"replacements after max_requests): {replaced}{drained}")
    return phases


def _median(closed: list[Phase], route: str, value: Callable[[Phase], float | None]
            ) -> float | None:
    """The median of ``value`` over ``route``'s closed-loop phases (None if any lacks it)."""
    values = [value(p) for p in closed if p.route == route and p.requests]
    if not values or any(v is None for v in values):
        return None
    return statistics.median(v for v in values if v is not None)


def cpu_per_request(closed: list[Phase], top: str, bottom: str) -> str:
    """The server's CPU per request, ``top`` over ``bottom``, and with the database's own CPU
    where it was measured: what real/bare would be were the load generator free, the ratio of
    capacities on this machine (the server and PostgreSQL share its cores)."""
    def ratio(value: Callable[[Phase], float | None], label: str) -> str:
        over, under = _median(closed, top, value), _median(closed, bottom, value)
        if over is None or under is None:
            return ""
        by = over / under if under else 0.0
        return f"{label}{top}/{bottom} = {by:.3f} ({1000 * over:.2f} / {1000 * under:.2f} ms)"

    server = ratio(lambda p: p.server_cpu / p.requests, "server CPU per request, ")
    both = ratio(lambda p: None if p.database_cpu is None
                 else (p.server_cpu + p.database_cpu) / p.requests,
                 "; with PostgreSQL's own CPU, ")
    return server + both


def load_generator_bound(kind: str, closed: list[Phase]) -> str:
    """Whether the closed loop measured the server or this script: when the script used most of
    a core for the bare route, the bare route's rate is the load generator's, and real/bare
    overstates the server's own ratio. The server's CPU per request, bare over real, does not
    depend on the client (without the database's own CPU it overstates on PostgreSQL, so that
    is added where PostgreSQL runs on this machine)."""
    client = _median(closed, "bare", lambda p: p.client_cpu / p.seconds if p.seconds else 0.0)
    client = client or 0.0
    bound = (f"the bare route was limited by the load generator (at {100 * client:.0f}% of a core), "
             "so real/bare overstates the server's ratio" if client >= CLIENT_BOUND
             else f"the load generator used {100 * client:.0f}% of a core on the bare route")
    return f"{kind}: {bound}; {cpu_per_request(closed, 'bare', 'real')}"


def _ratio(numerators: list[float], denominators: list[float]) -> tuple[float, str]:
    """The median of one route's closed-loop rate over another's, round by round, and the
    rounds' own ratios as the report prints them."""
    rounds = [top / bottom for top, bottom in zip(numerators, denominators, strict=True)
              if bottom]
    ratio = statistics.median(rounds) if rounds else 0.0
    return ratio, f"median of {len(rounds)} rounds: {', '.join(f'{r:.3f}' for r in rounds)}"


def verdicts(phases: list[Phase]) -> list[str]:
    lines = []
    for kind in dict.fromkeys(p.database for p in phases):
        closed = {route: [p.rate for p in phases if p.database == kind and p.mode == "closed"
                          and p.route == route] for route in ("bare", "stored", "real")}
        ratio, rounds = _ratio(closed["real"], closed["bare"])
        lines.append(f"{kind}: throughput real/bare = {ratio:.3f} ({rounds}); target >= "
                     f"{THROUGHPUT_TARGET:.2f}: {'met' if ratio >= THROUGHPUT_TARGET else 'MISSED'}")
        closed_phases = [p for p in phases if p.database == kind and p.mode == "closed"]
        if closed["stored"]:
            floor, floor_rounds = _ratio(closed["stored"], closed["bare"])
            above, above_rounds = _ratio(closed["real"], closed["stored"])
            lines.append(f"{kind}: the floor, stored/bare = {floor:.3f} ({floor_rounds}): "
                         "what checking the signature and storing each message leave of the "
                         f"bare route's throughput; real/stored = {above:.3f} ({above_rounds}): "
                         "what the conversation and the pipeline leave of the floor's; "
                         f"{cpu_per_request(closed_phases, 'bare', 'stored')}")
        lines.append(load_generator_bound(kind, closed_phases))
        for opened in (p for p in phases if p.database == kind and p.mode == "open"):
            route, at_target = opened.route, opened.load == f"{TARGET_RATE:g}/s"
            p99 = percentile(opened.latencies_ms, 0.99)
            verdict = "met" if p99 < P99_TARGET_MS and not opened.errors else "MISSED"
            lines.append(f"{kind}: {route} at {opened.load}: p50 "
                         f"{percentile(opened.latencies_ms, 0.5):.1f} ms, p95 "
                         f"{percentile(opened.latencies_ms, 0.95):.1f} ms, p99 {p99:.1f} ms, "
                         f"{opened.errors} errors{opened.error_kinds}; target p99 < "
                         f"{P99_TARGET_MS:.0f} ms: "
                         f"{'baseline' if route == 'bare' else verdict if at_target else 'context'}")
    return lines


def describe_reuse_port(setting: str) -> str:
    """Whether each worker listens on its own socket, and why (intake.port_sharing)."""
    migrates = kernel_migrates()
    spread = reuse_port({"WEB_REUSE_PORT": setting}, migrates)
    kernel = {True: "1", False: "0", None: "unknown"}[migrates]
    return (f"reuse_port {'on' if spread else 'off'} (WEB_REUSE_PORT={setting}, "
            f"net.ipv4.tcp_migrate_req={kernel})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="WEB_CONCURRENCY (default: the config's own default for this machine)")
    parser.add_argument("--threads", type=int, default=4, help="WEB_THREADS")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop connections")
    parser.add_argument("--seconds", type=float, default=20.0, help="each closed-loop phase")
    parser.add_argument("--rate", type=lambda text: [float(r) for r in text.split(",")],
                        default=[TARGET_RATE], help="open-loop requests/second (comma-separated)")
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="each open-loop phase")
    parser.add_argument("--rounds", type=int, default=2, help="closed-loop bare/real pairs")
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument("--closed-loop-pool", default="per-connection",
                        choices=("per-connection", "shared"),
                        help="the closed loop's httpx clients: one of one connection per sender "
                             "(cheaper for this script, so the bare route is less bound by it), "
                             "or one pool of --concurrency connections (figures before "
                             "6 December)")
    parser.add_argument("--reuse-port", default="auto", choices=("auto", "1", "0"),
                        help="WEB_REUSE_PORT: a listening socket per worker (auto: as production, "
                             "on where net.ipv4.tcp_migrate_req=1)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure POST /bench/stored-sms in the closed loop: the "
                             "signature checked and the message stored, no conversation")
    parser.add_argument("--tagging", default="inline", choices=("inline", "worker"),
                        help="INTAKE_TAGGING; worker also runs `intake worker` beside the server")
    args = parser.parse_args(argv)
    kinds = [kind.strip() for kind in args.databases.split(",") if kind.strip()]

    print(describe().line())
    print(f"server: gunicorn -c deploy/gunicorn.conf.py {APP}; WEB_CONCURRENCY={args.workers} "
          f"WEB_THREADS={args.threads}; INTAKE_ENV=production; INTAKE_TAGGING={args.tagging}; "
          f"{describe_reuse_port(args.reuse_port)}"
          + ("; `intake worker` beside it (its CPU counted in the server's)"
             if args.tagging == "worker" else ""))
    rates = ",".join(f"{rate:g}" for rate in args.rate)
    print(f"load: httpx from this process to 127.0.0.1; closed loop {args.concurrency} "
          f"connections ({args.closed_loop_pool} pool) x {args.seconds:g} s x {args.rounds} "
          f"rounds; open loop {rates} "
          f"requests/s x {args.latency_seconds:g} s; warm-up {args.warmup_seconds:g} s per route")
    print(HEADER)
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="webhook-load-") as directory:
        for kind in kinds:
            phases.extend(run_database(kind, args, Path(directory)))
    for line in verdicts(phases):
        print(line)
    print(f"after: {describe().line()}")


if __name__ == "__main__":
    main()

"""`benchmarks.webhook_load` runs end to end with tiny settings (SQLite, about a second per
phase) and prints every figure its report promises. Only the report's shape is checked: speed is
measured by running the benchmark, never asserted in a test."""

from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar, cast

import pytest

from benchmarks import webhook_load
from benchmarks.served import ROOT, Gunicorn
from benchmarks.webhook_load import (
    Phase,
    busiest_worker,
    cpu_per_request,
    load_generator_bound,
)

NUMBER = r"\d+(?:\.\d+)?"
ROW = re.compile(rf"^sqlite +(bare|stored|real) +(closed|open) +(c=\d+|{NUMBER}/s) +(\d+) +"
                 rf"({NUMBER}) +({NUMBER}) +({NUMBER}) +({NUMBER}) +({NUMBER}) +(\d+) +({NUMBER})"
                 rf" +(\d+) +({NUMBER}) +(-)$")   # no database CPU for SQLite: it is in the server's


def test_the_report_has_every_figure_for_each_route() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.webhook_load", "--databases", "sqlite", "--workers", "2",
         "--threads", "2", "--concurrency", "4", "--seconds", "1", "--rate", "20",
         "--latency-seconds", "1", "--rounds", "1", "--warmup-seconds", "0.5", "--floor"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "load average" in lines[0]
    assert "WEB_CONCURRENCY=2 WEB_THREADS=2" in lines[1]
    assert re.search(r"; reuse_port o(n|ff) \(WEB_REUSE_PORT=auto, net\.ipv4\.tcp_migrate_req="
                     r"(0|1|unknown)\)$", lines[1])
    assert "closed loop 4 connections (per-connection pool)" in lines[2]
    rows = [ROW.match(line) for line in lines]
    phases = {(m.group(1), m.group(2)) for m in rows if m}
    assert phases == {("bare", "closed"), ("stored", "closed"), ("real", "closed"),
                      ("bare", "open"), ("real", "open")}   # the floor: closed loop only
    for match in filter(None, rows):
        assert int(match.group(4)) > 0, match.group(0)  # requests answered
        assert 0 < float(match.group(13)) <= 1.5, match.group(0)  # the busiest worker, in cores
    assert re.search(rf"^sqlite: throughput real/bare = {NUMBER} \(median of 1 rounds",
                     done.stdout, re.M)
    assert re.search(rf"^sqlite: the floor, stored/bare = {NUMBER} \(median of 1 rounds: "
                     rf"{NUMBER}\): .*; real/stored = {NUMBER} \(median of 1 rounds: {NUMBER}\): "
                     rf".*; server CPU per request, bare/stored = {NUMBER} \({NUMBER} / {NUMBER} "
                     rf"ms\)$", done.stdout, re.M)
    assert re.search(rf"^sqlite: (the bare route was limited by the load generator \(at \d+% of "
                     rf"a core\)|the load generator used \d+% of a core).*; server CPU per request, "
                     rf"bare/real = {NUMBER} \({NUMBER} / {NUMBER} ms\)$", done.stdout, re.M)
    for route in ("bare", "real"):
        assert re.search(rf"^sqlite: {route} at 20/s: p50 {NUMBER} ms, p95 {NUMBER} ms, "
                         rf"p99 {NUMBER} ms, \d+ errors", done.stdout, re.M)
    assert re.search(r"retried deliveries answered differently from the first: 0", done.stdout)
    assert lines[-1].startswith("after: machine: ")


def test_with_tagging_in_the_worker_it_runs_one_and_waits_for_its_backlog() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.webhook_load", "--databases", "sqlite", "--workers", "2",
         "--threads", "2", "--concurrency", "4", "--seconds", "2", "--rate", "20",
         "--latency-seconds", "1", "--rounds", "1", "--warmup-seconds", "0.5",
         "--tagging", "worker", "--closed-loop-pool", "shared", "--reuse-port", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "INTAKE_TAGGING=worker; reuse_port on (WEB_REUSE_PORT=1" in done.stdout
    assert "`intake worker` beside it" in done.stdout
    assert "closed loop 4 connections (shared pool)" in done.stdout
    waiting = re.findall(r"^  waiting for the worker to tag them: (\d+) messages$", done.stdout, re.M)
    assert len(waiting) == 4                       # after each of the four phases
    assert re.search(rf"the worker tagged the backlog {NUMBER} s after the load ended$",
                     done.stdout, re.M)
    ended = re.search(r"'conversations ended': (\d+)", done.stdout)
    assert ended is not None and int(ended.group(1)) > 0   # there was feedback to tag


def test_the_report_says_whether_each_worker_listens_alone_and_why(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kernel = tmp_path / "tcp_migrate_req"
    monkeypatch.setattr("intake.port_sharing.MIGRATE_REQUESTS", kernel)
    kernel.write_text("1\n")
    assert webhook_load.describe_reuse_port("auto") == (
        "reuse_port on (WEB_REUSE_PORT=auto, net.ipv4.tcp_migrate_req=1)")
    assert webhook_load.describe_reuse_port("0").startswith("reuse_port off (WEB_REUSE_PORT=0,")
    kernel.unlink()
    assert webhook_load.describe_reuse_port("auto") == (
        "reuse_port off (WEB_REUSE_PORT=auto, net.ipv4.tcp_migrate_req=unknown)")


def closed(route: str, requests: int, server_cpu: float, client_cpu: float) -> Phase:
    phase = Phase("postgresql", route, "closed", "c=16", seconds=10.0, server_cpu=server_cpu,
                  client_cpu=client_cpu)
    phase.latencies_ms = [1.0] * requests
    return phase


def test_a_bare_route_limited_by_the_load_generator_is_said_to_be() -> None:
    """The script at 97% of a core on the bare route measured itself, not the server: the
    report says so and gives the server's own CPU per request, bare over real."""
    bound = load_generator_bound("postgresql", [closed("bare", 5000, 5.0, 9.7),
                                                closed("real", 2000, 10.0, 3.0)])
    assert bound == ("postgresql: the bare route was limited by the load generator (at 97% of a "
                     "core), so real/bare overstates the server's ratio; server CPU per request, "
                     "bare/real = 0.200 (1.00 / 5.00 ms)")
    free = load_generator_bound("postgresql", [closed("bare", 5000, 5.0, 6.0),
                                               closed("real", 2000, 10.0, 3.0)])
    assert free.startswith("postgresql: the load generator used 60% of a core on the bare route;")


def test_with_postgresqls_own_cpu_the_ratios_of_cpu_per_request_include_it() -> None:
    """Where PostgreSQL runs on this machine its CPU per request is added to the server's on
    both sides: the ratio of capacities had the load generator been free."""
    bare, stored, real = (closed("bare", 5000, 5.0, 9.7), closed("stored", 3000, 6.0, 7.0),
                          closed("real", 2000, 10.0, 3.0))
    bare.database_cpu, stored.database_cpu, real.database_cpu = 0.0, 3.0, 4.0
    bound = load_generator_bound("postgresql", [bare, stored, real])
    assert bound.endswith("server CPU per request, bare/real = 0.200 (1.00 / 5.00 ms); with "
                          "PostgreSQL's own CPU, bare/real = 0.143 (1.00 / 7.00 ms)")
    assert cpu_per_request([bare, stored, real], "bare", "stored") == (
        "server CPU per request, bare/stored = 0.500 (1.00 / 2.00 ms); with PostgreSQL's own "
        "CPU, bare/stored = 0.333 (1.00 / 3.00 ms)")
    assert bare.row().endswith(" 0.00") and real.row().endswith(" 2.00")   # ms a request
    real.database_cpu = None   # one phase without it: no figure with it
    assert "PostgreSQL" not in cpu_per_request([bare, real], "bare", "real")
    assert real.row().endswith(" -")


def test_the_busiest_worker_is_the_one_that_used_most_cpu_in_the_phase() -> None:
    """Per worker, CPU used during the phase over its length; a worker that started meanwhile
    (replaced) counts from zero, and one that exited is not counted."""
    before = {101: 10.0, 102: 4.0, 103: 7.0}
    after = {101: 11.0, 102: 8.0, 104: 2.5}
    assert busiest_worker(before, after, seconds=5.0) == 0.8     # 102: 4 s in 5 s
    assert busiest_worker({}, {104: 2.5}, seconds=5.0) == 0.5
    assert busiest_worker(before, {}, seconds=5.0) == 0.0
    assert busiest_worker(before, after, seconds=0.0) == 0.0


class _Gated(BaseHTTPRequestHandler):
    """Answers requests in batches: each waits until the gate next opens (every ``EVERY``
    seconds), and ``released`` records how many went through each time."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # else the body waits ~40 ms for the ACK of the headers
    EVERY = 0.15
    gate = threading.Condition()
    waiting = 0
    released: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        with cls.gate:
            cls.waiting += 1
            cls.gate.wait()
        body = b"<Response><Message>Thank you.</Message></Response>"
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    @classmethod
    def open_gate_until(cls, stop: threading.Event) -> None:
        while not stop.wait(cls.EVERY):
            with cls.gate:
                cls.released.append(cls.waiting)
                cls.waiting = 0
                cls.gate.notify_all()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what it needs from ``released``."""


class _Listening(ThreadingHTTPServer):
    """Takes all the open loop's connections at once: with socketserver's backlog of 5, the
    rest were dropped and connected a second later, when the client sent its SYN again."""

    daemon_threads = True
    request_queue_size = 64


@pytest.fixture
def gated_server() -> Iterator[tuple[Gunicorn, type[_Gated]]]:
    handler = type("Gated", (_Gated,), {"gate": threading.Condition(), "released": []})
    server = _Listening(("127.0.0.1", 0), handler)
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=handler.open_gate_until, args=(stop,), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        yield cast(Gunicorn, SimpleNamespace(
            base_url=f"http://127.0.0.1:{server.server_address[1]}")), handler
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_the_open_loop_keeps_every_connection_busy_while_requests_wait(
        monkeypatch: pytest.MonkeyPatch, gated_server: tuple[Gunicorn, type[_Gated]]) -> None:
    """Offered more than the server answers, the open loop has all its connections in use
    whenever requests wait for one, so the server is offered all it can take. Through one
    shared httpx pool, the requests waiting were all handed to the same idle connection and
    queued on its lock while other connections stood idle (here, a median of 19 to 25.5 of the
    32 went through each time the gate opened)."""
    server, handler = gated_server
    monkeypatch.setattr(webhook_load, "OPEN_LOOP_CONNECTIONS", 32)
    phase = Phase("sqlite", "real", "open", "640/s")
    asyncio.run(webhook_load.open_loop(server, "/sms", webhook_load._traffic("/sms", 1),
                                       rate=640.0, seconds=0.5, phase=phase))

    assert phase.requests == 320 and phase.errors == 0
    batches = [n for n in handler.released if n][:-1]   # the last may be what was left
    assert len(batches) >= 8 and statistics.median(batches) >= 30, handler.released


class _Ports(BaseHTTPRequestHandler):
    """Answers at once, noting the client's port of each request: a new port, a new connection."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    ports: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_the_load_generator_lets_go_of_an_idle_connection_before_gunicorn_would(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection idle for ``KEEPALIVE_SECONDS`` is not used again (nginx's upstream
    keepalive_timeout, below gunicorn's keepalive: tests/deploy checks both), so no request
    goes down a connection gunicorn is closing; one used sooner is kept."""
    handler = type("Ports", (_Ports,), {"ports": []})
    server = _Listening(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(webhook_load, "KEEPALIVE_SECONDS", 0.3)
    target = cast(Gunicorn, SimpleNamespace(base_url=f"http://127.0.0.1:{server.server_address[1]}"))

    async def three_requests() -> None:
        async with webhook_load._client(target, 1) as client:
            for pause in (0.0, 0.05, 0.6):
                await asyncio.sleep(pause)
                (await client.post("/sms", content=b"x")).raise_for_status()

    try:
        asyncio.run(three_requests())
    finally:
        server.shutdown()
        server.server_close()
    first, soon, after_idle = handler.ports
    assert soon == first and after_idle != first

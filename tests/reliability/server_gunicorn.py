"""A real gunicorn serving ``webhooks.wsgi:app`` on a free port of 127.0.0.1, several worker
processes with threads each, as production runs it; and the concurrent clients that hit it.

The server is always stopped (terminate, then kill) when the ``with`` block ends, and every wait
has a time limit, so a hung server fails the test instead of hanging the run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
HOOKS = Path(__file__).with_name("server_hooks.py")
START_SECONDS = 60.0
REQUEST_SECONDS = 30.0
COMMAND_SECONDS = 120.0
# Settings from the developer's own shell must not leak into the server under test.
CLEARED_PREFIXES = ("DATABASE_URL", "INTAKE_", "SECRET_KEY", "PUBLIC_BASE_URL", "TWILIO_",
                    "TELEGRAM_", "RATELIMIT_", "FEEDBACK_RATE_LIMIT")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def post(url: str, data: bytes, headers: Mapping[str, str],
         seconds: float = REQUEST_SECONDS) -> Answer:
    """One POST on its own connection; an HTTP error status is an answer, not an exception."""
    request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=seconds) as response:
            return Answer(response.status, response.read(), response.headers.get_content_type())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.read(), error.headers.get_content_type())


def get(url: str, seconds: float = 5.0) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=seconds) as response:
            return Answer(response.status, response.read(), response.headers.get_content_type())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.read(), error.headers.get_content_type())


def all_at_once(calls: Sequence[Callable[[], T]], seconds: float = REQUEST_SECONDS * 2) -> list[T]:
    """Run every call on its own thread, released together by a barrier; results in call order."""
    barrier = threading.Barrier(len(calls), timeout=seconds)

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=seconds) for future in futures]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def server_env(settings: Mapping[str, str], **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(CLEARED_PREFIXES)}
    env.update(settings)
    env.update(extra)
    return env


def run_intake(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``intake *args`` as the deploy runs it (``intake db upgrade`` before the server starts),
    in a process of its own with ``env``; its output is kept for the test's message."""
    return subprocess.run([sys.executable, "-c", "from intake.cli import main; main()", *args],
                          cwd=ROOT, env=dict(env), capture_output=True, text=True,
                          timeout=COMMAND_SECONDS, check=False)


def migrated_sqlite_env(directory: Path, **extra: str) -> dict[str, str]:
    """The environment of a deployed server on a SQLite file in ``directory``, migrated
    (``intake db upgrade``, as the deploy runs it first), on a free port of 127.0.0.1; one
    worker of two threads unless ``extra`` says otherwise."""
    env = server_env({
        "INTAKE_ENV": "development", "DATABASE_URL": f"sqlite:///{directory / 'intake.sqlite3'}",
        "INTAKE_INSTANCE_PATH": str(directory / "instance"), "LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"), "BIND_HOST": "127.0.0.1",
        "PORT": str(free_port()), "WEB_CONCURRENCY": "1", "WEB_THREADS": "2",
    }, **extra)
    migrated = run_intake(env, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the server and its workers: its own group
        process.wait(timeout=10)


@contextmanager
def running_server(command: Sequence[str], env: Mapping[str, str], log: Path, base_url: str,
                   is_ready: Callable[[], bool]) -> Iterator[Server]:
    """Start ``command`` in its own process group (output to ``log``) and yield once
    ``is_ready()``; the server is always stopped afterwards, and a server that exits or is not
    ready within START_SECONDS fails the test with its output."""
    with log.open("wb") as out:
        process = subprocess.Popen(list(command), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env=dict(env), start_new_session=True)
    server = Server(base_url, process, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not is_ready():
            if process.poll() is not None:
                raise AssertionError(f"the server exited with {process.returncode}:\n{server.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not start in {START_SECONDS}s:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


@contextmanager
def running_deployed(env: Mapping[str, str], log: Path, *options: str) -> Iterator[Server]:
    """gunicorn exactly as deploy/ starts it (``-c deploy/gunicorn.conf.py webhooks.wsgi:app``,
    with ``options`` before the app, which override the file), on the env's BIND_HOST and
    PORT as gunicorn.conf.py reads them; ready once ``/healthz`` answers 200."""
    base_url = f"http://{env['BIND_HOST']}:{env['PORT']}"

    def healthy() -> bool:
        try:
            return get(f"{base_url}/healthz", seconds=2).status == 200
        except OSError:
            return False

    command = [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), *options,
               "webhooks.wsgi:app"]
    with running_server(command, env, log, base_url, healthy) as server:
        yield server


@contextmanager
def running_gunicorn(env: Mapping[str, str], workdir: Path, app: str = "webhooks.wsgi:app",
                     workers: int = 3, threads: int = 4) -> Iterator[Server]:
    """Serve ``app`` with ``workers`` processes of ``threads`` threads; yields once every worker
    is ready and the server answers HTTP.

    ``--preload`` imports the app once before forking (the app opens no database connection
    while it is built, so the workers share none), which keeps start-up to a few seconds.
    Readiness is checked on a path that needs no database, so a test can take the database
    away before the first request.
    """
    port = free_port()
    ready = workdir / f"gunicorn-ready-{port}"
    ready.mkdir(parents=True)
    base_url = f"http://127.0.0.1:{port}"
    command = [str(GUNICORN), "-c", str(HOOKS), "-w", str(workers), "--threads", str(threads),
               "-b", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5",
               "--preload", app]

    def is_ready() -> bool:
        if len(list(ready.iterdir())) < workers:
            return False
        try:
            get(f"{base_url}/reliability-ready-check", seconds=2)  # a 404
        except OSError:
            return False
        return True

    with running_server(command, {**env, "RELIABILITY_READY_DIR": str(ready)},
                        workdir / f"gunicorn-{port}.log", base_url, is_ready) as server:
        yield server

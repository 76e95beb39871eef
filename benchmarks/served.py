"""The web app as production runs it, for the benchmarks: gunicorn started with
``deploy/gunicorn.conf.py`` on 127.0.0.1 (a free port), over a fresh migrated database (a SQLite
file, or a PostgreSQL schema of its own that is dropped afterwards), with production settings.

The server is always stopped (SIGINT, then SIGKILL of its process group) when the ``with`` block
ends, and every wait has a time limit.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from intake.storage import migrate
from intake.storage.database import make_engine, normalise_url

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
POSTGRES_URL = os.environ.get("BENCHMARK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
START_SECONDS = 60.0
PUBLIC_BASE_URL = "https://intake.example.test"
# The Twilio account the load is signed for (a made-up one: nothing here reaches Twilio).
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "benchmark-" + "t" * 22
SERVICE_NUMBER = "+447700900000"
# Settings from the developer's shell must not leak into the server being measured.
CLEARED_PREFIXES = ("DATABASE_URL", "INTAKE_", "SECRET_KEY", "PUBLIC_BASE_URL", "TWILIO_",
                    "TELEGRAM_", "RATELIMIT_", "FEEDBACK_RATE_LIMIT", "WEB_", "PORT", "BIND_HOST")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """A migrated, empty database: ``sqlite`` (a file in ``directory``) or ``postgresql`` (a
    schema of its own in POSTGRES_URL's database, dropped afterwards). Yields its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        _migrate(url)
        yield url
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}: sqlite or postgresql")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 5})
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = normalise_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        _migrate(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def production_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a production deployment (INTAKE_ENV=production, fresh secrets, Twilio
    configured) for ``database_url``, with nothing inherited from the caller's own settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(CLEARED_PREFIXES)}
    env.update({
        "INTAKE_ENV": "production", "DATABASE_URL": database_url,
        "INTAKE_INSTANCE_PATH": str(instance), "SECRET_KEY": secrets.token_hex(32),
        "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INTAKE_HASH_KEY": secrets.token_hex(32), "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SERVICE_NUMBER,
    })
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    workers: int
    threads: int

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's children now (workers are replaced after ``max_requests``)."""
        try:
            found = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in found.split()]

    def each_worker_cpu_seconds(self) -> dict[int, float]:
        """CPU time (user + system) each running worker has used so far, by pid."""
        used: dict[int, float] = {}
        for pid in self.worker_pids():
            try:
                used[pid] = cpu_seconds(pid)
            except OSError:  # exited since listed: now in the master's children's time
                continue
        return used

    def workers_cpu_seconds(self) -> float:
        """CPU time (user + system) all workers have used so far, those replaced after
        ``max_requests`` included (the master has reaped them, so they count in its
        children's time)."""
        # The workers before the master: one that exits in between is then in the master's.
        running = sum(self.each_worker_cpu_seconds().values())
        _, _, cutime, cstime = _cpu_fields(self.master_pid)
        return running + (cutime + cstime) / os.sysconf("SC_CLK_TCK")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a running process has used so far."""
    utime, stime, _, _ = _cpu_fields(pid)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def _stat_after_name(stat: Path) -> list[str]:
    """A /proc stat line's fields from the third (state) on: the name before them is in
    parentheses and may hold spaces and ')' itself, so the line is split at its last ')'."""
    return stat.read_text().rsplit(")", 1)[1].split()


# utime, stime, cutime, cstime (fields 14 to 17 of a stat line) in ``_stat_after_name``'s list.
_CPU_TIMES = slice(11, 15)
_PARENT = 1


def _cpu_fields(pid: int) -> list[int]:
    """utime, stime, cutime, cstime of a process in clock ticks."""
    return [int(value) for value in _stat_after_name(Path(f"/proc/{pid}/stat"))[_CPU_TIMES]]


def postgres_cpu_seconds(proc: Path = Path("/proc")) -> float | None:
    """CPU time (user + system) the PostgreSQL server on this machine has used so far: every
    process named ``postgres``, with the backends that have exited counted in their parent's
    children's time (the server's own parent is not one of them). None where no such process
    can be read. A figure for the benchmarks' database only when it runs here (the default)."""
    found: dict[int, tuple[int, list[int]]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = _stat_after_name(entry / "stat")
        except OSError:  # exited since listed, or not ours to read
            continue
        found[int(entry.name)] = (int(fields[_PARENT]),
                                  [int(value) for value in fields[_CPU_TIMES]])
    if not found:
        return None
    ticks = 0
    for parent, (utime, stime, cutime, cstime) in found.values():
        ticks += utime + stime + (0 if parent in found else cutime + cstime)
    return ticks / os.sysconf("SC_CLK_TCK")


def is_local(database_url: str) -> bool:
    """Whether ``database_url`` names a PostgreSQL server on this machine."""
    url = normalise_url(database_url)
    return url.get_backend_name() == "postgresql" and url.host in (None, "", "127.0.0.1",
                                                                    "localhost", "::1")


def _get(url: str, seconds: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=seconds) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@contextmanager
def running_gunicorn(env: Mapping[str, str], workdir: Path, app: str, workers: int,
                     threads: int) -> Iterator[Gunicorn]:
    """gunicorn -c deploy/gunicorn.conf.py ``app``, with WEB_CONCURRENCY=``workers`` and
    WEB_THREADS=``threads``; yields once every worker has started and /healthz answers 200."""
    port = free_port()
    log = workdir / f"gunicorn-{port}.log"
    server_env = {**env, "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads),
                  "BIND_HOST": "127.0.0.1", "PORT": str(port),
                  "LOG_LEVEL": env.get("LOG_LEVEL", "info")}  # production's default
    with log.open("wb") as out:
        process = subprocess.Popen([str(GUNICORN), "-c", str(CONFIG), app], cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT, env=server_env,
                                   start_new_session=True)
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log, workers, threads)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.output()}")
            if len(server.worker_pids()) >= workers:
                try:
                    if _get(f"{server.base_url}/healthz") == 200:
                        break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start in {START_SECONDS:.0f}s:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the server and its workers: its own group
        process.wait(timeout=10)

"""`benchmarks.served`: fresh migrated databases (a SQLite file, or a PostgreSQL schema dropped
afterwards), production settings with nothing leaked from the caller, free ports, stopping a
server, and the CPU time of a server's workers read from /proc. Starting a real gunicorn is left
to the benchmark tests that run it (test_memory, test_webhook_load)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import served
from benchmarks.served import Gunicorn, free_port, fresh_database, production_env, stop
from intake.settings import Settings
from intake.storage import migrate
from intake.storage.database import make_engine, normalise_url
from tests.conftest import POSTGRES_URL, postgres_available
from webhooks.sms.settings import TwilioSettings

CPU_SECONDS = 0.4  # burnt by each worker of the stand-in master below
BURN = (f"import time\nend = time.process_time() + {CPU_SECONDS}\n"
        "while time.process_time() < end:\n    pass\n")
# A stand-in for gunicorn's master: one worker burns CPU and exits (reaped, so its time is in
# the master's children's time); another burns CPU and stays (named with a ')' in it, as a
# process may be), until the master's stdin closes.
MASTER = f"""
import subprocess, sys
BURN = {BURN!r}
subprocess.run([sys.executable, "-c", BURN], check=True)
STAY = "open('/proc/self/comm', 'w').write('w) 1 2 3 4 5 6')\\n" + BURN + (
    "import sys\\nprint('burnt', flush=True)\\nsys.stdin.read()\\n")
live = subprocess.Popen([sys.executable, "-c", STAY], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True)
assert live.stdout.readline() == "burnt\\n"
print(live.pid, flush=True)
sys.stdin.read()
live.stdin.close()
live.wait()
"""


def schema_of(url: str) -> str:
    options = make_url(url).query["options"]
    assert isinstance(options, str) and options.startswith("-csearch_path=")
    return options.removeprefix("-csearch_path=")


def schema_exists(schema: str) -> bool:
    admin = create_engine(normalise_url(POSTGRES_URL))
    try:
        with admin.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :name"),
                {"name": schema}).scalar_one() == 1
    finally:
        admin.dispose()


def assert_migrated_to_head(url: str) -> None:
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision(engine) is not None
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM feedback")).scalar_one() == 0
    finally:
        engine.dispose()


@pytest.fixture
def postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks' PostgreSQL server pointed at the one the tests use."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    monkeypatch.setattr(served, "POSTGRES_URL", POSTGRES_URL)


def test_a_fresh_sqlite_database_is_a_migrated_file_in_the_directory(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url, fresh_database("sqlite", tmp_path) as other:
        assert url != other
        assert Path(make_url(url).database or "").parent == tmp_path
        assert_migrated_to_head(url)


def test_an_unknown_database_kind_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown database kind 'mysql': sqlite or postgresql"), \
            fresh_database("mysql", tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
def test_a_fresh_postgresql_database_is_a_migrated_schema_dropped_afterwards(
        tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        schema = schema_of(url)
        assert schema.startswith("bench_") and schema_exists(schema)
        assert_migrated_to_head(url)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT current_schema()")).scalar_one() == schema
        finally:
            engine.dispose()
    assert not schema_exists(schema)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
def test_the_postgresql_schema_is_dropped_when_the_block_fails(tmp_path: Path) -> None:
    schema = ""
    with pytest.raises(RuntimeError, match="benchmark failed"), \
            fresh_database("postgresql", tmp_path) as url:
        schema = schema_of(url)
        raise RuntimeError("benchmark failed")
    assert schema and not schema_exists(schema)


def test_free_port_is_an_unused_port_of_127_0_0_1() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nobody holds it


def test_production_env_leaves_out_the_callers_settings(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    leaked = {"DATABASE_URL": "sqlite:///leaked.sqlite3", "INTAKE_MODELS_DIR": "/leaked",
              "SECRET_KEY": "leaked", "PUBLIC_BASE_URL": "https://leaked.example.test",
              "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32, "TELEGRAM_BOT_TOKEN": "leaked",
              "RATELIMIT_STORAGE_URI": "memory://", "FEEDBACK_RATE_LIMIT": "1/second",
              "WEB_CONCURRENCY": "9", "PORT": "1234", "BIND_HOST": "0.0.0.0"}
    for key, value in leaked.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("BENCHMARK_UNRELATED", "kept")

    env = production_env("sqlite:///bench.sqlite3", tmp_path / "instance")

    assert {key: env[key] for key in leaked if key in env} == {
        "DATABASE_URL": "sqlite:///bench.sqlite3", "PUBLIC_BASE_URL": served.PUBLIC_BASE_URL,
        "SECRET_KEY": env["SECRET_KEY"]}
    assert env["SECRET_KEY"] != "leaked"
    assert env["BENCHMARK_UNRELATED"] == "kept" and env["PATH"] == os.environ["PATH"]


def test_production_env_is_a_complete_production_deployment(tmp_path: Path) -> None:
    env = production_env("sqlite:///bench.sqlite3", tmp_path / "instance")
    settings = Settings.from_env(env)  # production refuses to start with anything missing
    assert settings.environment == "production"
    assert settings.database_url == "sqlite:///bench.sqlite3"
    assert settings.instance_path == tmp_path / "instance"
    assert settings.public_base_url == served.PUBLIC_BASE_URL
    Fernet(settings.encryption_keys[0])
    assert len(settings.hash_key) >= 32
    twilio = TwilioSettings.from_env(env)
    assert twilio.can_send
    assert (twilio.account_sid, twilio.auth_token, twilio.from_number) == (
        served.ACCOUNT_SID, served.AUTH_TOKEN, served.SERVICE_NUMBER)


def test_production_env_makes_fresh_secrets_and_takes_extra_settings(tmp_path: Path) -> None:
    first = production_env("sqlite:///a.sqlite3", tmp_path)
    second = production_env("sqlite:///a.sqlite3", tmp_path, LOG_LEVEL="debug",
                            TWILIO_AUTH_TOKEN="other-token")
    for secret in ("SECRET_KEY", "INTAKE_ENCRYPTION_KEYS", "INTAKE_HASH_KEY"):
        assert first[secret] != second[secret]
    assert second["LOG_LEVEL"] == "debug" and second["TWILIO_AUTH_TOKEN"] == "other-token"
    assert first["TWILIO_AUTH_TOKEN"] == served.AUTH_TOKEN


@pytest.fixture
def master(tmp_path: Path) -> Iterator[tuple[Gunicorn, int]]:
    """A stand-in gunicorn master with one reaped and one live worker; yields it and the live
    worker's pid."""
    process = subprocess.Popen([sys.executable, "-c", MASTER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert process.stdout is not None and process.stdin is not None
        live = int(process.stdout.readline())
        yield Gunicorn("http://127.0.0.1:1", process, tmp_path / "log", 1, 1), live
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


def test_worker_cpu_counts_live_workers_and_those_already_replaced(
        master: tuple[Gunicorn, int]) -> None:
    """CPU time accounting, not speed: each worker burnt at least CPU_SECONDS of CPU, so both
    must be in the total (the live one although its name holds a ')')."""
    server, live = master
    assert "(w) 1 2 3 4 5 6)" in Path(f"/proc/{live}/stat").read_text()
    assert server.worker_pids() == [live]
    assert server.workers_cpu_seconds() >= 2 * CPU_SECONDS - 0.05
    utime, stime, _, _ = served._cpu_fields(live)
    assert (utime + stime) / os.sysconf("SC_CLK_TCK") >= CPU_SECONDS - 0.05


def test_a_master_that_has_exited_has_no_workers(tmp_path: Path) -> None:
    log = tmp_path / "master.log"
    log.write_bytes(b"started \xff\n")
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    server = Gunicorn("http://127.0.0.1:1", process, log, workers=1, threads=1)
    assert server.worker_pids() == []
    assert server.output() == "started \ufffd\n"  # undecodable bytes do not stop the report


def test_stop_ends_a_running_server_and_ignores_a_finished_one() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                               stdin=subprocess.PIPE, start_new_session=True)
    stop(process)
    assert process.poll() is not None
    stop(process)  # already finished: nothing to do, no error
    assert process.stdin is not None
    process.stdin.close()


class Statuses(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response({"/healthz": 200, "/busy": 503}.get(self.path, 404))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_get_answers_the_status_even_for_errors() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Statuses)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert served._get(f"{base}/healthz") == 200
        assert served._get(f"{base}/busy") == 503
        assert served._get(f"{base}/missing") == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _process(proc: Path, pid: int, name: str, parent: int, times: tuple[int, int, int, int]) -> None:
    """A process as /proc shows it: its name, and the fields of its stat line up to cstime."""
    (proc / str(pid)).mkdir()
    (proc / str(pid) / "comm").write_text(f"{name}\n")
    utime, stime, cutime, cstime = times
    (proc / str(pid) / "stat").write_text(
        f"{pid} ({name}) S {parent} {pid} {pid} 0 -1 4194560 100 0 0 0 "
        f"{utime} {stime} {cutime} {cstime} 20 0 1 0 0\n")


def test_postgresql_cpu_is_its_processes_and_the_backends_that_exited(tmp_path: Path) -> None:
    """Every process named postgres counts; the server's own parent (not postgres) does not, and
    the backends that exited count once, in the server's children's time."""
    ticks = os.sysconf("SC_CLK_TCK")
    _process(tmp_path, 1, "systemd", 0, (9000, 9000, 9000, 9000))
    _process(tmp_path, 20, "postgres", 1, (10, 5, 100, 20))         # the server: 15 + 120
    _process(tmp_path, 21, "postgres", 20, (30, 10, 7000, 7000))    # a backend: 40 (no children)
    _process(tmp_path, 22, "python3", 20, (500, 500, 0, 0))        # not PostgreSQL
    (tmp_path / "self").mkdir()
    (tmp_path / "23").mkdir()                                       # exited while listed
    assert served.postgres_cpu_seconds(tmp_path) == pytest.approx((15 + 120 + 40) / ticks)
    for pid in ("20", "21"):
        (tmp_path / pid / "comm").write_text("postmaster\n")
    assert served.postgres_cpu_seconds(tmp_path) is None


def test_the_real_postgresql_server_cpu_is_read_when_it_runs_here() -> None:
    used = served.postgres_cpu_seconds()
    if used is None:
        pytest.skip("no PostgreSQL server runs on this machine")
    assert used > 0


@pytest.mark.parametrize(("url", "local"), [
    ("postgresql://postgres@127.0.0.1:5432/test", True),
    ("postgres://postgres@localhost/test", True),
    ("postgresql+psycopg://postgres@/test", True),                  # the local socket
    ("postgresql://postgres@db.example.test:5432/test", False),
    ("sqlite:////tmp/intake.sqlite3", False),
])
def test_only_a_postgresql_server_on_this_machine_is_local(url: str, local: bool) -> None:
    assert served.is_local(url) is local

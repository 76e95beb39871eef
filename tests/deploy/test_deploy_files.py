"""The production kit in deploy/ agrees with itself and with the code, checked without Docker,
systemd or nginx (test_nginx_site.py runs the nginx site for real, test_systemd_units.py has
systemd check the units): every setting anything reads is documented in deploy/.env.example,
the servers are sized for the app, the proxy passes what the app needs, and `intake
check-config` refuses the template's placeholders."""

from __future__ import annotations

import configparser
import gc
import os
import re
import runpy
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from gunicorn.config import Config as GunicornConfig
from sqlalchemy import Engine

from benchmarks import webhook_load
from bot.chat import REPLAY_WAIT_SECONDS
from intake import preflight
from intake.cli import main
from intake.settings import REQUIRED_IN_PRODUCTION
from tests.conftest import database_name
from webhooks import MAX_REQUEST_BYTES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"
COMPOSE = DEPLOY / "docker-compose.yml"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
DOCKERFILE = DEPLOY / "Dockerfile"
NGINX = DEPLOY / "nginx" / "involve-intake.conf"
SYSTEMD = DEPLOY / "systemd"
SYSCTL = DEPLOY / "sysctl" / "60-involve-intake.conf"
UNITS = ("involve-intake-web.service", "involve-intake-worker.service",
         "involve-intake-purge.service", "involve-intake-purge.timer")
SOURCE_PACKAGES = ("intake", "webhooks", "bot")
NAME = r"[A-Z][A-Z0-9_]*"
# Variables that belong to a base image or to Python, not to this service.
FOREIGN_PREFIXES = ("POSTGRES_USER", "POSTGRES_DB", "PYTHON", "PIP_")
# Settings from the developer's shell or the CI must not change what check-config finds.
CLEARED_PREFIXES = ("DATABASE_URL", "INTAKE_", "SECRET_KEY", "PUBLIC_BASE_URL", "TWILIO_",
                    "TELEGRAM_", "RATELIMIT_", "WEB_", "FORWARDED_ALLOW_IPS", "PORT", "BIND_HOST",
                    "LOG_LEVEL", "LOG_FORMAT", "METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR")


def read(path: Path) -> str:
    return path.read_text("utf-8")


# --- what each file reads ------------------------------------------------------------------


def documented() -> set[str]:
    """Names in .env.example, set (NAME=...) or shown commented out (# NAME=...)."""
    return set(re.findall(rf"^#? ?({NAME})=", read(ENV_EXAMPLE), re.MULTILINE))


def template_values() -> dict[str, str]:
    """What the template sets, as systemd's EnvironmentFile and Compose's env_file read it."""
    return dict(re.findall(rf"^({NAME})=(.*)$", read(ENV_EXAMPLE), re.MULTILINE))


def read_by_code() -> set[str]:
    """Every environment variable the service's own code reads by name."""
    patterns = [rf"(?:environ|env)(?:\.get\(|\[)\s*[\"']({NAME})[\"']",
                rf"getenv\(\s*[\"']({NAME})[\"']",
                rf"_value\(\s*env,\s*[\"']({NAME})[\"']",  # intake.preflight
                rf"_VARIABLE\s*=\s*[\"']({NAME})[\"']"]
    names: set[str] = set(REQUIRED_IN_PRODUCTION)
    for package in SOURCE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = read(path)
            for pattern in patterns:
                names.update(re.findall(pattern, text))
    return names


def compose_environment() -> dict[str, set[str]]:
    """service (or x- block) -> names under its `environment:` keys; a small indentation walk,
    since PyYAML is not a dependency."""
    found: dict[str, set[str]] = {}
    top, block, environment_indent = "", "", None
    for line in read(COMPOSE).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        key = line.strip().split(":", 1)[0]
        if indent == 0:
            top = block = key
        elif indent == 2 and top == "services":
            block = f"services.{key}"
        if environment_indent is not None and indent <= environment_indent:
            environment_indent = None
        if key == "environment":
            environment_indent = indent
        elif environment_indent is not None and re.fullmatch(NAME, key):
            found.setdefault(block, set()).add(key)
    return found


def compose_references() -> set[str]:
    interpolated = set(re.findall(rf"\$\{{({NAME})", read(COMPOSE)))
    keys = {name for block, names in compose_environment().items()
            if block != "services.postgres" for name in names}
    return interpolated | keys


def systemd_references() -> set[str]:
    names: set[str] = set()
    for unit in UNITS:
        text = read(SYSTEMD / unit)
        names.update(re.findall(rf"^Environment=({NAME})=", text, re.MULTILINE))
        names.update(re.findall(rf"\$\{{?({NAME})", text))
    return names


def gunicorn_references() -> set[str]:
    return set(re.findall(rf"os\.environ(?:\.get\(|\[)\s*[\"']({NAME})[\"']", read(GUNICORN_CONF)))


def dockerfile_references() -> set[str]:
    text = read(DOCKERFILE).replace("\\\n", " ")
    names: set[str] = set()
    for line in re.findall(r"^ENV (.+)$", text, re.MULTILINE):
        names.update(re.findall(rf"({NAME})=", line))
    return names


def not_foreign(names: Iterable[str]) -> set[str]:
    return {name for name in names if not name.startswith(FOREIGN_PREFIXES)}


# --- .env.example --------------------------------------------------------------------------


def test_the_scan_of_the_code_finds_the_settings_it_should() -> None:
    """Guards the regular expressions: a scan that finds nothing would pass everything."""
    assert {"DATABASE_URL", "INTAKE_CONFIG_DIR", "INTAKE_CACHE_DIR", "TWILIO_AUTH_TOKEN",
            "TELEGRAM_WEBHOOK_SECRET", "RATELIMIT_STORAGE_URI", "API_RATE_LIMIT"} <= read_by_code()
    assert {"PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"} <= gunicorn_references()
    assert {"POSTGRES_PASSWORD", "INTAKE_ENV", "DATABASE_URL", "FORWARDED_ALLOW_IPS",
            "PORT"} <= compose_references()
    assert "WEB_CONCURRENCY" in read_by_code()
    assert "BIND_HOST" in systemd_references()


def test_every_setting_the_code_reads_is_documented() -> None:
    assert read_by_code() - documented() == set()


@pytest.mark.parametrize(("where", "references"), [
    ("docker-compose.yml", compose_references),
    ("systemd units", systemd_references),
    ("gunicorn.conf.py", gunicorn_references),
    ("Dockerfile", dockerfile_references),
])
def test_every_variable_the_deploy_files_use_is_documented(
        where: str, references: Callable[[], set[str]]) -> None:
    assert not_foreign(references()) - documented() == set(), where


def test_every_documented_setting_is_read_somewhere() -> None:
    """No stale entries: each name in the template is read by the code or by a deploy file."""
    used = read_by_code() | compose_references() | systemd_references() | gunicorn_references()
    assert documented() - used == set()


def test_every_setting_in_the_template_has_a_comment() -> None:
    lines = [line for line in read(ENV_EXAMPLE).splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if re.match(rf"^#? ?{NAME}=", line):
            previous = lines[number - 1]
            explained = previous.startswith("#") and not re.match(rf"^#? ?{NAME}=", previous)
            assert explained, f"no comment of its own above {line!r}"


def test_the_template_holds_no_real_secret() -> None:
    for name, value in template_values().items():
        if re.search(r"KEY|SECRET|TOKEN|PASSWORD|SID", name):
            assert value in ("", preflight.PLACEHOLDER), name
        if name == "DATABASE_URL":
            assert f":{preflight.PLACEHOLDER}@" in value


def test_the_template_needs_no_quoting() -> None:
    """The same file is a systemd EnvironmentFile and a Compose env_file: no quotes, no export."""
    for name, value in template_values().items():
        assert not value.startswith(("'", '"')) and "export" not in name, name


# --- docker-compose.yml --------------------------------------------------------------------


def test_compose_has_each_service_and_the_volumes() -> None:
    text = read(COMPOSE)
    assert "\t" not in text
    services = set(text.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0].split("\n"))
    assert {"  postgres:", "  migrate:", "  web:", "  worker:", "  purge:", "  redis:"} <= services
    assert re.search(r"^volumes:\n  postgres-data:\n  intake-data:\n?", text, re.MULTILINE)
    assert "postgres-data:/var/lib/postgresql/data" in text
    assert "pg_isready" in text


def service_block(name: str) -> str:
    text = read(COMPOSE)
    match = re.search(rf"^  {name}:\n((?:    .*\n|\s*\n)+)", text, re.MULTILINE)
    assert match, name
    return match.group(1)


def test_compose_runs_each_command_in_order() -> None:
    assert '["intake", "db", "upgrade"]' in service_block("migrate")
    assert 'restart: "no"' in service_block("migrate")
    assert "condition: service_healthy" in service_block("migrate")
    dockerfile_cmd = re.search(r"^CMD (.+)$", read(DOCKERFILE), re.MULTILINE)
    assert dockerfile_cmd
    assert f"command: {dockerfile_cmd.group(1)}" in service_block("web")
    assert '["intake", "worker"]' in service_block("worker")
    assert "intake purge" in service_block("purge") and "sleep 86400" in service_block("purge")
    for name in ("web", "worker", "purge"):
        assert "condition: service_completed_successfully" in service_block(name), name
    for name in ("migrate", "worker", "purge"):  # the image's web health check does not fit them
        assert "disable: true" in service_block(name), name
    assert 'profiles: ["redis"]' in service_block("redis")


def test_compose_reads_the_env_file_and_publishes_web_on_loopback_only() -> None:
    text = read(COMPOSE)
    assert "env_file: .env" in text
    assert re.search(r'- "127\.0\.0\.1:\$\{WEB_PORT:-8000\}:8000"', service_block("web"))
    assert "@postgres:5432/" in text


# --- gunicorn.conf.py ----------------------------------------------------------------------


def load_gunicorn(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES):
            monkeypatch.delenv(name)
    # The file sets PROMETHEUS_MULTIPROC_DIR when it is not set: set here, so it is undone after.
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "gunicorn-conf-test"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def gunicorn_settings(namespace: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in namespace.items()
            if not name.startswith("_") and name.islower() and not callable(value)
            and not isinstance(value, type(os)) and name != "annotations"}


def test_gunicorn_settings_are_known_and_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = load_gunicorn(monkeypatch)
    config = GunicornConfig()
    for name, value in gunicorn_settings(namespace).items():
        assert name in config.settings, f"gunicorn has no setting {name!r}"
        config.set(name, value)  # runs gunicorn's own validation
    assert "post_worker_init" in namespace


def test_each_worker_is_forked_with_the_loaded_app_out_of_the_collectors_sight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pre_fork = load_gunicorn(monkeypatch)["pre_fork"]
    loaded = [[[n]] for n in range(1000)]   # what the preloaded app holds (tracked objects)
    try:
        pre_fork(None, None)
        assert gc.get_freeze_count() >= len(loaded)
        collected = {id(o) for o in gc.get_objects()}   # what a full collection walks
        assert not any(id(o) in collected for o in loaded)
    finally:
        gc.unfreeze()


def test_gunicorn_waits_longer_than_a_duplicate_sms_does(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_gunicorn(monkeypatch)
    assert settings["timeout"] > REPLAY_WAIT_SECONDS
    assert settings["graceful_timeout"] > REPLAY_WAIT_SECONDS
    assert settings["threads"] > 1  # a waiting copy holds a thread, not a whole worker
    assert 1 <= settings["workers"] <= settings["MAX_DEFAULT_WORKERS"]
    # `intake check-config` counts the same number when WEB_CONCURRENCY is not set.
    assert settings["workers"] == preflight.web_workers({"INTAKE_ENV": "production"})
    assert settings["bind"] == ["0.0.0.0:8000"]
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_gunicorn_takes_its_sizes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_gunicorn(monkeypatch, PORT="9001", BIND_HOST="127.0.0.1", WEB_CONCURRENCY="3",
                             WEB_THREADS="6", WEB_TIMEOUT="45", FORWARDED_ALLOW_IPS="10.0.0.0/8",
                             WEB_KEEPALIVE="75")
    assert settings["bind"] == ["127.0.0.1:9001"]
    assert (settings["workers"], settings["threads"], settings["timeout"]) == (3, 6, 45)
    assert settings["keepalive"] == 75
    assert settings["forwarded_allow_ips"] == "10.0.0.0/8"


def test_each_worker_listens_alone_exactly_where_the_kernel_migrates(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kernel = tmp_path / "tcp_migrate_req"
    monkeypatch.setattr("intake.port_sharing.MIGRATE_REQUESTS", kernel)
    kernel.write_text("1\n")
    assert load_gunicorn(monkeypatch)["reuse_port"] is True
    assert load_gunicorn(monkeypatch, WEB_REUSE_PORT="0")["reuse_port"] is False
    kernel.write_text("0\n")
    assert load_gunicorn(monkeypatch)["reuse_port"] is False
    assert load_gunicorn(monkeypatch, WEB_REUSE_PORT="1")["reuse_port"] is True
    with pytest.raises(ValueError, match="WEB_REUSE_PORT"):
        load_gunicorn(monkeypatch, WEB_REUSE_PORT="sometimes")


def test_compose_and_the_vm_kit_let_a_stopping_worker_hand_its_connections_on() -> None:
    assert re.search(r"^    sysctls:\n      net\.ipv4\.tcp_migrate_req: 1$", service_block("web"),
                     re.MULTILINE)
    settings = [line for line in read(SYSCTL).splitlines()
                if line.strip() and not line.startswith("#")]
    assert settings == ["net.ipv4.tcp_migrate_req = 1"]
    assert f"deploy/sysctl/{SYSCTL.name}" in read(DEPLOY / "README.md")


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)


def worker_after(nr: int, max_requests: int = sys.maxsize) -> SimpleNamespace:
    """What post_request sees of a gunicorn worker that has begun ``nr`` requests."""
    return SimpleNamespace(nr=nr, max_requests=max_requests, log=RecordingLog())


def test_workers_are_replaced_on_memory_not_on_a_count_by_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_gunicorn(monkeypatch)
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (0, 0)
    assert settings["WORKER_MEMORY_LIMIT_MB"] == 300
    # `intake check-config` names the same default in its advice.
    assert settings["WORKER_MEMORY_LIMIT_MB"] == preflight.DEFAULT_WORKER_MEMORY_LIMIT_MB
    counted = load_gunicorn(monkeypatch, WEB_MAX_REQUESTS="4000", WEB_WORKER_MEMORY_LIMIT_MB="400")
    assert (counted["max_requests"], counted["max_requests_jitter"]) == (4000, 2000)
    assert counted["WORKER_MEMORY_LIMIT_MB"] == 400


def test_the_resident_memory_read_is_this_processs_rss(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    resident_megabytes = load_gunicorn(monkeypatch)["resident_megabytes"]
    status = Path("/proc/self/status").read_text()
    vm_rss_mb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024  # type: ignore[union-attr]
    assert resident_megabytes() == pytest.approx(vm_rss_mb, abs=8)
    (tmp_path / "statm").write_text("9000 2560 100 1 0 500 0\n")
    assert resident_megabytes(str(tmp_path / "statm")) == 2560 * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    (tmp_path / "garbled").write_text("")
    assert resident_megabytes(str(tmp_path / "garbled")) is None
    assert resident_megabytes(str(tmp_path / "absent")) is None


def test_a_worker_over_its_memory_limit_is_handed_to_gunicorns_replacement(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the limit, the worker's request budget is set to what it has served, so gunicorn
    itself answers the next request, closes its connection and replaces the worker."""
    post_request = load_gunicorn(monkeypatch, WEB_WORKER_MEMORY_LIMIT_MB="1")["post_request"]
    between_checks = worker_after(49)
    post_request(between_checks, None, {}, None)
    assert between_checks.max_requests == sys.maxsize and not between_checks.log.lines

    over = worker_after(100)
    post_request(over, None, {}, None)
    assert over.max_requests == 100
    assert len(over.log.lines) == 1 and "over WEB_WORKER_MEMORY_LIMIT_MB=1" in over.log.lines[0]
    post_request(over, None, {}, None)  # already on its way out: said once
    assert over.max_requests == 100 and len(over.log.lines) == 1

    counted = worker_after(50, max_requests=20)  # already due for replacement: left alone
    post_request(counted, None, {}, None)
    assert counted.max_requests == 20 and not counted.log.lines

    roomy = load_gunicorn(monkeypatch, WEB_WORKER_MEMORY_LIMIT_MB="100000")["post_request"]
    under = worker_after(100)
    roomy(under, None, {}, None)
    assert under.max_requests == sys.maxsize and not under.log.lines


def test_the_access_log_holds_no_address_query_string_or_user_agent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    log_format = load_gunicorn(monkeypatch)["access_log_format"]
    for personal in ("%(h)s", "%(r)s", "%(q)s", "%(f)s", "%(a)s", "%(u)s", "}i)s"):
        assert personal not in log_format
    assert "%(U)s" in log_format and "%(s)s" in log_format


def test_gunicorn_logs_through_the_services_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """One JSON object a line in production: gunicorn's error and access logs and the app's."""
    namespace = load_gunicorn(monkeypatch, INTAKE_ENV="production")
    config = namespace["logconfig_dict"]
    assert config["handlers"]["console"]["formatter"] == "json"
    assert config["handlers"]["access"]["formatter"] == "access_json"
    assert config["loggers"]["gunicorn.access"]["handlers"] == ["access"]
    assert config["loggers"]["httpx"]["level"] == "WARNING"
    text = load_gunicorn(monkeypatch, LOG_FORMAT="text")
    assert text["logconfig_dict"]["handlers"]["access"]["formatter"] == "access_text"
    # The text access line carries the request id the app returned (a response header).
    assert text["access_log_format"].endswith("%({x-request-id}o)s")


def test_the_workers_share_a_metrics_directory_emptied_at_start(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    namespace = load_gunicorn(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(directory))
    assert directory.is_dir()
    (directory / "counter_101.db").write_bytes(b"old run")
    namespace["on_starting"](object())
    assert list(directory.iterdir()) == []

    (directory / "counter_202.db").write_bytes(b"counts")
    (directory / "gauge_livesum_202.db").write_bytes(b"live")
    namespace["child_exit"](object(), type("Worker", (), {"pid": 202})())
    # A stopped worker's counts stay in the sum; only its live gauges go.
    assert sorted(path.name for path in directory.iterdir()) == ["counter_202.db"]


def test_without_a_setting_gunicorn_chooses_a_metrics_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "set-so-that-it-is-undone")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES):
            monkeypatch.delenv(name)
    runpy.run_path(str(GUNICORN_CONF))
    chosen = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    # One per port, so two servers on one machine never empty each other's.
    assert chosen == Path(tempfile.gettempdir()) / "involve-intake-metrics-8000" and chosen.is_dir()


def remote_address_seen(wrap: Callable[..., Any], peer: str, forwarded: str | None) -> str:
    seen: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen["address"] = environ["REMOTE_ADDR"]
        return []

    environ = {"REMOTE_ADDR": peer, "REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.url_scheme": "http",
               "SERVER_NAME": "localhost", "SERVER_PORT": "8000", "HTTP_HOST": "localhost"}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    wrap(app)(environ, lambda *args: None)
    return seen["address"]


def test_the_persons_address_comes_from_a_trusted_proxy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count per address: behind nginx every request would otherwise be 127.0.0.1."""
    make = load_gunicorn(monkeypatch)["client_address_from_proxy"]

    def local(app: Any) -> Any:
        return make(app, ["127.0.0.1", "::1"])

    assert remote_address_seen(local, "127.0.0.1", "203.0.113.9") == "203.0.113.9"
    # Only the address the proxy added last: a client's own X-Forwarded-For is ignored.
    assert remote_address_seen(local, "127.0.0.1", "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert remote_address_seen(local, "127.0.0.1", None) == "127.0.0.1"
    # Straight from the internet: whatever it claims, its own address counts.
    assert remote_address_seen(local, "198.51.100.7", "203.0.113.9") == "198.51.100.7"
    assert remote_address_seen(lambda app: make(app, "10.0.0.0/8"), "10.1.2.3", "203.0.113.9") == \
        "203.0.113.9"
    assert remote_address_seen(lambda app: make(app, "*"), "192.0.2.1", "203.0.113.9") == "203.0.113.9"


def test_the_worker_hook_wraps_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = load_gunicorn(monkeypatch)

    class Worker:
        cfg = type("Cfg", (), {"forwarded_allow_ips": ["127.0.0.1"]})()

        @staticmethod
        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            return [environ["REMOTE_ADDR"].encode()]

    worker = Worker()
    namespace["post_worker_init"](worker)
    answer = worker.wsgi({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
                         lambda *args: None)
    assert answer == [b"203.0.113.9"]


# --- nginx ---------------------------------------------------------------------------------


def test_nginx_passes_what_the_app_needs() -> None:
    text = read(NGINX)
    assert "proxy_set_header Host $host;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert re.search(r"proxy_set_header X-Forwarded-For \$(remote_addr|proxy_add_x_forwarded_for);", text)
    assert "proxy_pass http://involve_intake;" in text and "server 127.0.0.1:8000;" in text
    assert re.search(r"listen 443 ssl( http2)?;", text) and "ssl_certificate " in text
    assert "return 301 https://$host$request_uri;" in text
    assert text.count("{") == text.count("}")


def test_nginx_closes_idle_upstream_connections_before_gunicorn_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A request nginx sends down a kept-alive connection as gunicorn closes it for being idle
    gets a 502 (nginx does not retry a POST): nginx must let go first."""
    upstream = re.search(r"upstream involve_intake \{([^}]*)\}", read(NGINX))
    assert upstream and re.search(r"^\s*keepalive \d+;", upstream.group(1), re.MULTILINE)
    timeout = re.search(r"keepalive_timeout (\d+)s;", upstream.group(1))
    assert timeout, "without keepalive_timeout nginx keeps an idle connection for 60 s"
    assert int(timeout.group(1)) < load_gunicorn(monkeypatch)["keepalive"]
    # `intake check-config` warns of a WEB_KEEPALIVE at or under nginx's.
    assert int(timeout.group(1)) == preflight.NGINX_IDLE_UPSTREAM_SECONDS
    # The webhook benchmark's load generator stands in for nginx, so it lets go as nginx does.
    assert int(timeout.group(1)) == webhook_load.KEEPALIVE_SECONDS


def test_nginx_sends_its_request_id_and_keeps_metrics_private() -> None:
    text = read(NGINX)
    assert "proxy_set_header X-Request-ID $request_id;" in text
    log_format = re.search(r"log_format involve_intake ([^;]+);", text)
    assert log_format and "$request_id" in log_format.group(1)
    https = re.split(r"listen 443 ssl( http2)?;", text, maxsplit=1)[-1]
    metrics = re.search(r"location = /metrics \{\s*return 404;\s*\}", https)
    assert metrics and metrics.start() < https.index("location / {")


def test_nginx_limits_bodies_as_the_app_does_and_waits_long_enough() -> None:
    text = read(NGINX)
    size = re.search(r"client_max_body_size (\d+)m;", text)
    assert size and int(size.group(1)) * 1024 * 1024 == MAX_REQUEST_BYTES
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", text)
    assert read_timeout and int(read_timeout.group(1)) > REPLAY_WAIT_SECONDS
    assert "proxy_request_buffering on;" in text


def test_nginx_leaves_security_headers_to_the_app_and_logs_nothing_personal() -> None:
    text = read(NGINX)
    assert "add_header" not in text
    log_format = re.search(r"log_format involve_intake ([^;]+);", text)
    assert log_format
    for personal in ("$remote_addr", "$request_uri", "$args", "$request ", "$http_"):
        assert personal not in log_format.group(1)
    access_logs = re.findall(r"^\s*access_log (.+);$", text, re.MULTILINE)
    assert access_logs and all(line.endswith(" involve_intake") for line in access_logs)


# --- Dockerfile ----------------------------------------------------------------------------


def test_the_image_is_built_in_two_stages_and_runs_as_a_user() -> None:
    text = read(DOCKERFILE)
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, re.MULTILINE)
    assert stages[0] == ("python:3.11", "builder")
    assert stages[-1][0] == "python:3.11-slim"
    assert "pip wheel" in text and "from=builder" in text
    runtime = text.split("FROM python:3.11-slim", 1)[1]
    users = re.findall(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_the_image_checks_its_health_without_curl() -> None:
    text = read(DOCKERFILE).replace("\\\n", " ")
    healthcheck = re.search(r"^HEALTHCHECK (.+)$", text, re.MULTILINE)
    assert healthcheck
    assert "/healthz" in healthcheck.group(1) and "urllib.request" in healthcheck.group(1)
    assert "curl" not in healthcheck.group(1)
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "webhooks.wsgi:app"]' in text


def test_the_build_context_leaves_secrets_out() -> None:
    ignored = read(DEPLOY / "Dockerfile.dockerignore").splitlines()
    assert {"instance", "**/.env", ".venv", ".git"} <= set(ignored)


# --- systemd -------------------------------------------------------------------------------


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(read(SYSTEMD / name))
    return parser


def test_every_service_runs_as_the_service_user_with_the_settings_file() -> None:
    for name in UNITS[:3]:
        service = unit(name)["Service"]
        assert service["User"] == "intake", name
        assert service["EnvironmentFile"] == "/etc/involve-intake/intake.env", name
        assert service["StateDirectory"] == "involve-intake", name
        assert service["ProtectSystem"] == "strict", name


def test_the_units_run_the_right_commands() -> None:
    web = unit("involve-intake-web.service")["Service"]
    assert web["ExecStart"].endswith("gunicorn -c /opt/involve-intake/app/deploy/gunicorn.conf.py "
                                     "webhooks.wsgi:app")
    assert web["ExecStartPre"].endswith("intake check-config")
    assert "BIND_HOST=127.0.0.1" in read(SYSTEMD / "involve-intake-web.service")
    assert unit("involve-intake-worker.service")["Service"]["ExecStart"].endswith("intake worker")
    purge = unit("involve-intake-purge.service")["Service"]
    assert purge["Type"] == "oneshot" and purge["ExecStart"].endswith("intake purge")


def test_the_web_units_metrics_directory_is_in_its_runtime_directory() -> None:
    text = read(SYSTEMD / "involve-intake-web.service")
    runtime = unit("involve-intake-web.service")["Service"]["RuntimeDirectory"]
    directory = re.search(r"^Environment=PROMETHEUS_MULTIPROC_DIR=(\S+)$", text, re.MULTILINE)
    assert directory and directory.group(1).startswith(f"/run/{runtime}/")


def test_the_purge_timer_runs_daily_and_catches_up() -> None:
    timer = unit("involve-intake-purge.timer")
    assert re.fullmatch(r"(daily|\*-\*-\* \d\d:\d\d(:\d\d)?)", timer["Timer"]["OnCalendar"])
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "involve-intake-purge.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


# --- check-config against the template -----------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES):
            monkeypatch.delenv(name)


def test_check_config_refuses_the_templates_placeholders(
        clean_environment: None, database_url: str, engine: Engine, tmp_path: Path) -> None:
    env = {**template_values(), "DATABASE_URL": database_url, "INTAKE_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["check-config"], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    for name in ("SECRET_KEY", "INTAKE_ENCRYPTION_KEYS", "INTAKE_HASH_KEY", "PUBLIC_BASE_URL"):
        assert f"error: {name} still holds the placeholder" in result.output, name
    # The database line too, before anyone replaces it.
    assert "placeholder" in found_levels(preflight.check_secrets(template_values()))


def found_levels(findings: list[preflight.Finding]) -> dict[str, str]:
    return {finding.check: finding.level for finding in findings}


def test_the_template_filled_in_is_ready(clean_environment: None, database_url: str, engine: Engine,
                                         tmp_path: Path) -> None:
    """With real values in place of the placeholders nothing else in the template is a problem
    (on PostgreSQL; SQLite in production is refused)."""
    env = {**template_values(), "DATABASE_URL": database_url, "INTAKE_INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": "s" * 64, "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
           "INTAKE_HASH_KEY": "h" * 64, "PUBLIC_BASE_URL": "https://feedback.example.nhs.uk",
           "POSTGRES_PASSWORD": "unused-here"}
    findings = found_levels(preflight.run_checks(env, workers=1))
    expected = {"sqlite-in-production": "error"} if database_name(database_url) == "sqlite" else {}
    assert findings == expected

"""Checks an operator runs before (re)starting the service: `intake check-config`.

Each check reads the environment as given (a mapping, so tests pass their own) and returns
findings; nothing here writes a file, generates a secret or changes the database. Start-up
(``intake.settings``) refuses what it cannot run with; these checks also catch what would start
but fail later: a database not yet migrated, SQLite behind several web workers, a Twilio account
that can receive but not send, a Telegram bot whose webhook refuses every update.

Twilio and Telegram settings are read by their names here rather than through ``webhooks`` and
``bot`` (the core never imports them); ``tests/intake/test_preflight.py`` keeps the defaults in step.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from intake import port_sharing
from intake.config import CONFIG_DIR_VARIABLE, PACKAGE_CONFIG_DIR, ConfigError, load_config
from intake.observability.logs import FORMATS, LEVELS
from intake.settings import REQUIRED_IN_PRODUCTION, SettingsError, instance_from_env, tagging_from_env
from intake.storage import migrate, schema_revision
from intake.storage.database import normalise_url

Level = Literal["error", "warning"]

# .env.example marks every value an operator must replace with this.
PLACEHOLDER = "CHANGE-ME"
MIN_SECRET_LENGTH = 32
DATABASE_TIMEOUT_SECONDS = 5
# SQLAlchemy's default pool: 5 connections kept, 10 more under load, per process.
POOL_CONNECTIONS = 5 + 10
# Beside the web workers: `intake worker`, and a command or a purge run at the same moment.
OTHER_CONNECTIONS = 3
# deploy/gunicorn.conf.py's WORKER_MEMORY_LIMIT_MB when WEB_WORKER_MEMORY_LIMIT_MB is unset
# (tests/deploy/test_deploy_files.py keeps the two in step).
DEFAULT_WORKER_MEMORY_LIMIT_MB = 300
# What a web worker holds once warm (164-193 MB measured, docs/performance.md section 4), and the
# growth its bounded caches allow on top: a memory limit below both replaces workers for nothing.
WORKER_RESIDENT_MB = 200
WORKER_MEMORY_HEADROOM_MB = 50
NGINX_IDLE_UPSTREAM_SECONDS = 4   # keepalive_timeout in deploy/nginx's upstream block
TWILIO_API_BASE_URL = "https://api.twilio.com"
TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str  # a short stable name, e.g. "database-not-migrated"
    message: str  # a sentence that says what to do

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


def _error(check: str, message: str) -> Finding:
    return Finding("error", check, message)


def _warning(check: str, message: str) -> Finding:
    return Finding("warning", check, message)


def _value(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def check_secrets(env: Mapping[str, str]) -> list[Finding]:
    """What ``Settings.from_env`` requires in production, and whether the secrets can work."""
    environment = _value(env, "INTAKE_ENV") or "development"
    if environment not in ("development", "production", "test"):
        return [_error("environment", f"INTAKE_ENV={environment!r} is not known: set it to "
                                      "production, development or test.")]
    production = environment == "production"
    findings = []
    placeholders = {name for name in REQUIRED_IN_PRODUCTION
                    if PLACEHOLDER.lower() in _value(env, name).lower()}
    for name, hint in REQUIRED_IN_PRODUCTION.items():
        if name in placeholders:
            findings.append(_error("placeholder", f"{name} still holds the placeholder from "
                                                  f".env.example: set {hint}."))
        elif production and not _value(env, name):
            findings.append(_error("missing", f"{name} is not set, and production will not start "
                                              f"without it: set {hint}."))
    secret_key = _value(env, "SECRET_KEY")
    if secret_key and "SECRET_KEY" not in placeholders and len(secret_key) < MIN_SECRET_LENGTH:
        make = _warning if not production else _error
        findings.append(make("secret-key-short", f"SECRET_KEY has {len(secret_key)} characters; use "
                                                 f"at least {MIN_SECRET_LENGTH} characters of random text."))
    hash_key = _value(env, "INTAKE_HASH_KEY")
    if hash_key and "INTAKE_HASH_KEY" not in placeholders and len(hash_key) < MIN_SECRET_LENGTH:
        findings.append(_error("hash-key-short", f"INTAKE_HASH_KEY has {len(hash_key)} characters; the "
                                                 f"service needs at least {MIN_SECRET_LENGTH} of random "
                                                 "text (and it must never change once data exists)."))
    keys = [key.strip() for key in _value(env, "INTAKE_ENCRYPTION_KEYS").split(",") if key.strip()]
    if "INTAKE_ENCRYPTION_KEYS" not in placeholders:
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                findings.append(_error("encryption-key-invalid",
                                       f"INTAKE_ENCRYPTION_KEYS: key {position} of {len(keys)} is not "
                                       "a Fernet key; make one with `intake keys generate`."))
    public = _value(env, "PUBLIC_BASE_URL")
    if public and "PUBLIC_BASE_URL" not in placeholders:
        parts = urlsplit(public)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            findings.append(_error("public-url-invalid", f"PUBLIC_BASE_URL={public!r} is not a web "
                                                         "address; set it to e.g. https://feedback.example.nhs.uk."))
        elif production and parts.scheme != "https":
            findings.append(_error("public-url-not-https", "PUBLIC_BASE_URL must start with https:// "
                                                           "in production: Twilio and Telegram sign and "
                                                           "send to that address."))
    return findings


def database_url(env: Mapping[str, str]) -> str:
    """The URL the service will use: ``DATABASE_URL``, else the embedded SQLite default (as in
    ``Settings.from_env``)."""
    return _value(env, "DATABASE_URL") or \
        f"sqlite:///{(instance_from_env(env) / 'intake.sqlite3').resolve()}"


def check_scale(env: Mapping[str, str], workers: int) -> list[Finding]:
    """What several web workers need: a database and rate-limit counters they can share."""
    findings = []
    try:
        url = normalise_url(database_url(env))
    except ArgumentError:
        return []  # check_database says so
    production = _value(env, "INTAKE_ENV") == "production"
    if url.get_backend_name() == "sqlite":
        if production:
            findings.append(_error("sqlite-in-production", "DATABASE_URL is SQLite, which is for one "
                                                           "laptop or a demo; use PostgreSQL in production "
                                                           "(postgresql://USER:PASSWORD@HOST:5432/intake)."))
        elif workers > 1:
            findings.append(_warning("sqlite-several-workers",
                                     f"{workers} web workers share one SQLite file: writes wait for each "
                                     "other and all must run on this machine; use PostgreSQL to scale out."))
    storage = _value(env, "RATELIMIT_STORAGE_URI") or "memory://"
    if workers > 1 and storage.startswith("memory://"):
        findings.append(_warning("rate-limits-per-worker",
                                 f"Rate limits are counted in memory by each of the {workers} web workers, "
                                 "so they are that many times looser; set RATELIMIT_STORAGE_URI=redis://..."))
    return findings


def check_tagging(env: Mapping[str, str]) -> list[Finding]:
    """``INTAKE_TAGGING``: a value start-up accepts, and, set to worker outside production
    (where the deploy runs no `intake worker` for you), a reminder that one must run."""
    try:
        tagging = tagging_from_env(env)
    except SettingsError as exc:
        return [_error("tagging-invalid", str(exc))]
    if tagging == "worker" and _value(env, "INTAKE_ENV") != "production":
        return [_warning("tagging-needs-worker",
                         "INTAKE_TAGGING=worker: feedback from conversations waits for `intake worker` "
                         "to tag it; run it beside `intake serve`, or leave INTAKE_TAGGING unset.")]
    return []


def check_worker_recycling(env: Mapping[str, str]) -> list[Finding]:
    """When deploy/gunicorn.conf.py replaces a web worker: ``WEB_WORKER_MEMORY_LIMIT_MB`` and
    ``WEB_MAX_REQUESTS`` must be whole numbers (gunicorn would not start), and a memory limit
    near what a worker holds anyway would replace every worker every few dozen requests."""
    findings = []
    limit, count = _value(env, "WEB_WORKER_MEMORY_LIMIT_MB"), _value(env, "WEB_MAX_REQUESTS")
    lowest = WORKER_RESIDENT_MB + WORKER_MEMORY_HEADROOM_MB
    if limit and not (limit.isdigit() and int(limit) > 0):
        findings.append(_error("web-worker-memory-limit-mb-invalid",
                               "WEB_WORKER_MEMORY_LIMIT_MB must be a whole number of megabytes above "
                               f"0, e.g. {DEFAULT_WORKER_MEMORY_LIMIT_MB} (or unset for "
                               f"{DEFAULT_WORKER_MEMORY_LIMIT_MB})."))
    elif limit and int(limit) < lowest:
        findings.append(_warning(
            "web-memory-limit-low",
            f"WEB_WORKER_MEMORY_LIMIT_MB={limit}: a web worker holds about {WORKER_RESIDENT_MB} MB "
            "once it has served, so it would be replaced every few dozen requests, which slows a "
            f"busy server; leave it unset ({DEFAULT_WORKER_MEMORY_LIMIT_MB}) or set at least "
            f"{lowest}."))
    if count and not count.isdigit():
        findings.append(_error("web-max-requests-invalid",
                               "WEB_MAX_REQUESTS must be a whole number of requests, 0 for none (or "
                               "unset); gunicorn will not start with it."))
    return findings


def check_keepalive(env: Mapping[str, str]) -> list[Finding]:
    """``WEB_KEEPALIVE``, how long gunicorn keeps an idle connection (deploy/gunicorn.conf.py):
    a whole number (gunicorn would not start), and longer than nginx keeps one, since a request
    nginx sends as gunicorn closes the connection is reset unread (a 502: the SMS is lost)."""
    value = _value(env, "WEB_KEEPALIVE")
    if value and not value.isdigit():
        return [_error("web-keepalive-invalid",
                       "WEB_KEEPALIVE must be a whole number of seconds, 0 to close every "
                       "connection after its answer (or unset for 5); gunicorn will not start with "
                       "it.")]
    if value and 0 < int(value) <= NGINX_IDLE_UPSTREAM_SECONDS:
        return [_warning(
            "web-keepalive-short",
            f"WEB_KEEPALIVE={value}: nginx (deploy/nginx) keeps an idle connection to gunicorn for "
            f"{NGINX_IDLE_UPSTREAM_SECONDS} s, so gunicorn would sometimes close one as nginx sends "
            "a webhook down it: a 502, and the message not stored. Leave it unset (5), or above "
            "the idle timeout of whatever connects to gunicorn.")]
    return []


def check_reuse_port(env: Mapping[str, str], workers: int,
                     migrates: bool | None) -> list[Finding]:
    """``WEB_REUSE_PORT`` (intake.port_sharing): a value gunicorn starts with; never on where the
    kernel would reset the connections waiting at a worker that stops (an SMS lost at every
    worker replacement); and, in production with several workers on Linux that could spread
    connections safely but does not, a word on how."""
    value = _value(env, port_sharing.REUSE_PORT_VARIABLE)
    try:
        spread = port_sharing.reuse_port(env, migrates)
    except ValueError as exc:
        return [_error("web-reuse-port-invalid", f"{exc} gunicorn will not start with it.")]
    if spread and migrates is not True:
        return [_error(
            "web-reuse-port-unsafe",
            f"{port_sharing.REUSE_PORT_VARIABLE}={value} gives each web worker a socket of its "
            "own, but this kernel does not hand a stopping worker's waiting connections to another "
            "(net.ipv4.tcp_migrate_req is not 1): each worker replacement or deploy would reset "
            "them, and an SMS sent down one is lost. Set the sysctl (deploy/sysctl) or leave "
            f"{port_sharing.REUSE_PORT_VARIABLE} unset.")]
    if (not spread and migrates is False and workers > 1
            and port_sharing.chosen(env) == port_sharing.AUTO
            and _value(env, "INTAKE_ENV") == "production"):
        return [_warning(
            "web-reuse-port-off",
            f"The {workers} web workers share one listening socket, so one or two of them can "
            "end up holding every kept-alive connection while the rest idle. Setting "
            "net.ipv4.tcp_migrate_req=1 (deploy/sysctl; Compose sets it for its web container) "
            "lets each worker listen on its own safely, and gunicorn then does.")]
    return []


def connections_needed(workers: int, threads: int) -> int:
    """The most connections the service can hold at once: each web worker uses one per busy
    thread (up to its pool), and a few more processes run beside them."""
    return workers * min(threads, POOL_CONNECTIONS) + OTHER_CONNECTIONS


def check_connections(env: Mapping[str, str], workers: int) -> list[Finding]:
    """Whether PostgreSQL accepts as many connections as this many workers can open. Nothing
    to say on SQLite, or when the database does not answer (``check_database`` says so)."""
    try:
        url = normalise_url(database_url(env))
        threads = int(_value(env, "WEB_THREADS") or 4)
    except (ArgumentError, ValueError):
        return []
    if url.get_backend_name() != "postgresql":
        return []
    engine = _probe_engine(url)
    try:
        with engine.connect() as connection:
            allowed = int(connection.scalar(text("SHOW max_connections")) or 0) - int(
                connection.scalar(text("SHOW superuser_reserved_connections")) or 0)
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()
    needed = connections_needed(workers, threads)
    if needed <= allowed:
        return []
    return [_warning("database-connections",
                     f"{workers} web workers of {threads} threads, with the outbox worker and a "
                     f"command, can open {needed} database connections; the server accepts {allowed}. "
                     "Raise max_connections, lower WEB_CONCURRENCY or WEB_THREADS, or put PgBouncer "
                     "in front (on several machines, count every machine's workers).")]


def _probe_engine(url: URL) -> Engine:
    """A plain engine: no SQLite pragmas (WAL would change the file), a short connect timeout."""
    if url.get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"connect_timeout": DATABASE_TIMEOUT_SECONDS})
    return create_engine(url)


def check_database(env: Mapping[str, str]) -> list[Finding]:
    """The database answers and holds the schema this code expects (as ``/healthz`` asks).
    A SQLite file that does not exist is reported, not created."""
    raw = database_url(env)
    try:
        url = normalise_url(raw)
    except ArgumentError:
        return [_error("database-url-invalid", "DATABASE_URL is not a database address; use "
                                               "postgresql://USER:PASSWORD@HOST:5432/NAME.")]
    shown = url.render_as_string(hide_password=True)
    # Outside production every command migrates SQLite itself (intake.cli.runtime.ensure_schema).
    migrates_itself = url.get_backend_name() == "sqlite" and _value(env, "INTAKE_ENV") != "production"
    not_migrated = _warning if migrates_itself else _error
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        return [not_migrated("database-not-migrated", f"The SQLite database {url.database} does not "
                                                      "exist yet; run `intake db upgrade` to create it.")]
    engine = _probe_engine(url)
    try:
        current, head = schema_revision.database_revision(engine), schema_revision.HEAD
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        return [_error("database-unreachable", f"The database at {shown} does not answer ({reason}); "
                                               "check DATABASE_URL, the password and the firewall.")]
    finally:
        engine.dispose()
    if current == head:
        return []
    if current is None:
        return [not_migrated("database-not-migrated", f"The database at {shown} holds no schema; "
                                                      "run `intake db upgrade`.")]
    if not migrate.is_known_revision(engine, current):
        return [_error("database-newer", f"The database at {shown} is at revision {current}, which this "
                                         "version does not know: a newer release migrated it. Deploy "
                                         "that release, or restore a backup taken before it.")]
    return [not_migrated("database-not-migrated", f"The database at {shown} is at revision {current} "
                                                  f"and this version needs {head}; run `intake db upgrade`.")]


def check_configuration_files(env: Mapping[str, str]) -> list[Finding]:
    directory = _value(env, CONFIG_DIR_VARIABLE) or PACKAGE_CONFIG_DIR
    try:
        load_config(directory)
    except ConfigError as exc:
        return [_error("configuration-invalid", f"The configuration files cannot be used: {exc}")]
    return []


def check_twilio(env: Mapping[str, str]) -> list[Finding]:
    sid, token = _value(env, "TWILIO_ACCOUNT_SID"), _value(env, "TWILIO_AUTH_TOKEN")
    sender = _value(env, "TWILIO_FROM_NUMBER") or _value(env, "TWILIO_MESSAGING_SERVICE_SID")
    if not (sid or token or sender):
        return []
    missing = [name for name, value in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token))
               if not value]
    if not sender:
        missing.append("TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)")
    if not missing:
        return []
    return [_error("twilio-partial", "Twilio is only partly set up, so SMS cannot be both checked and "
                                     f"sent: set {', '.join(missing)}, or clear every TWILIO_ setting.")]


def check_telegram(env: Mapping[str, str]) -> list[Finding]:
    token, secret = _value(env, "TELEGRAM_BOT_TOKEN"), _value(env, "TELEGRAM_WEBHOOK_SECRET")
    findings = []
    if token and not secret:
        message = ("TELEGRAM_BOT_TOKEN is set without TELEGRAM_WEBHOOK_SECRET, so the webhook refuses "
                   "every update; set a secret, then run `intake telegram set-webhook`.")
        production = _value(env, "INTAKE_ENV") == "production"
        findings.append(Finding("error" if production else "warning", "telegram-no-secret",
                                message + ("" if production else " (Polling needs no secret.)")))
    if secret and not TELEGRAM_SECRET.fullmatch(secret):
        findings.append(_error("telegram-secret-invalid", "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 "
                                                          "characters of A-Z, a-z, 0-9, _ and -."))
    if secret and not token:
        findings.append(_warning("telegram-no-token", "TELEGRAM_WEBHOOK_SECRET is set but "
                                                      "TELEGRAM_BOT_TOKEN is not: the bot is off."))
    return findings


def check_observability(env: Mapping[str, str]) -> list[Finding]:
    """Logs and metrics settings (intake.observability): a typo here would otherwise pass
    unnoticed, as logging falls back to its defaults."""
    findings = []
    log_format = _value(env, "LOG_FORMAT").lower()
    if log_format and log_format not in FORMATS:
        findings.append(_error("log-format-invalid", f"LOG_FORMAT={log_format!r} is not known: set it "
                                                     "to json (one JSON object a line) or text."))
    level = _value(env, "LOG_LEVEL").lower()
    if level and level not in LEVELS:
        findings.append(_error("log-level-invalid", f"LOG_LEVEL={level!r} is not known: set it to "
                                                    f"{', '.join(LEVELS)}."))
    token = _value(env, "METRICS_TOKEN")
    if PLACEHOLDER.lower() in token.lower():
        findings.append(_error("placeholder", "METRICS_TOKEN still holds the placeholder: set at least "
                                              f"{MIN_SECRET_LENGTH} random characters, or leave it empty."))
    elif token and len(token) < MIN_SECRET_LENGTH:
        findings.append(_error("metrics-token-short", f"METRICS_TOKEN has {len(token)} characters; use "
                                                      f"at least {MIN_SECRET_LENGTH} characters of random "
                                                      "text."))
    directory = _value(env, "PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.exists() and not path.is_dir():
            findings.append(_error("metrics-directory-invalid", f"PROMETHEUS_MULTIPROC_DIR={directory} "
                                                                "is a file; name a directory."))
        elif path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
            findings.append(_error("metrics-directory-invalid", f"PROMETHEUS_MULTIPROC_DIR={directory} "
                                                                "cannot be written by this user; the "
                                                                "web workers write their counts there."))
    return findings


def _reachable(name: str, base_url: str, timeout: float) -> list[Finding]:
    """Any HTTP answer counts: only whether this machine reaches the API is checked."""
    try:
        with urllib.request.urlopen(urllib.request.Request(base_url, method="GET"), timeout=timeout):
            pass
    except urllib.error.HTTPError:
        pass
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return [_error(f"{name.lower()}-unreachable", f"{name}'s API at {base_url} did not answer within "
                                                      f"{timeout:g} s ({reason}); check the firewall and "
                                                      "any outbound proxy.")]
    return []


def check_online(env: Mapping[str, str], timeout: float = 5.0) -> list[Finding]:
    """The providers' APIs answer from here (only those that are configured). No credentials
    are sent, so nothing secret can end up in a proxy's log."""
    findings = []
    if _value(env, "TWILIO_ACCOUNT_SID") or _value(env, "TWILIO_AUTH_TOKEN"):
        base = (_value(env, "TWILIO_API_BASE_URL") or TWILIO_API_BASE_URL).rstrip("/")
        findings += _reachable("Twilio", base + "/", timeout)
    if _value(env, "TELEGRAM_BOT_TOKEN"):
        base = _value(env, "TELEGRAM_API_BASE_URL") or TELEGRAM_API_BASE_URL
        findings += _reachable("Telegram", base, timeout)
    return findings


def web_workers(env: Mapping[str, str]) -> int:
    """``WEB_CONCURRENCY`` if set; else, in production, deploy/gunicorn.conf.py's default (two per
    core plus one, at most 8); else 1 (`intake serve`). Raises ValueError when not a number."""
    raw = _value(env, "WEB_CONCURRENCY")
    if raw:
        return int(raw)
    if _value(env, "INTAKE_ENV") == "production":
        return min(2 * (os.cpu_count() or 1) + 1, 8)
    return 1


def run_checks(env: Mapping[str, str], workers: int | None = None, online: bool = False,
               timeout: float = 5.0) -> list[Finding]:
    """Every check, in the order an operator fixes things: settings, database, channels."""
    findings = check_secrets(env)
    if workers is None:
        try:
            workers = web_workers(env)
        except ValueError:
            findings.append(_error("web-concurrency-invalid", "WEB_CONCURRENCY must be a whole number "
                                                              "of web worker processes, e.g. 4."))
            workers = 1
    findings += check_scale(env, workers)
    findings += check_tagging(env)
    findings += check_worker_recycling(env)
    findings += check_keepalive(env)
    findings += check_reuse_port(env, workers, port_sharing.kernel_migrates())
    findings += check_database(env)
    findings += check_connections(env, workers)
    findings += check_configuration_files(env)
    findings += check_twilio(env)
    findings += check_telegram(env)
    findings += check_observability(env)
    if online:
        findings += check_online(env, timeout)
    return findings

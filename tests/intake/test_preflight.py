"""`intake.preflight`: each finding is raised when its problem is there, and only then."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text

from bot.telegram.settings import DEFAULT_API_BASE_URL as TELEGRAM_DEFAULT
from intake import preflight
from intake.preflight import Finding
from intake.settings import REQUIRED_IN_PRODUCTION
from intake.storage import migrate
from intake.storage.database import normalise_url
from webhooks.sms.settings import DEFAULT_API_BASE_URL as TWILIO_DEFAULT

KEY = Fernet.generate_key().decode()
POSTGRES_NOBODY = "postgresql://nobody@127.0.0.1:1/none"


def production(**overrides: str) -> dict[str, str]:
    """A production environment with every secret good; ``overrides`` change or ("") clear one."""
    env = {"INTAKE_ENV": "production", "DATABASE_URL": "postgresql://intake:pw@db.internal/intake",
           "SECRET_KEY": "s" * 64, "INTAKE_ENCRYPTION_KEYS": KEY, "INTAKE_HASH_KEY": "h" * 40,
           "PUBLIC_BASE_URL": "https://feedback.example.nhs.uk"}
    return {name: value for name, value in {**env, **overrides}.items() if value}


def found(findings: list[Finding]) -> dict[str, str]:
    """check name -> level."""
    return {finding.check: finding.level for finding in findings}


@contextmanager
def http_server(status: int = 404) -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering every GET with ``status``; yields its base URL and the
    paths it was asked for."""
    paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- secrets -------------------------------------------------------------------------------


def test_a_complete_production_environment_has_no_findings_about_secrets() -> None:
    assert preflight.check_secrets(production()) == []


@pytest.mark.parametrize("name", sorted(REQUIRED_IN_PRODUCTION))
def test_each_setting_production_requires_is_an_error_when_missing(name: str) -> None:
    findings = preflight.check_secrets(production(**{name: ""}))
    assert [(f.level, f.check) for f in findings] == [("error", "missing")]
    assert findings[0].message.startswith(f"{name} is not set")
    # Development generates the secrets itself.
    assert preflight.check_secrets({**production(**{name: ""}), "INTAKE_ENV": "development"}) == []


@pytest.mark.parametrize("name", sorted(REQUIRED_IN_PRODUCTION))
def test_a_placeholder_left_from_env_example_is_an_error_in_any_environment(name: str) -> None:
    value = "postgresql://intake:CHANGE-ME@db/intake" if name == "DATABASE_URL" else "change-me"
    for environment in ("production", "development"):
        findings = preflight.check_secrets(production(**{name: value, "INTAKE_ENV": environment}))
        assert [(f.level, f.check) for f in findings] == [("error", "placeholder")]
        assert name in findings[0].message


def test_an_unknown_environment_is_an_error() -> None:
    assert found(preflight.check_secrets({"INTAKE_ENV": "staging"})) == {"environment": "error"}


def test_a_short_secret_key_is_an_error_in_production_and_a_warning_elsewhere() -> None:
    assert found(preflight.check_secrets(production(SECRET_KEY="x" * 31))) == {"secret-key-short": "error"}
    development = production(SECRET_KEY="x" * 31, INTAKE_ENV="development")
    assert found(preflight.check_secrets(development)) == {"secret-key-short": "warning"}
    assert preflight.check_secrets(production(SECRET_KEY="x" * 32)) == []


def test_a_short_hash_key_is_an_error() -> None:
    assert found(preflight.check_secrets(production(INTAKE_HASH_KEY="x" * 31))) == {"hash-key-short": "error"}
    assert preflight.check_secrets(production(INTAKE_HASH_KEY="x" * 32)) == []


def test_an_encryption_key_that_is_not_a_fernet_key_is_named_by_its_position() -> None:
    findings = preflight.check_secrets(production(INTAKE_ENCRYPTION_KEYS=f"{KEY}, not-a-key"))
    assert found(findings) == {"encryption-key-invalid": "error"}
    assert "key 2 of 2" in findings[0].message
    rotated = f"{Fernet.generate_key().decode()},{KEY}"
    assert preflight.check_secrets(production(INTAKE_ENCRYPTION_KEYS=rotated)) == []


def test_the_public_address_must_be_https_in_production_only() -> None:
    plain = "http://feedback.example.nhs.uk"
    assert found(preflight.check_secrets(production(PUBLIC_BASE_URL=plain))) == {
        "public-url-not-https": "error"}
    assert preflight.check_secrets(production(PUBLIC_BASE_URL=plain, INTAKE_ENV="development")) == []
    assert found(preflight.check_secrets(production(PUBLIC_BASE_URL="feedback.example.nhs.uk"))) == {
        "public-url-invalid": "error"}


# --- scale ---------------------------------------------------------------------------------


def test_sqlite_in_production_is_an_error() -> None:
    env = production(DATABASE_URL="sqlite:////var/lib/intake.sqlite3")
    assert found(preflight.check_scale(env, workers=1)) == {"sqlite-in-production": "error"}
    assert preflight.check_scale(production(), workers=1) == []


def test_sqlite_behind_several_web_workers_is_a_warning(tmp_path: Path) -> None:
    env = {"INTAKE_INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": "redis://cache:6379"}
    assert found(preflight.check_scale(env, workers=3)) == {"sqlite-several-workers": "warning"}
    assert preflight.check_scale(env, workers=1) == []
    assert preflight.check_scale(production(RATELIMIT_STORAGE_URI="redis://cache:6379"), workers=3) == []


def test_tagging_in_the_worker_is_checked_and_outside_production_needs_a_worker_started(
        tmp_path: Path) -> None:
    development = {"INTAKE_INSTANCE_PATH": str(tmp_path)}
    assert preflight.check_tagging(development) == []
    assert preflight.check_tagging(production(INTAKE_TAGGING="worker")) == []
    assert found(preflight.check_tagging({**development, "INTAKE_TAGGING": "worker"})) == {
        "tagging-needs-worker": "warning"}
    (bad,) = preflight.check_tagging(production(INTAKE_TAGGING="soon"))
    assert (bad.level, bad.check) == ("error", "tagging-invalid") and "use inline" in bad.message
    assert "tagging-invalid" in found(preflight.run_checks(production(INTAKE_TAGGING="soon")))


def test_rate_limits_in_memory_behind_several_workers_is_a_warning() -> None:
    assert found(preflight.check_scale(production(), workers=4)) == {"rate-limits-per-worker": "warning"}
    assert preflight.check_scale(production(), workers=1) == []


def test_gunicorn_must_keep_idle_connections_longer_than_nginx(tmp_path: Path) -> None:
    assert preflight.check_keepalive(production()) == []
    assert preflight.check_keepalive(production(WEB_KEEPALIVE="75")) == []
    assert preflight.check_keepalive(production(WEB_KEEPALIVE="0")) == []   # no keep-alive at all
    short = preflight.check_keepalive(production(WEB_KEEPALIVE="4"))
    assert found(short) == {"web-keepalive-short": "warning"}
    assert "a 502, and the message not stored" in str(short[0])
    assert found(preflight.check_keepalive(production(WEB_KEEPALIVE="5s"))) == {
        "web-keepalive-invalid": "error"}
    # run_checks includes it.
    assert "web-keepalive-short" in found(preflight.run_checks({
        "INTAKE_INSTANCE_PATH": str(tmp_path), "WEB_KEEPALIVE": "2"}))


def test_a_socket_per_worker_is_refused_where_a_stopping_worker_would_drop_connections() -> None:
    forced = production(WEB_REUSE_PORT="1")
    assert preflight.check_reuse_port(forced, workers=5, migrates=True) == []
    for migrates in (False, None):
        refused = preflight.check_reuse_port(forced, workers=5, migrates=migrates)
        assert found(refused) == {"web-reuse-port-unsafe": "error"}
        assert "an SMS sent down one is lost" in str(refused[0])
    assert found(preflight.check_reuse_port(production(WEB_REUSE_PORT="maybe"), workers=5,
                                            migrates=True)) == {"web-reuse-port-invalid": "error"}


def test_production_workers_that_could_spread_connections_safely_are_told_how() -> None:
    advice = preflight.check_reuse_port(production(), workers=5, migrates=False)
    assert found(advice) == {"web-reuse-port-off": "warning"}
    # Written out, the default is the default.
    assert found(preflight.check_reuse_port(production(WEB_REUSE_PORT="auto"), workers=5,
                                            migrates=False)) == {"web-reuse-port-off": "warning"}
    assert "deploy/sysctl" in str(advice[0])
    # Nothing to say: the kernel migrates (auto turns it on), one worker, not Linux, a laptop,
    # or the operator chose one shared socket.
    assert preflight.check_reuse_port(production(), workers=5, migrates=True) == []
    assert preflight.check_reuse_port(production(), workers=1, migrates=False) == []
    assert preflight.check_reuse_port(production(), workers=5, migrates=None) == []
    assert preflight.check_reuse_port(production(INTAKE_ENV="development"), workers=5,
                                      migrates=False) == []
    assert preflight.check_reuse_port(production(WEB_REUSE_PORT="0"), workers=5,
                                      migrates=False) == []


def test_run_checks_asks_this_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = tmp_path / "tcp_migrate_req"
    monkeypatch.setattr("intake.port_sharing.MIGRATE_REQUESTS", setting)
    env = {"INTAKE_INSTANCE_PATH": str(tmp_path), "WEB_REUSE_PORT": "1"}
    setting.write_text("0\n")
    assert found(preflight.run_checks(env)).get("web-reuse-port-unsafe") == "error"
    setting.write_text("1\n")
    assert "web-reuse-port-unsafe" not in found(preflight.run_checks(env))


def test_when_workers_are_replaced_is_checked(tmp_path: Path) -> None:
    assert preflight.check_worker_recycling(production()) == []
    assert preflight.check_worker_recycling(production(WEB_WORKER_MEMORY_LIMIT_MB="400",
                                                       WEB_MAX_REQUESTS="0")) == []
    assert found(preflight.check_worker_recycling(production(WEB_WORKER_MEMORY_LIMIT_MB="180"))) == {
        "web-memory-limit-low": "warning"}
    bad = preflight.check_worker_recycling(production(WEB_WORKER_MEMORY_LIMIT_MB="300MB",
                                                      WEB_MAX_REQUESTS="-5"))
    assert found(bad) == {"web-worker-memory-limit-mb-invalid": "error",
                          "web-max-requests-invalid": "error"}
    assert "WEB_WORKER_MEMORY_LIMIT_MB must be a whole number of megabytes" in str(bad[0])
    assert "WEB_MAX_REQUESTS must be a whole number of requests" in str(bad[1])
    assert found(preflight.check_worker_recycling(production(WEB_WORKER_MEMORY_LIMIT_MB="0"))) == {
        "web-worker-memory-limit-mb-invalid": "error"}
    # run_checks includes it.
    assert "web-memory-limit-low" in found(preflight.run_checks({
        "INTAKE_INSTANCE_PATH": str(tmp_path), "WEB_WORKER_MEMORY_LIMIT_MB": "100"}))


def test_web_concurrency_sets_the_workers_unless_given_and_must_be_a_number(tmp_path: Path) -> None:
    env = {"INTAKE_INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "3"}
    assert "sqlite-several-workers" in found(preflight.run_checks(env))
    assert "sqlite-several-workers" not in found(preflight.run_checks(env, workers=1))
    bad = found(preflight.run_checks({**env, "WEB_CONCURRENCY": "lots"}))
    assert bad["web-concurrency-invalid"] == "error"


def test_without_web_concurrency_production_counts_gunicorns_default_workers() -> None:
    assert preflight.web_workers({}) == 1  # `intake serve`: one process
    assert preflight.web_workers({"INTAKE_ENV": "production"}) == min(2 * (os.cpu_count() or 1) + 1, 8)
    assert preflight.web_workers({"INTAKE_ENV": "production", "WEB_CONCURRENCY": "2"}) == 2


# --- database ------------------------------------------------------------------------------


def server_allows(database_url: str) -> int:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SHOW max_connections"))) - int(
                connection.scalar(text("SHOW superuser_reserved_connections")))
    finally:
        engine.dispose()


def test_each_worker_needs_a_connection_per_thread_up_to_its_pool() -> None:
    assert preflight.connections_needed(workers=5, threads=4) == 5 * 4 + preflight.OTHER_CONNECTIONS
    assert preflight.connections_needed(workers=2, threads=64) == 2 * 15 + preflight.OTHER_CONNECTIONS


def test_more_connections_than_postgresql_accepts_is_a_warning(database_url: str, engine: Engine) -> None:
    env = production(DATABASE_URL=database_url, WEB_THREADS="4")
    if not database_url.startswith("postgresql"):
        assert preflight.check_connections(env, workers=500) == []   # SQLite: nothing to count
        return
    allowed = server_allows(database_url)
    fits = (allowed - preflight.OTHER_CONNECTIONS) // 4
    assert preflight.check_connections(env, workers=fits) == []
    [finding] = preflight.check_connections(env, workers=fits + 1)
    assert (finding.level, finding.check) == ("warning", "database-connections")
    assert f"the server accepts {allowed}" in finding.message and "PgBouncer" in finding.message
    assert "database-connections" in found(preflight.run_checks(env, workers=fits + 1))


def test_connections_are_not_counted_when_the_database_does_not_answer() -> None:
    assert preflight.check_connections(production(DATABASE_URL=POSTGRES_NOBODY), workers=500) == []


def test_a_migrated_database_has_no_findings(database_url: str, engine: Engine) -> None:
    assert preflight.check_database(production(DATABASE_URL=database_url)) == []


def test_an_empty_database_is_not_migrated(database_url: str, empty_engine: Engine) -> None:
    with empty_engine.connect():  # creates the SQLite file; the PostgreSQL schema already exists
        pass
    findings = preflight.check_database(production(DATABASE_URL=database_url))
    assert found(findings) == {"database-not-migrated": "error"}
    assert "intake db upgrade" in findings[0].message


def test_a_database_behind_the_code_is_not_migrated(database_url: str, empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0004")
    findings = preflight.check_database(production(DATABASE_URL=database_url))
    assert found(findings) == {"database-not-migrated": "error"}
    assert "revision 0004" in findings[0].message


def test_a_database_ahead_of_the_code_says_so(database_url: str, engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    findings = preflight.check_database(production(DATABASE_URL=database_url))
    assert found(findings) == {"database-newer": "error"}


def test_a_missing_sqlite_file_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "intake.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    # Outside production, commands migrate SQLite themselves: a warning only.
    assert found(preflight.check_database(env)) == {"database-not-migrated": "warning"}
    assert found(preflight.check_database({**env, "INTAKE_ENV": "production"})) == {
        "database-not-migrated": "error"}
    assert not path.parent.exists()


def test_an_unreachable_database_is_an_error_without_its_password() -> None:
    findings = preflight.check_database(production(DATABASE_URL="postgresql://nobody:s3cret@127.0.0.1:1/none"))
    assert found(findings) == {"database-unreachable": "error"}
    assert "s3cret" not in findings[0].message


def test_a_database_url_that_is_not_one_is_an_error() -> None:
    assert found(preflight.check_database(production(DATABASE_URL="db.internal"))) == {
        "database-url-invalid": "error"}


# --- configuration files -------------------------------------------------------------------


def test_the_packaged_configuration_has_no_findings() -> None:
    assert preflight.check_configuration_files({}) == []


def test_an_invalid_configuration_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "services.toml").write_text("[[services]]\nid = \"gp\"\nname = \n", "utf-8")
    findings = preflight.check_configuration_files({"INTAKE_CONFIG_DIR": str(tmp_path)})
    assert found(findings) == {"configuration-invalid": "error"}
    assert str(tmp_path / "services.toml") in findings[0].message
    missing = preflight.check_configuration_files({"INTAKE_CONFIG_DIR": str(tmp_path / "none")})
    assert found(missing) == {"configuration-invalid": "error"}


# --- channels ------------------------------------------------------------------------------

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token",
          "TWILIO_FROM_NUMBER": "+447700900000"}


def test_twilio_fully_set_up_or_not_at_all_has_no_findings() -> None:
    assert preflight.check_twilio({}) == []
    assert preflight.check_twilio(TWILIO) == []
    service = {**TWILIO, "TWILIO_FROM_NUMBER": "", "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32}
    assert preflight.check_twilio(service) == []


@pytest.mark.parametrize(("cleared", "named"), [
    (("TWILIO_ACCOUNT_SID",), "TWILIO_ACCOUNT_SID"),
    (("TWILIO_AUTH_TOKEN",), "TWILIO_AUTH_TOKEN"),
    (("TWILIO_FROM_NUMBER",), "TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)"),
    (("TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER"), "TWILIO_ACCOUNT_SID, TWILIO_FROM_NUMBER"),
])
def test_twilio_set_up_in_part_is_an_error_naming_what_is_missing(cleared: tuple[str, ...],
                                                                   named: str) -> None:
    findings = preflight.check_twilio({**TWILIO, **dict.fromkeys(cleared, "")})
    assert found(findings) == {"twilio-partial": "error"}
    assert named in findings[0].message


def test_a_telegram_token_without_a_webhook_secret() -> None:
    token = {"TELEGRAM_BOT_TOKEN": "123:abc"}
    assert found(preflight.check_telegram({**token, "INTAKE_ENV": "production"})) == {
        "telegram-no-secret": "error"}
    assert found(preflight.check_telegram(token)) == {"telegram-no-secret": "warning"}
    assert preflight.check_telegram({**token, "TELEGRAM_WEBHOOK_SECRET": "a-Secret_1"}) == []
    assert preflight.check_telegram({}) == []


def test_a_telegram_secret_telegram_would_refuse_or_without_a_token() -> None:
    bad = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_SECRET": "has spaces!"}
    assert found(preflight.check_telegram(bad)) == {"telegram-secret-invalid": "error"}
    assert found(preflight.check_telegram({"TELEGRAM_WEBHOOK_SECRET": "s"})) == {
        "telegram-no-token": "warning"}


def test_logs_and_metrics_settings_left_out_or_valid_have_no_findings(tmp_path: Path) -> None:
    assert preflight.check_observability({}) == []
    assert preflight.check_observability({
        "LOG_FORMAT": "JSON", "LOG_LEVEL": "warning", "METRICS_TOKEN": "t" * 32,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "not-made-yet")}) == []
    assert preflight.check_observability({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) == []


@pytest.mark.parametrize(("env", "check"), [
    ({"LOG_FORMAT": "xml"}, "log-format-invalid"),
    ({"LOG_LEVEL": "verbose"}, "log-level-invalid"),
    ({"METRICS_TOKEN": "short"}, "metrics-token-short"),
    ({"METRICS_TOKEN": "CHANGE-ME"}, "placeholder"),
])
def test_a_logs_or_metrics_setting_that_cannot_work_is_an_error(env: dict[str, str], check: str) -> None:
    assert found(preflight.check_observability(env)) == {check: "error"}


def test_a_metrics_directory_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "metrics"
    file.write_text("")
    findings = preflight.check_observability({"PROMETHEUS_MULTIPROC_DIR": str(file)})
    assert found(findings) == {"metrics-directory-invalid": "error"}
    assert found(preflight.run_checks({"LOG_FORMAT": "xml", "DATABASE_URL": POSTGRES_NOBODY},
                                      workers=1)).get("log-format-invalid") == "error"


def test_the_provider_defaults_match_the_channels_own() -> None:
    assert preflight.TWILIO_API_BASE_URL == TWILIO_DEFAULT
    assert preflight.TELEGRAM_API_BASE_URL == TELEGRAM_DEFAULT


# --- online --------------------------------------------------------------------------------


def test_online_providers_that_answer_have_no_findings_and_get_no_credentials() -> None:
    with http_server(status=404) as (base, paths):
        env = {**TWILIO, "TWILIO_API_BASE_URL": base, "TELEGRAM_BOT_TOKEN": "123:secret-token",
               "TELEGRAM_API_BASE_URL": f"{base}/bot"}
        assert preflight.check_online(env, timeout=5) == []
    assert sorted(paths) == ["/", "/bot"]


def test_online_a_provider_that_does_not_answer_is_an_error() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    env = {**TWILIO, "TWILIO_API_BASE_URL": dead, "TELEGRAM_BOT_TOKEN": "123:secret-token",
           "TELEGRAM_API_BASE_URL": f"{dead}/bot"}
    findings = preflight.check_online(env, timeout=2)
    assert found(findings) == {"twilio-unreachable": "error", "telegram-unreachable": "error"}
    assert all("secret-token" not in finding.message for finding in findings)


def test_online_checks_only_configured_providers() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    assert preflight.check_online({"TWILIO_API_BASE_URL": dead, "TELEGRAM_API_BASE_URL": dead}) == []


def test_run_checks_goes_online_only_when_asked() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    env = production(DATABASE_URL=POSTGRES_NOBODY, TELEGRAM_BOT_TOKEN="1:a", TELEGRAM_WEBHOOK_SECRET="s",
                     TELEGRAM_API_BASE_URL=dead)
    assert "telegram-unreachable" not in found(preflight.run_checks(env))
    assert "telegram-unreachable" in found(preflight.run_checks(env, online=True, timeout=2))

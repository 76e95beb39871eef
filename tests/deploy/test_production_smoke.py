"""The production path, end to end, as an operator would bring it up: a fresh PostgreSQL database
migrated by `intake db upgrade`, `intake check-config` satisfied, gunicorn started with
``deploy/gunicorn.conf.py`` in ``INTAKE_ENV=production``, then a signed SMS conversation and a
Telegram update through the real server, a reply queued by `intake reply`, and `intake worker`
delivering it to a local fake Twilio, whose signed delivery report the server then records.

Every command is the one the deployment kit runs (the compose file's migrate and worker
services, the systemd units); only the providers are local fakes. Skipped when no PostgreSQL
answers, since production never runs on SQLite.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from intake.storage import migrate
from intake.storage.database import make_engine
from intake.storage.models import Feedback, InboundMessage, OutboundMessage, OutboundStatus
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api, text_update
from tests.conftest import POSTGRES_URL, postgres_available
from tests.reliability.server_gunicorn import (
    Answer,
    Server,
    free_port,
    get,
    post,
    run_intake,
    running_deployed,
    server_env,
)
from tests.scratch_schema import scratch_database
from tests.webhooks.sms.fake_twilio import FakeTwilio, running_fake_twilio
from webhooks.telegram.routes import SECRET_HEADER

pytestmark = pytest.mark.postgres

PUBLIC_BASE_URL = "https://intake.example.test"
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "smoke-auth-token-" + "a" * 16
SERVICE_NUMBER = "+447700900000"
PATIENT = "+447700900456"
TELEGRAM_SECRET = "smoke-webhook-secret_0123456789"
TELEGRAM_CHAT = 777001
REFERENCE = re.compile(r"\bFB-[A-Z0-9]{4,}\b")


@dataclass
class Production:
    server: Server
    env: dict[str, str]
    database_url: str
    twilio: FakeTwilio
    bot_api: FakeBotApi

    def intake(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The `intake` command as an operator runs it, with the service's environment."""
        return run_intake(self.env, *args)

    def sms(self, body: str, sid: str | None = None, sender: str = PATIENT) -> Answer:
        params = {"ToCountry": "GB", "SmsMessageSid": sid or f"SM{uuid.uuid4().hex}",
                  "NumMedia": "0", "SmsStatus": "received", "Body": body, "FromCountry": "GB",
                  "To": SERVICE_NUMBER, "NumSegments": "1", "AccountSid": ACCOUNT_SID,
                  "From": sender, "ApiVersion": "2010-04-01"}
        params["MessageSid"] = params["SmsSid"] = params["SmsMessageSid"]
        return self.signed_post("/sms/twilio", params)

    def signed_post(self, path: str, params: dict[str, str]) -> Answer:
        """A request as Twilio sends it: signed over the public address, which the proxy
        (here: nobody) forwards to the server's own."""
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
        return post(self.server.base_url + path, urllib.parse.urlencode(params).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded",
                     "X-Twilio-Signature": str(signature)})


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of its own (not a schema), as production has: created empty, dropped after."""
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    with scratch_database(POSTGRES_URL, "involve_smoke") as url:
        yield url.render_as_string(hide_password=False)


def production_env(database_url: str, instance: Path, twilio: FakeTwilio,
                   bot_api: FakeBotApi, port: int) -> dict[str, str]:
    """Every setting production requires, generated for this run (never from the repository)."""
    return server_env({
        "INTAKE_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": Fernet.generate_key().decode() + uuid.uuid4().hex,
        "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INTAKE_HASH_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "INTAKE_INSTANCE_PATH": str(instance),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SERVICE_NUMBER,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        # gunicorn.conf.py reads these; two workers of two threads fit the 2-core CI machine.
        "BIND_HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(instance.parent / "metrics"),
    })


@pytest.fixture(scope="module")
def production(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    directory = tmp_path_factory.mktemp("production")
    port = free_port()
    with running_fake_twilio() as twilio, running_fake_bot_api() as bot_api:
        env = production_env(database_url, directory / "instance", twilio, bot_api, port)
        migrated = run_intake(env, "db", "upgrade")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        with running_deployed(env, directory / "gunicorn.log") as server:
            yield Production(server, env, database_url, twilio, bot_api)


def test_migrations_leave_a_configuration_check_with_no_errors(production: Production) -> None:
    checked = production.intake("check-config", "--workers", "2")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().splitlines()[-1].startswith("The configuration is ready")
    current = production.intake("db", "current")
    assert current.returncode == 0, current.stderr
    engine = make_engine(production.database_url)
    try:
        assert current.stdout.split() == [migrate.head_revision(engine)]
    finally:
        engine.dispose()


def test_health_answers_with_the_database_reachable_and_migrated(production: Production) -> None:
    answer = get(f"{production.server.base_url}/healthz")
    assert answer.status == 200
    assert answer.content_type == "application/json"
    assert json.loads(answer.body)["status"] == "ok"


def test_a_forged_sms_is_refused_and_nothing_is_stored(production: Production) -> None:
    sid = f"SM{uuid.uuid4().hex}"
    params = {"MessageSid": sid, "From": PATIENT, "To": SERVICE_NUMBER, "Body": "forged",
              "AccountSid": ACCOUNT_SID}
    answer = post(f"{production.server.base_url}/sms/twilio", urllib.parse.urlencode(params).encode(),
                  {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert answer.status == 403
    engine = make_engine(production.database_url)
    try:
        with engine.connect() as connection:
            stored = connection.scalar(select(InboundMessage.id).where(
                InboundMessage.provider_message_id == sid))
    finally:
        engine.dispose()
    assert stored is None


def test_an_sms_conversation_a_telegram_update_and_a_reply_delivered_by_the_worker(
        production: Production) -> None:
    # A person texts in, through the real server on PostgreSQL, and is answered in TwiML.
    turns = [production.sms(body) for body in (
        "My GP surgery never answers the phone and I waited three weeks", "YES", "4", "6", "YES")]
    assert [turn.status for turn in turns] == [200] * 5
    assert all(turn.content_type in {"text/xml", "application/xml"} for turn in turns)
    assert b"Is this about GP?" in turns[0].body
    [reference] = REFERENCE.findall(turns[-1].body.decode())

    # A Telegram update through the webhook: stored, and the bot answers through the Bot API.
    update = text_update(900_001, "The maternity ward was short of staff at night",
                         chat_id=TELEGRAM_CHAT)
    answer = post(f"{production.server.base_url}/telegram/webhook", json.dumps(update).encode(),
                  {"Content-Type": "application/json", SECRET_HEADER: TELEGRAM_SECRET})
    assert answer.status == 200
    assert json.loads(answer.body)["ok"] is True
    production.bot_api.wait_for("sendMessage", 1)
    assert production.bot_api.texts(TELEGRAM_CHAT)

    # A member of staff replies from the command line; the outbox worker delivers it.
    reply_text = "Thank you: the surgery is adding two phone lines in January."
    queued = production.intake("reply", reference, "--text", reply_text)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    sent = production.intake("worker", "--once")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    [request] = [r for r in production.twilio.requests if r.method == "POST"]
    assert request.form["To"] == PATIENT
    assert request.form["Body"] == reply_text
    assert request.form["StatusCallback"] == f"{PUBLIC_BASE_URL}/sms/twilio/status"
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)

    # Twilio then reports delivery, signed, to the server.
    engine = make_engine(production.database_url)
    try:
        with engine.connect() as connection:
            message_sid = connection.scalar(select(OutboundMessage.provider_message_id).where(
                OutboundMessage.status == OutboundStatus.SENT))
        assert message_sid
        report = production.signed_post("/sms/twilio/status", {
            "MessageSid": message_sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID,
            "To": PATIENT, "From": SERVICE_NUMBER, "ApiVersion": "2010-04-01"})
        assert report.status in {200, 204}
        with engine.connect() as connection:
            status = connection.scalar(select(OutboundMessage.status).where(
                OutboundMessage.provider_message_id == message_sid))
            feedback = connection.execute(select(Feedback.channel, Feedback.reference)).all()
    finally:
        engine.dispose()
    assert status == OutboundStatus.DELIVERED
    assert ("sms", reference) in {(row.channel, row.reference) for row in feedback}


def scrape(production: Production) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``GET /metrics`` by name and labels, as Prometheus on the private network
    reads it (straight to gunicorn, not through the proxy)."""
    answer = get(f"{production.server.base_url}/metrics")
    assert answer.status == 200, answer.body
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.body.decode())
            for sample in family.samples}


def test_metrics_count_the_traffic_and_every_log_line_is_json_without_personal_data(
        production: Production) -> None:
    sms_new = ("intake_messages_received_total", (("channel", "sms"), ("duplicate", "false")))
    sms_again = ("intake_messages_received_total", (("channel", "sms"), ("duplicate", "true")))
    before = scrape(production)
    sid, body = f"SM{uuid.uuid4().hex}", "The pharmacy queue went round the block on Tuesday"
    assert [production.sms(body, sid).status for _ in range(2)] == [200, 200]  # Twilio retried
    after = scrape(production)
    assert after[sms_new] - before.get(sms_new, 0.0) == 1
    assert after[sms_again] - before.get(sms_again, 0.0) == 1
    assert after[("intake_database_up", ())] == 1
    assert any(name == "intake_outbox_messages" for name, _ in after)
    assert any(name == "intake_http_requests_total" and dict(labels).get("status") == "200"
               for name, labels in after)

    lines = [line for line in production.server.output().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]          # every line, gunicorn's too, is JSON
    access = [r for r in records if r.get("path") == "/sms/twilio" and r.get("status") == 200]
    assert access and all(re.fullmatch(r"[0-9a-f-]{16,}", r["request_id"]) for r in access)
    log = "\n".join(lines)
    for personal in (PATIENT, PATIENT.lstrip("+"), "7700900456", body, "pharmacy queue",
                     "My GP surgery", str(TELEGRAM_CHAT), AUTH_TOKEN, TELEGRAM_SECRET):
        assert personal not in log


@pytest.fixture(scope="module")
def tagging_in_worker(production: Production,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    """The same deployment switched to INTAKE_TAGGING=worker: a second gunicorn on its database."""
    directory = tmp_path_factory.mktemp("tagging-in-worker")
    env = {**production.env, "INTAKE_TAGGING": "worker", "PORT": str(free_port()),
           "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics")}
    with running_deployed(env, directory / "gunicorn.log") as server:
        yield Production(server, env, production.database_url, production.twilio,
                         production.bot_api)


def test_with_tagging_in_the_worker_the_thanks_comes_first_and_the_worker_makes_the_item(
        tagging_in_worker: Production) -> None:
    sender = "+447700900457"
    turns = [tagging_in_worker.sms(body, sender=sender) for body in (
        "The dentist cancelled my appointment twice this month", "YES", "4", "6", "NO")]
    assert [turn.status for turn in turns] == [200] * 5
    [reference] = REFERENCE.findall(turns[-1].body.decode())

    def item() -> tuple[str, str] | None:
        engine = make_engine(tagging_in_worker.database_url)
        try:
            with engine.connect() as connection:
                row = connection.execute(select(Feedback.channel, Feedback.text).where(
                    Feedback.reference == reference)).first()
        finally:
            engine.dispose()
        return None if row is None else (row.channel, row.text)

    assert item() is None                           # answered before it was tagged
    tagged = tagging_in_worker.intake("worker", "--once")
    assert tagged.returncode == 0, tagged.stdout + tagged.stderr
    assert "Tagged 1 queued message(s)." in tagged.stdout.splitlines()
    assert item() == ("sms", "The dentist cancelled my appointment twice this month")

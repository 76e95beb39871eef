"""The database goes away under a running server: webhooks answer 503 (so Twilio and Telegram
deliver again later), ``/healthz`` says unavailable, nothing answers 500; when the database is
back, the same message delivered again is stored once.

PostgreSQL is reached through a proxy the test switches off and on (pooled connections are cut
too). A SQLite file cannot be taken from under connections already open, so there the
database's directory is moved away as soon as the server is up, before its first request, and
moved back for the redelivery.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from intake.storage import migrate
from intake.storage.database import make_engine
from intake.storage.models import ConversationTurn, InboundMessage
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api, text_update
from tests.conftest import database_name, settings_env
from tests.reliability.conftest import Tally
from tests.webhooks.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INBOUND_URL,
    SERVICE_NUMBER,
    new_sid,
    sign,
    twiml_messages,
)
from webhooks.telegram.routes import SECRET_HEADER

from .server_gunicorn import Answer, Server, get, post, running_gunicorn, server_env
from .server_proxy import switchable_proxy

TELEGRAM_SECRET = "reliability-secret_43"
FEEDBACK = "The GP receptionist was rude and I waited ages for an appointment"
RETRIES_WHILE_DOWN = 3


@dataclass
class Outage:
    """A running server and a switch for its database."""

    server: Server
    engine: Engine          # the test's own way in, never through the switch
    bot_api: FakeBotApi
    go_down: Callable[[], None]
    come_back: Callable[[], None]
    starts_down: bool


@contextmanager
def served(env: dict[str, str], directory: Path) -> Iterator[tuple[Server, FakeBotApi]]:
    with running_fake_bot_api() as api:
        env = server_env(env, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                         TWILIO_FROM_NUMBER=SERVICE_NUMBER, TELEGRAM_BOT_TOKEN=TOKEN,
                         TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
                         TELEGRAM_API_BASE_URL=api.base_url)
        with running_gunicorn(env, directory, workers=2, threads=2) as server:
            yield server, api


@pytest.fixture
def outage(database_url: str, tmp_path: Path) -> Iterator[Outage]:
    instance = tmp_path / "instance"
    if database_name(database_url) == "sqlite":
        home = tmp_path / "database"
        url = f"sqlite:///{home / 'intake.sqlite3'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()  # no connection may stay open to the file the server will not find
        away = tmp_path / "database-moved-away"
        with served(settings_env(url, instance), tmp_path) as (server, api):
            # Moved once the server is up (it makes the directory when it starts), before any
            # request has opened a connection.
            home.rename(away)
            yield Outage(server, engine, api, go_down=lambda: home.rename(away),
                         come_back=lambda: away.rename(home), starts_down=True)
        engine.dispose()
        return
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    real = make_url(database_url)
    try:
        with switchable_proxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
            through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(
                hide_password=False)
            with served(settings_env(through, instance), tmp_path) as (server, api):
                yield Outage(server, engine, api, go_down=proxy.go_down,
                             come_back=proxy.come_back, starts_down=False)
    finally:
        engine.dispose()


def deliver_sms(server: Server, sender: str, sid: str) -> Answer:
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
              "To": SERVICE_NUMBER, "Body": FEEDBACK, "NumMedia": "0", "NumSegments": "1",
              "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    return post(f"{server.base_url}/sms/twilio", urllib.parse.urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": sign(params, INBOUND_URL)})


def deliver_update(server: Server, update: dict[str, object]) -> Answer:
    return post(f"{server.base_url}/telegram/webhook", json.dumps(update).encode(),
                {"Content-Type": "application/json", SECRET_HEADER: TELEGRAM_SECRET})


def stored(engine: Engine, channel: str, provider_id: str) -> tuple[int, int]:
    """(inbound rows, conversation turns) for one provider message id."""
    with Session(engine) as session:
        rows = session.scalar(select(func.count()).select_from(InboundMessage).where(
            InboundMessage.channel == channel, InboundMessage.provider_message_id == provider_id))
        turns = session.scalar(select(func.count()).select_from(ConversationTurn).join(
            InboundMessage, ConversationTurn.inbound_message_id == InboundMessage.id).where(
            InboundMessage.channel == channel, InboundMessage.provider_message_id == provider_id))
    return int(rows or 0), int(turns or 0)


def test_webhooks_answer_503_while_the_database_is_down_and_store_the_redelivery_once(
        outage: Outage, reliability_tally: Tally) -> None:
    server = outage.server
    answers: list[Answer] = []
    if not outage.starts_down:  # the outage comes while the server has pooled connections
        before = deliver_sms(server, "+447700950001", new_sid())
        health = get(f"{server.base_url}/healthz")
        assert (before.status, health.status) == (200, 200), server.output()
        outage.go_down()
    reliability_tally.add("faults_injected")
    sid, update = new_sid(), text_update(31_337, FEEDBACK, chat_id=424_242)

    for _ in range(RETRIES_WHILE_DOWN):
        answers += [deliver_sms(server, "+447700950002", sid), deliver_update(server, update)]
    health = get(f"{server.base_url}/healthz")

    assert [a.status for a in answers] == [503] * len(answers), server.output()
    assert health.status == 503
    assert json.loads(health.body)["status"] == "unavailable"

    outage.come_back()
    again_sms = [deliver_sms(server, "+447700950002", sid) for _ in range(2)]
    again_telegram = [deliver_update(server, update) for _ in range(2)]
    health = get(f"{server.base_url}/healthz")
    answers += again_sms + again_telegram

    reliability_tally.add("duplicate_deliveries", 2 * RETRIES_WHILE_DOWN + 2)
    reliability_tally.add("server_errors", sum(1 for a in answers if a.status == 500))
    counts = {"sms": stored(outage.engine, "sms", sid),
              "telegram": stored(outage.engine, "telegram", str(update["update_id"]))}
    reliability_tally.add("records_checked", 2)
    reliability_tally.add("records_lost", sum(1 for rows, _ in counts.values() if rows == 0))
    reliability_tally.add("records_duplicated", sum(rows - 1 for rows, _ in counts.values() if rows > 1))
    assert health.status == 200 and json.loads(health.body)["status"] == "ok"
    assert [a.status for a in again_sms] == [200, 200], server.output()
    first_reply = twiml_messages(again_sms[0].body)
    assert first_reply and twiml_messages(again_sms[1].body) == first_reply
    assert [json.loads(a.body) for a in again_telegram] == [{"ok": True},
                                                           {"ok": True, "duplicate": True}]
    assert counts == {"sms": (1, 1), "telegram": (1, 1)}
    assert outage.bot_api.texts(424_242), "the redelivered update was answered"

"""The same delivery many times at once, to several gunicorn workers: one record, one turn.

Twilio retries a webhook that was slow to answer, and Telegram resends an update it thinks was
lost; with several worker processes the copies can be handled at the same moment. Each test
fires every copy of every message together (a barrier) at a real server on SQLite and on
PostgreSQL, then reads the database to check that each message was stored and answered once.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from intake.storage.database import make_engine
from intake.storage.models import Conversation, ConversationTurn, InboundMessage
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api, text_update
from tests.conftest import settings_env
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

from .server_database import KINDS, migrated_database
from .server_gunicorn import Answer, Server, all_at_once, post, running_gunicorn, server_env

MESSAGES = 5
COPIES = 20
TELEGRAM_SECRET = "reliability-secret_42"
SLOW_TURN = 0.5
FEEDBACK = "The GP receptionist was rude and I waited ages for an appointment"


@dataclass
class Served:
    server: Server
    engine: Engine
    bot_api: FakeBotApi


@pytest.fixture(scope="module", params=KINDS)
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """gunicorn with 3 workers of 4 threads on a migrated database (one per module and kind),
    Twilio and Telegram configured, the Bot API a local fake. Each conversation turn is slowed
    by SLOW_TURN so copies always arrive while the first delivery is being handled."""
    directory = tmp_path_factory.mktemp(f"concurrent-{request.param}")
    with migrated_database(request.param, directory) as url, running_fake_bot_api() as api:
        env = server_env(
            settings_env(url, directory / "instance"),
            TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM_NUMBER=SERVICE_NUMBER, TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET, TELEGRAM_API_BASE_URL=api.base_url,
            RELIABILITY_SLOW_TURN_SECONDS=str(SLOW_TURN))
        engine = make_engine(url)
        try:
            with running_gunicorn(env, directory, app="tests.reliability.server_slow_wsgi:app") as server:
                yield Served(server, engine, api)
        finally:
            engine.dispose()


def sms_payload(sender: str, sid: str) -> dict[str, str]:
    return {"ToCountry": "GB", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
            "SmsStatus": "received", "Body": FEEDBACK, "FromCountry": "GB", "To": SERVICE_NUMBER,
            "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
            "ApiVersion": "2010-04-01"}


def deliver_sms(server: Server, params: dict[str, str]) -> Answer:
    """POST as Twilio does, signed for the public URL the app rebuilds (PUBLIC_BASE_URL)."""
    return post(f"{server.base_url}/sms/twilio", urllib.parse.urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": sign(params, INBOUND_URL)})


def deliver_update(server: Server, update: dict[str, object]) -> Answer:
    return post(f"{server.base_url}/telegram/webhook", json.dumps(update).encode(),
                {"Content-Type": "application/json", SECRET_HEADER: TELEGRAM_SECRET})


def inbound_rows(engine: Engine, channel: str, ids: list[str]) -> Counter[str]:
    with Session(engine) as session:
        return Counter(session.scalars(select(InboundMessage.provider_message_id).where(
            InboundMessage.channel == channel, InboundMessage.provider_message_id.in_(ids))))


def turns_per_inbound(engine: Engine, channel: str, ids: list[str]) -> dict[str, list[list[str]]]:
    with Session(engine) as session:
        rows = session.execute(
            select(InboundMessage.provider_message_id, ConversationTurn.replies)
            .join(ConversationTurn, ConversationTurn.inbound_message_id == InboundMessage.id)
            .where(InboundMessage.channel == channel,
                   InboundMessage.provider_message_id.in_(ids))).all()
    found: dict[str, list[list[str]]] = {}
    for provider_id, replies in rows:
        found.setdefault(provider_id, []).append(list(replies))
    return found


def conversations(engine: Engine, channel: str) -> int:
    with Session(engine) as session:
        return len(session.scalars(select(Conversation.id)
                                   .where(Conversation.channel == channel)).all())


def tally_records(tally: Tally, expected: list[str], stored: Counter[str]) -> None:
    tally.add("records_checked", len(expected))
    tally.add("records_lost", sum(1 for key in expected if stored[key] == 0))
    tally.add("records_duplicated", sum(stored[key] - 1 for key in expected if stored[key] > 1))


def fire_sms(served: Served, tally: Tally, first_number: int,
             copies_after: float = 0.0) -> tuple[list[str], list[Answer]]:
    """COPIES identical signed deliveries of each of MESSAGES texts (one sender each), released
    together; with ``copies_after``, every copy but the first waits that long, so it arrives
    while the first is being handled. Returns the MessageSids and the answers, COPIES per
    message in order."""
    messages = {new_sid(): f"+44770{first_number + index:07d}" for index in range(MESSAGES)}
    calls = []
    for sid, sender in messages.items():
        params = sms_payload(sender, sid)
        for copy in range(COPIES):
            calls.append(lambda params=params, wait=copy and copies_after: (
                time.sleep(wait), deliver_sms(served.server, params))[1])
    answers = all_at_once(calls)
    tally.add("concurrent_requests", len(calls))
    tally.add("duplicate_deliveries", MESSAGES * (COPIES - 1))
    tally.add("server_errors", sum(1 for a in answers if a.status == 500))
    return list(messages), answers


def test_sms_delivered_twenty_times_at_once_is_stored_and_answered_once(
        served: Served, reliability_tally: Tally) -> None:
    before = conversations(served.engine, "sms")

    sids, answers = fire_sms(served, reliability_tally, first_number=9_000_000)

    stored = inbound_rows(served.engine, "sms", sids)
    tally_records(reliability_tally, sids, stored)
    assert Counter(a.status for a in answers) == {200: len(answers)}, served.server.output()
    assert all(a.content_type == "text/xml" for a in answers)
    assert stored == dict.fromkeys(sids, 1)
    turns = turns_per_inbound(served.engine, "sms", sids)
    assert {sid: len(found) for sid, found in turns.items()} == dict.fromkeys(sids, 1)
    assert all(found[0] for found in turns.values()), "a first delivery was answered with nothing"
    assert conversations(served.engine, "sms") == before + MESSAGES
    # Whatever else a copy was told, the first delivery's replies went out exactly once.
    for index, sid in enumerate(sids):
        given = [tuple(twiml_messages(a.body)) for a in answers[index * COPIES:(index + 1) * COPIES]]
        assert given.count(tuple(turns[sid][0])) >= 1, (sid, given)


def test_concurrent_copies_of_an_sms_get_the_same_twiml_as_the_first(
        served: Served, reliability_tally: Tally) -> None:
    """The copies are sent a moment after the first, so each arrives while the first delivery
    is being handled: what a Twilio retry of a slow answer looks like."""
    sids, answers = fire_sms(served, reliability_tally, first_number=8_000_000,
                             copies_after=SLOW_TURN / 4)

    assert all(a.status == 200 for a in answers), served.server.output()
    turns = turns_per_inbound(served.engine, "sms", sids)
    for index, sid in enumerate(sids):
        given = Counter(tuple(twiml_messages(a.body))
                        for a in answers[index * COPIES:(index + 1) * COPIES])
        assert given == {tuple(turns[sid][0]): COPIES}, f"{sid}: {given}"


def test_telegram_update_delivered_twenty_times_at_once_is_handled_once(
        served: Served, reliability_tally: Tally) -> None:
    before = conversations(served.engine, "telegram")
    chats = {9000 + index: 700_000 + index for index in range(MESSAGES)}  # update_id -> chat id
    updates = [text_update(update_id, FEEDBACK, chat_id)
               for update_id, chat_id in chats.items() for _ in range(COPIES)]

    answers = all_at_once([lambda update=update: deliver_update(served.server, update)
                           for update in updates])

    reliability_tally.add("concurrent_requests", len(updates))
    reliability_tally.add("duplicate_deliveries", MESSAGES * (COPIES - 1))
    reliability_tally.add("server_errors", sum(1 for a in answers if a.status == 500))
    expected = [str(update_id) for update_id in chats]
    stored = inbound_rows(served.engine, "telegram", expected)
    tally_records(reliability_tally, expected, stored)
    assert Counter(a.status for a in answers) == {200: len(updates)}, served.server.output()
    for index, update_id in enumerate(chats):
        acknowledged = Counter(a.body for a in answers[index * COPIES:(index + 1) * COPIES])
        assert {json.dumps(json.loads(body), sort_keys=True): n
                for body, n in acknowledged.items()} == {
            '{"ok": true}': 1, '{"duplicate": true, "ok": true}': COPIES - 1}, update_id
    assert stored == dict.fromkeys(expected, 1)
    turns = turns_per_inbound(served.engine, "telegram", expected)
    assert {key: len(found) for key, found in turns.items()} == dict.fromkeys(expected, 1)
    assert conversations(served.engine, "telegram") == before + MESSAGES
    # The webhook answers only after the handlers ran, so every reply has been sent by now:
    # each chat got its turn's replies once, not once per copy.
    for update_id, chat_id in chats.items():
        [replies] = turns[str(update_id)]
        assert replies and served.bot_api.texts(chat_id) == replies, update_id

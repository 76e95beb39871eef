"""Scale-out as docs/scale-out.md describes it: two web machines (here two gunicorn servers on
their own ports) behind one proxy, sharing one PostgreSQL database and one Redis.

A conversation moves between machines turn by turn, since nothing about it lives in a web
process; the public form's rate limit is one limit across both machines when the counters are
in Redis, and each machine's own (so looser) when they are in memory, which is why
`intake check-config` asks for Redis once there are several workers.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from tests.conftest import settings_env
from tests.webhooks.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INBOUND_URL,
    SERVICE_NUMBER,
    new_sid,
    sign,
)

from .server_database import migrated_database
from .server_gunicorn import Answer, Server, post, running_gunicorn, server_env

pytestmark = pytest.mark.postgres

REDIS_URL = "redis://127.0.0.1:6379/0"
FORM_LIMIT = 4
REFERENCE = re.compile(r"\bFB-[A-Z0-9]{4,}\b")


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def machines(directory: Path, storage: str, prefix: str, count: int = 2) -> Iterator[list[Server]]:
    """``count`` servers of one worker each on one migrated PostgreSQL schema, rate limits in
    ``storage``."""
    with migrated_database("postgresql", directory) as url, ExitStack() as stack:
        env = server_env(settings_env(url, directory / "instance"),
                         TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                         TWILIO_FROM_NUMBER=SERVICE_NUMBER, RATELIMIT_STORAGE_URI=storage,
                         RATELIMIT_KEY_PREFIX=prefix,
                         FEEDBACK_RATE_LIMIT=f"{FORM_LIMIT} per minute")
        yield [stack.enter_context(running_gunicorn(env, directory / f"machine-{n}", workers=1,
                                                    threads=2)) for n in range(count)]


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[str]:
    """A key prefix of this run's own in the local Redis, removed afterwards."""
    if not redis_answers():
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    prefix = f"involve-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


@pytest.fixture(scope="module")
def two_machines(shared_redis: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    yield from machines(tmp_path_factory.mktemp("scale-out"), REDIS_URL, shared_redis)


def text_in(server: Server, sender: str, body: str) -> Answer:
    sid = new_sid()
    params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
              "From": sender, "To": SERVICE_NUMBER, "Body": body, "NumMedia": "0",
              "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    return post(f"{server.base_url}/sms/twilio", urllib.parse.urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": sign(params, INBOUND_URL)})


def send_forms(servers: list[Server], times: int) -> list[int]:
    """The public form sent ``times`` times from one address, to each machine in turn."""
    body = urllib.parse.urlencode({"feedback": "The waiting room was cold"}).encode()
    return [post(f"{servers[n % len(servers)].base_url}/feedback", body,
                 {"Content-Type": "application/x-www-form-urlencoded"}).status
            for n in range(times)]


def test_a_conversation_moves_between_machines_turn_by_turn(two_machines: list[Server]) -> None:
    sender = "+447700900671"
    turns = ["My GP surgery never answers the phone and I waited three weeks", "YES", "4", "6",
             "YES"]
    answers = [text_in(two_machines[n % 2], sender, body) for n, body in enumerate(turns)]
    assert [answer.status for answer in answers] == [200] * len(turns)
    assert b"Is this about GP?" in answers[0].body
    assert REFERENCE.findall(answers[-1].body.decode())   # finished on the other machine


def test_rate_limits_kept_in_redis_are_one_limit_across_machines(two_machines: list[Server]) -> None:
    statuses = send_forms(two_machines, FORM_LIMIT + 2)
    assert 429 not in statuses[:FORM_LIMIT]
    assert statuses[FORM_LIMIT:] == [429, 429]


def test_rate_limits_kept_in_memory_are_each_machines_own(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp("scale-out-memory")
    for servers in machines(directory, "memory://", "unused"):
        statuses = send_forms(servers, FORM_LIMIT + 2)   # 3 on each machine: under its own limit
        assert 429 not in statuses

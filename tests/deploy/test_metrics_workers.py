"""`GET /metrics` under real gunicorn with deploy/gunicorn.conf.py and several workers: every
scrape, whichever worker answers it, reports what all the workers counted, and a worker that
died still counts; the server's log is JSON lines with request ids and no sender's number.

SQLite keeps this test free of PostgreSQL: the metrics do not depend on the database kind."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from twilio.request_validator import RequestValidator

from tests.reliability.server_gunicorn import (
    Server,
    all_at_once,
    get,
    migrated_sqlite_env,
    post,
    running_deployed,
)

PUBLIC_BASE_URL = "https://intake.example.test"
AUTH_TOKEN = "metrics-test-auth-token"
SENDERS = [f"+4477009005{n:02d}" for n in range(6)]
HEALTH_CHECKS = 24
WAIT_SECONDS = 60.0


@dataclass
class Served:
    server: Server
    metrics_dir: Path


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("metrics-workers")
    env = migrated_sqlite_env(directory, PUBLIC_BASE_URL=PUBLIC_BASE_URL,
                              TWILIO_ACCOUNT_SID="AC" + "7" * 32, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                              TWILIO_FROM_NUMBER="+447700900000", WEB_CONCURRENCY="3")
    with running_deployed(env, directory / "gunicorn.log") as server:
        yield Served(server, directory / "metrics")


def scrape(served: Served) -> str:
    answer = get(f"{served.server.base_url}/metrics", seconds=10)
    assert answer.status == 200
    return answer.body.decode()


def text_in(served: Served, sender: str, body: str) -> int:
    params = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "To": "+447700900000",
              "Body": body, "AccountSid": "AC" + "7" * 32, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/sms/twilio", params)
    return post(f"{served.server.base_url}/sms/twilio", urllib.parse.urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": str(signature)}).status


def worker_pids(served: Served) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in served.metrics_dir.glob("counter_*.db")}


def test_every_scrape_reports_what_all_the_workers_counted(served: Served) -> None:
    before = sample(scrape(served), "intake_http_requests_total", endpoint="health.healthz",
                    method="GET", status="200")
    statuses = all_at_once([lambda: get(f"{served.server.base_url}/healthz").status] * HEALTH_CHECKS)
    assert statuses == [200] * HEALTH_CHECKS
    texts = all_at_once([lambda sender=sender: text_in(served, sender, "My GP never answers the phone")
                         for sender in SENDERS])
    assert texts == [200] * len(SENDERS)

    for _ in range(6):  # whichever worker answers
        text = scrape(served)
        assert sample(text, "intake_http_requests_total", endpoint="health.healthz", method="GET",
                      status="200") == before + HEALTH_CHECKS
        assert sample(text, "intake_messages_received_total", channel="sms",
                      duplicate="false") == len(SENDERS)
        assert sample(text, "intake_database_up") == 1

    # A worker killed outright: its counts stay in every later scrape, now answered by others.
    counted = worker_pids(served)
    assert counted
    victim = max(counted)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            text = scrape(served)
            break
        except (OSError, AssertionError):
            assert time.monotonic() < deadline, served.server.output()[-3000:]
            time.sleep(0.2)
    assert sample(text, "intake_messages_received_total", channel="sms",
                  duplicate="false") == len(SENDERS)
    assert sample(text, "intake_http_requests_total", endpoint="health.healthz", method="GET",
                  status="200") == before + HEALTH_CHECKS


def test_the_servers_log_is_json_lines_with_request_ids_and_no_numbers(served: Served) -> None:
    assert get(f"{served.server.base_url}/healthz").status == 200
    text_in(served, SENDERS[0], "The pharmacy was closed again")
    deadline = time.monotonic() + WAIT_SECONDS
    while '"path": "/sms/twilio"' not in served.server.output():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    lines = [json.loads(line) for line in served.server.output().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access and all(len(line["request_id"]) == 32 for line in access)
    assert {"method", "path", "status", "duration_ms"} <= set(access[-1])
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    output = served.server.output()
    for personal in (*SENDERS, "7700900", "pharmacy", AUTH_TOKEN):
        assert personal not in output

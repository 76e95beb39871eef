"""The outbox sends a message at most once per intent: a worker killed mid-send leaves the
message ``sending`` for a person to check (another worker does not send it again), and several
workers sharing the queue never send one message twice.

Sending goes for real over HTTP (TwilioSender) to a local fake of Twilio that records each
request; the killed worker is a real `intake worker` process, ended with SIGKILL while the fake
holds its request.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, event, select

from intake.bootstrap import Runtime
from intake.cli import main
from intake.contributors import contributor_for
from intake.outbox import DeliveryReport, OutboxWorker, enqueue
from intake.storage.models import OutboundMessage, OutboundStatus
from tests.conftest import database_name, settings_env
from tests.reliability.conftest import Tally
from webhooks.sms.sender import TwilioSender
from webhooks.sms.settings import TwilioSettings

from .server_gunicorn import ROOT, server_env
from .server_provider import FakeProvider, running_fake_provider

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "outbox-token"
SERVICE_NUMBER = "+447700900000"
PUBLIC_BASE_URL = "https://intake.example.test"
WAIT_SECONDS = 90.0


def real_now() -> datetime:
    return datetime.now(UTC)


def queue(runtime: Runtime, count: int, numbers: int = 1) -> dict[str, int]:
    """``count`` follow-ups over ``numbers`` people, due now; returns body -> message id."""
    due = real_now() - timedelta(minutes=1)
    queued: dict[str, int] = {}
    with runtime.sessions.begin() as session:
        addresses = [contributor_for(session, runtime.intake.vault, "sms",
                                     f"+4477009{70000 + n:05d}", due)[1] for n in range(numbers)]
        session.flush()
        for index in range(count):
            body = f"Follow-up {index}: the surgery has more phone lines now."
            message = enqueue(session, intent_key=f"follow-up:reliability:{index}",
                              address=addresses[index % numbers], purpose="follow-up", body=body,
                              language="en", now=due)
            session.flush()
            queued[body] = message.id
    return queued


def statuses(runtime: Runtime) -> Counter[str]:
    with runtime.sessions() as session:
        return Counter(str(s) for s in session.scalars(select(OutboundMessage.status)))


def twilio_env(fake: FakeProvider) -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": SERVICE_NUMBER, "TWILIO_API_BASE_URL": fake.base_url}


def sender(fake: FakeProvider) -> TwilioSender:
    return TwilioSender(TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                                       from_number=SERVICE_NUMBER, messaging_service_sid="",
                                       api_base_url=fake.base_url), PUBLIC_BASE_URL)


def outbox_worker(runtime: Runtime, fake: FakeProvider) -> OutboxWorker:
    return OutboxWorker(runtime.sessions, runtime.intake.vault, {"sms": sender(fake)}, real_now)


def tally_sends(tally: Tally, fake: FakeProvider, bodies: list[str]) -> Counter[str]:
    sent = Counter(form.get("Body", "") for form in fake.sends)
    tally.add("records_checked", len(bodies))
    tally.add("records_lost", sum(1 for body in bodies if sent[body] == 0))
    tally.add("records_duplicated", sum(sent[body] - 1 for body in bodies if sent[body] > 1))
    return sent


def test_a_worker_killed_mid_send_leaves_the_message_sending_and_no_worker_sends_it_again(
        runtime: Runtime, database_url: str, tmp_path: Path, reliability_tally: Tally) -> None:
    [(body, message_id)] = queue(runtime, 1).items()
    env = {**settings_env(database_url, tmp_path / "instance")}
    with running_fake_provider() as fake:
        fake.holding = True
        worker = subprocess.Popen(
            [sys.executable, "-c", "from intake.cli import main; main()", "worker",
             "--interval", "0.2"], cwd=ROOT, env=server_env(env, **twilio_env(fake)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            arrived = fake.arrived.wait(WAIT_SECONDS)
            os.kill(worker.pid, signal.SIGKILL)  # mid-send: the provider has not answered
        finally:
            if worker.poll() is None:
                worker.kill()
            output = worker.communicate(timeout=30)[0].decode(errors="replace")
        reliability_tally.add("faults_injected")
        assert arrived, f"the worker never sent:\n{output}"
        assert worker.returncode == -signal.SIGKILL
        fake.holding = False
        fake.release.set()

        with runtime.sessions() as session:
            left = session.get_one(OutboundMessage, message_id)
        assert (left.status, left.attempts, left.provider_message_id) == (
            OutboundStatus.SENDING, 1, None)

        again = CliRunner().invoke(main, ["worker", "--once"], env={**env, **twilio_env(fake)},
                                   catch_exceptions=False)
        again_in_process = outbox_worker(runtime, fake).run_once()

    sent = tally_sends(reliability_tally, fake, [body])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "sent 0, retrying 0, failed 0, cancelled 0"
    assert again_in_process == DeliveryReport()
    assert sent == {body: 1}
    with runtime.sessions() as session:
        assert session.get_one(OutboundMessage, message_id).status == OutboundStatus.SENDING


def test_a_second_worker_claiming_between_the_first_ones_read_and_write_sends_nothing_twice(
        runtime: Runtime, database_url: str, request: pytest.FixtureRequest,
        reliability_tally: Tally) -> None:
    """Worker B runs its whole cycle at the worst moment for worker A: after A has read the
    due messages and before it has marked them ``sending``. Each message must still go once."""
    queued = queue(runtime, 3)
    engine: Engine = runtime.engine
    first = threading.current_thread()
    second: list[DeliveryReport] = []

    with running_fake_provider() as fake:
        def between_read_and_write(_conn: object, _cursor: object, statement: str,
                                   *_args: object) -> None:
            if (threading.current_thread() is first and not second
                    and statement.lstrip().upper().startswith("SELECT")
                    and "FROM outbound_message" in statement and "next_attempt_at" in statement):
                thread = threading.Thread(
                    target=lambda: second.append(outbox_worker(runtime, fake).run_once()))
                second.append(DeliveryReport())  # fire once
                thread.start()
                thread.join(WAIT_SECONDS)
                assert not thread.is_alive(), "the second worker hung"
                second.pop(0)

        event.listen(engine, "after_cursor_execute", between_read_and_write)
        try:
            report = outbox_worker(runtime, fake).run_once()
        finally:
            event.remove(engine, "after_cursor_execute", between_read_and_write)

    sent = tally_sends(reliability_tally, fake, list(queued))
    assert second, "the second worker did not run"
    assert report.sent + second[0].sent == len(queued)
    assert sent == dict.fromkeys(queued, 1)
    assert statuses(runtime) == {"sent": len(queued)}


@pytest.mark.postgres
def test_four_workers_on_postgresql_send_two_hundred_messages_each_exactly_once(
        runtime: Runtime, database_url: str, reliability_tally: Tally) -> None:
    if database_name(database_url) != "postgresql":
        pytest.skip("several workers at once is the PostgreSQL deployment (SKIP LOCKED)")
    queued = queue(runtime, 200, numbers=20)
    barrier = threading.Barrier(4, timeout=WAIT_SECONDS)
    reports: list[list[DeliveryReport]] = [[] for _ in range(4)]

    with running_fake_provider() as fake:
        def work(mine: list[DeliveryReport]) -> None:
            worker = outbox_worker(runtime, fake)  # each its own HTTP client
            barrier.wait()
            while (report := worker.run_once(limit=5)) != DeliveryReport():
                mine.append(report)

        threads = [threading.Thread(target=work, args=(mine,)) for mine in reports]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS)
        assert not any(thread.is_alive() for thread in threads), "a worker hung"

    sent = tally_sends(reliability_tally, fake, list(queued))
    assert sent == dict.fromkeys(queued, 1)
    assert sum(r.sent for mine in reports for r in mine) == len(queued)
    assert sum(1 for mine in reports if any(r.sent for r in mine)) >= 2, "the work was not shared"
    assert statuses(runtime) == {"sent": len(queued)}
    with runtime.sessions() as session:
        ids = list(session.scalars(select(OutboundMessage.provider_message_id)))
    assert len(set(ids)) == len(queued)

"""Resident memory of the two long-running processes, after realistic work, against 200 MB each.

* A gunicorn web worker (``gunicorn -c deploy/gunicorn.conf.py webhooks.wsgi:app``, production
  settings) after a warm-up through 127.0.0.1: SMS conversation turns (signed Twilio webhooks, as
  in benchmarks/webhook_load.py), public web forms filled in and sent, and a staff member signing
  in and opening the queue. Every worker and the master are measured.
* `intake worker` after sending a batch of queued messages to a local fake of Twilio's API
  (tests/reliability/server_provider.py) and closing SMS conversations that went quiet (their
  answers go through the pipeline, so the worker builds the taggers too), measured while it
  idles between cycles.

RSS counts every page the process can touch, pages shared with the gunicorn master (and so with
the other workers) in full; PSS shares them out; USS is what the process holds alone (what
ending it would free). Then, to show what holds the memory, the RSS of a fresh interpreter at
each step of building the web app.

    .venv/bin/python -m benchmarks.memory [--database postgresql] [--workers 2] [--threads 4]
        [--turns 300] [--forms 6] [--staff-pages 6] [--outbox 50] [--quiet-conversations 10]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.machine import describe
from benchmarks.measure import ProcessMemory, process_memory
from benchmarks.served import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    ROOT,
    SERVICE_NUMBER,
    Gunicorn,
    fresh_database,
    production_env,
    running_gunicorn,
    stop,
)
from benchmarks.sms_traffic import Traffic
from bot.state import ChatState
from intake.bootstrap import build_runtime
from intake.config import load_config
from intake.contributors import contributor_for
from intake.outbox import enqueue
from intake.settings import Settings
from intake.staff.accounts import create_user
from intake.storage.database import make_engine
from intake.storage.models import Conversation, ConversationStatus
from tests.reliability.server_provider import running_fake_provider

TARGET_MB = 200.0
STAFF_EMAIL = "benchmark.reviewer@example.org"
STAFF_PASSWORD = "a long benchmark passphrase 42"
FORM_ANSWERS = {
    "about": "someone", "service": "gp", "fft": "poor", "needs": "bsl-interpreter",
    "interpreter": "", "contact": "sms", "phone": "07700 900 123",
    "what": "My dad is deaf and the GP surgery would not book a BSL interpreter for him.",
}
WAIT_SECONDS = 120.0
# Each step runs in a fresh interpreter that prints its own memory (RSS, PSS, USS).
IMPORT_STEPS = [
    ("python alone", ""),
    ("+ import flask, sqlalchemy, twilio", "import flask, sqlalchemy, twilio.twiml"),
    ("+ import webhooks (every module)", "import webhooks"),
    ("+ create_app()", "import webhooks; app = webhooks.create_app()"),
    ("+ taggers built (webhooks.wsgi)", "import webhooks.wsgi"),
]


class Browser:
    """httpx with cookies kept by hand: the app's cookies are Secure in production, and the
    requests say they came over https through the proxy (X-Forwarded-Proto from 127.0.0.1, as
    nginx sends), though they reach gunicorn over plain http."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60.0)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **options: object) -> httpx.Response:
        host = self.client.base_url.netloc.decode()
        # The Referer a browser sends: Flask-WTF checks it on https requests.
        headers = {"X-Forwarded-Proto": "https", "Referer": f"https://{host}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **options)  # type: ignore[arg-type]
        for cookie in response.headers.get_list("set-cookie"):
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def field(self, path: str, name: str) -> str:
        page = self.request("GET", path).text
        found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', page) or re.search(
            rf'value="([^"]+)"[^>]*name="{name}"', page)
        if found is None:
            raise RuntimeError(f"no {name} field on {path}")
        return found.group(1)

    def close(self) -> None:
        self.client.close()


def sms_turns(server: Gunicorn, turns: int) -> int:
    traffic = Traffic(PUBLIC_BASE_URL + "/sms/twilio", AUTH_TOKEN, SERVICE_NUMBER, ACCOUNT_SID)
    ok = 0
    with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
        for _ in range(turns):
            delivery = traffic.next()
            response = client.post("/sms/twilio", content=delivery.body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": delivery.signature})
            ok += response.status_code == 200
            traffic.answered(delivery, response.status_code == 200, response.content)
    return ok


def web_forms(server: Gunicorn, count: int) -> int:
    sent = 0
    for _ in range(count):
        browser = Browser(server.base_url)
        try:
            page = browser.request("GET", "/feedback").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            submission = re.search(r'name="submission"[^>]*value="([^"]+)"', page)
            if token is None or submission is None:
                raise RuntimeError("the feedback form has no csrf_token or submission field")
            response = browser.request("POST", "/feedback", data={
                "csrf_token": token.group(1), "submission": submission.group(1), **FORM_ANSWERS})
            if response.status_code == 302:
                sent += browser.request("GET", response.headers["Location"]).status_code == 200
        finally:
            browser.close()
    return sent


def staff_pages(server: Gunicorn, count: int) -> int:
    opened = 0
    for _ in range(count):
        browser = Browser(server.base_url)
        try:
            token = browser.field("/staff/login", "csrf_token")
            signed_in = browser.request("POST", "/staff/login", data={
                "email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token})
            if signed_in.status_code == 302:
                opened += browser.request("GET", "/staff/queue").status_code == 200
        finally:
            browser.close()
    return opened


def queue_outbox(env: dict[str, str], url: str, count: int, quiet: int) -> None:
    """``count`` follow-ups to drama numbers, due now; ``quiet`` SMS conversations silent for
    longer than the idle time (the worker closes them); a staff account for the warm-up."""
    engine = make_engine(url)
    try:
        runtime = build_runtime(settings=Settings.from_env(env), config=load_config(), engine=engine)
        now = datetime.now(UTC)
        with runtime.sessions.begin() as session:
            create_user(session, STAFF_EMAIL, "reviewer", STAFF_PASSWORD, now,
                        display_name="Benchmark reviewer")
            for index in range(count):
                _, address = contributor_for(session, runtime.intake.vault, "sms",
                                             f"+447700900{500 + index % 400:03d}", now)
                session.flush()
                enqueue(session, intent_key=f"follow-up:memory-benchmark:{index}", address=address,
                        purpose="follow-up", language="en", now=now - timedelta(minutes=1),
                        body=f"Follow-up {index}: the surgery has more phone lines now.")
            silent_since = now - timedelta(days=1)
            for index in range(quiet):
                _, address = contributor_for(session, runtime.intake.vault, "sms",
                                             f"+447700900{100 + index % 300:03d}", silent_since)
                state = ChatState(language="en", step="rating", services=("gp",),
                                  done=("about", "feedback"),
                                  texts=(f"My GP never answers the phone ({index})",))
                session.add(Conversation(channel="sms", address_hash=address.address_hash,
                                         contributor_id=address.contributor_id,
                                         state=state.to_json(), started_at=silent_since,
                                         last_activity_at=silent_since))
    finally:
        engine.dispose()


def outbox_worker_memory(env: dict[str, str], url: str, count: int,
                         workdir: Path) -> tuple[ProcessMemory, int, int]:
    """Start `intake worker`, let it send the queued batch to the fake provider and close the
    quiet conversations, measure it. Returns its memory, messages sent and quiet conversations
    left (0)."""
    with running_fake_provider() as fake:
        log = workdir / "intake-worker.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", "from intake.cli import main; main()", "worker",
                 "--interval", "1"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                env={**env, "TWILIO_API_BASE_URL": fake.base_url}, start_new_session=True)
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while len(fake.sends) < count or quiet_conversations(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"intake worker sent {len(fake.sends)} of {count}:\n"
                                       + log.read_text(errors="replace"))
                time.sleep(0.2)
            time.sleep(2.5)  # its statuses recorded, and one idle cycle more
            return process_memory(process.pid), len(fake.sends), quiet_conversations(url)
        finally:
            stop(process)


def quiet_conversations(url: str) -> int:
    """Open conversations silent for hours (the ones queued for the worker to close; those the
    web warm-up left open are minutes old)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Conversation).where(
                Conversation.status == ConversationStatus.OPEN,
                Conversation.last_activity_at < datetime.now(UTC) - timedelta(hours=1))) or 0)
    finally:
        engine.dispose()


def import_steps(env: dict[str, str]) -> list[tuple[str, ProcessMemory]]:
    steps = []
    for label, code in IMPORT_STEPS:
        script = (f"{code}\nimport json, os\nfrom benchmarks.measure import process_memory\n"
                  "print(json.dumps(process_memory(os.getpid()).__dict__))")
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                              text=True, check=False, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"{label}: {done.stderr}")
        steps.append((label, ProcessMemory(**json.loads(done.stdout.strip().splitlines()[-1]))))
    return steps


def line(label: str, memory: ProcessMemory, target: bool = True) -> str:
    verdict = ""
    if target:
        verdict = "  target < 200 MB: " + ", ".join(
            f"{name} {'met' if value < TARGET_MB else 'MISSED'}"
            for name, value in (("RSS", memory.rss), ("PSS", memory.pss), ("USS", memory.uss)))
    return (f"{label:<40} RSS {memory.rss:7.1f} MB  PSS {memory.pss:7.1f} MB  "
            f"USS {memory.uss:7.1f} MB{verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql", choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=4, help="WEB_THREADS")
    parser.add_argument("--turns", type=int, default=300, help="SMS conversation turns")
    parser.add_argument("--forms", type=int, default=6, help="web forms sent")
    parser.add_argument("--staff-pages", type=int, default=6, help="staff sign-ins + queue pages")
    parser.add_argument("--outbox", type=int, default=50, help="messages the worker sends")
    parser.add_argument("--quiet-conversations", type=int, default=10,
                        help="SMS conversations gone quiet, for the worker to close")
    parser.add_argument("--no-import-steps", action="store_true")
    args = parser.parse_args(argv)

    print(describe().line())
    print(f"server: gunicorn -c deploy/gunicorn.conf.py webhooks.wsgi:app; WEB_CONCURRENCY="
          f"{args.workers} WEB_THREADS={args.threads}; INTAKE_ENV=production; {args.database}")
    with tempfile.TemporaryDirectory(prefix="memory-") as directory:
        workdir = Path(directory)
        with fresh_database(args.database, workdir) as url:
            env = production_env(url, workdir / "instance")
            queue_outbox(env, url, args.outbox, args.quiet_conversations)
            with running_gunicorn(env, workdir, "webhooks.wsgi:app", args.workers,
                                  args.threads) as server:
                turns = sms_turns(server, args.turns)
                forms = web_forms(server, args.forms)
                pages = staff_pages(server, args.staff_pages)
                print(f"warm-up: {turns}/{args.turns} SMS turns answered, {forms}/{args.forms} web "
                      f"forms sent, {pages}/{args.staff_pages} staff sign-ins with the queue page")
                workers = {pid: process_memory(pid) for pid in server.worker_pids()}
                master = process_memory(server.master_pid)
            worker_memory, sent, left = outbox_worker_memory(env, url, args.outbox, workdir)
            steps = [] if args.no_import_steps else import_steps(env)
    print(line("gunicorn master", master, target=False))
    for number, (_, memory) in enumerate(sorted(workers.items()), 1):
        print(line(f"gunicorn web worker {number}", memory))
    print(line(f"intake worker (after sending {sent})", worker_memory))
    print(f"  and closing {args.quiet_conversations - left} of {args.quiet_conversations} quiet "
          "conversations (the pipeline ran in it)")
    if steps:
        print("what the web app's memory is made of (a fresh interpreter at each step):")
        for label, memory in steps:
            print(line(f"  {label}", memory, target=False))
    print(f"after: {describe().line()}")


if __name__ == "__main__":
    main()

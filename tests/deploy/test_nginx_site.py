"""deploy/nginx/involve-intake.conf, run by a real nginx over TLS in front of gunicorn started
with deploy/gunicorn.conf.py in production mode: what the file promises (https only, signed
webhooks answered, /metrics private, bodies limited as the app limits them, a request id in
both logs and no address or query string in nginx's) and that nginx's kept-alive connections
lose no request while gunicorn replaces its workers.

The app runs on SQLite here (the proxy does not care which database is behind it); the
production smoke test covers PostgreSQL.
"""

from __future__ import annotations

import re
import ssl
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

from intake.storage import migrate
from intake.storage.database import make_engine
from tests.bot.telegram.fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api, text_update
from tests.deploy.nginx_server import Nginx, check, nginx_or_skip, running_nginx, write_config
from tests.reliability.server_gunicorn import (
    Server,
    free_port,
    running_deployed,
    server_env,
)
from webhooks import MAX_REQUEST_BYTES
from webhooks.telegram.routes import SECRET_HEADER

HOST = "intake.example.test"
PUBLIC_BASE_URL = f"https://{HOST}"
ACCOUNT_SID = "AC" + "6" * 32
AUTH_TOKEN = "nginx-test-token-" + "b" * 16
SERVICE_NUMBER = "+447700900000"
TELEGRAM_SECRET = "nginx-webhook-secret_0123456789"
# Small, so the load test below sees gunicorn replace its workers many times.
MAX_REQUESTS = 20
ROUNDS = 6   # conversations each of 12 people has in the load test: 360 requests
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
LOG_WAIT_SECONDS = 5.0
T = TypeVar("T")
CONVERSATION = ("The GP reception never answers the phone and I waited three weeks",
                "YES", "4", "6", "YES")


@dataclass
class Site:
    nginx: Nginx
    app: Server
    client: httpx.Client
    bot_api: FakeBotApi

    def sms(self, sender: str, body: str, signed_path: str = "/sms/twilio") -> httpx.Response:
        """An SMS as Twilio posts it to the public https address, which nginx serves."""
        sid = f"SM{uuid.uuid4().hex}"
        params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": sender, "To": SERVICE_NUMBER, "Body": body, "NumMedia": "0",
                  "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_BASE_URL + signed_path, params)
        return self.client.post(f"{self.nginx.https_url}/sms/twilio",
                                content=urllib.parse.urlencode(params).encode(),
                                headers={"Host": HOST, "X-Twilio-Signature": str(signature),
                                         "Content-Type": "application/x-www-form-urlencoded"})


def logged(found: Callable[[], T], seconds: float = LOG_WAIT_SECONDS) -> T:
    """What ``found`` returns once it is truthy, or its last answer after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (answer := found()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return answer


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    nginx_or_skip()
    directory = tmp_path_factory.mktemp("nginx-site")
    database_url = f"sqlite:///{directory / 'intake.sqlite3'}"
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    port = free_port()
    env = server_env({
        "INTAKE_ENV": "production", "DATABASE_URL": database_url,
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "INTAKE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INTAKE_HASH_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "INTAKE_INSTANCE_PATH": str(directory / "instance"),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SERVICE_NUMBER,
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "BIND_HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2", "WEB_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
    })
    with running_fake_bot_api() as bot_api, \
            running_deployed({**env, "TELEGRAM_API_BASE_URL": bot_api.base_url},
                             directory / "gunicorn.log", "--max-requests", str(MAX_REQUESTS),
                             "--max-requests-jitter", "5") as app, \
            running_nginx(directory / "nginx", HOST, port) as nginx, \
            httpx.Client(verify=ssl.create_default_context(cafile=nginx.certificate.certificate),
                         timeout=30) as client:
        yield Site(nginx, app, client, bot_api)


def test_nginx_accepts_the_site_file(tmp_path: Path) -> None:
    """`nginx -t`, as the deployment steps run it: the file works on the nginx of Debian 12."""
    checked = check(write_config(tmp_path, HOST, free_port()))
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_a_signed_sms_over_https_is_answered_and_a_forged_one_refused(site: Site) -> None:
    answered = site.sms("+447700900301", CONVERSATION[0])
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith(("text/xml", "application/xml"))
    assert "<Message>" in answered.text

    forged = site.sms("+447700900302", CONVERSATION[0], signed_path="/sms/another")
    assert forged.status_code == 403


def test_a_telegram_update_keeps_its_secret_header_through_nginx(site: Site) -> None:
    chat = 778001
    update = text_update(910_001, "The maternity ward was short of staff at night", chat_id=chat)
    answer = site.client.post(f"{site.nginx.https_url}/telegram/webhook", json=update,
                              headers={"Host": HOST, SECRET_HEADER: TELEGRAM_SECRET})
    assert answer.status_code == 200, answer.text
    site.bot_api.wait_for("sendMessage", 1)
    assert site.bot_api.texts(chat)

    wrong = site.client.post(f"{site.nginx.https_url}/telegram/webhook", json=update,
                             headers={"Host": HOST, SECRET_HEADER: "not-the-secret"})
    assert wrong.status_code == 403


def test_plain_http_is_sent_to_https(site: Site) -> None:
    answer = site.client.get(f"{site.nginx.http_url}/feedback?from=poster",
                             headers={"Host": HOST}, follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == f"https://{HOST}/feedback?from=poster"


def test_metrics_are_not_served_through_the_proxy(site: Site) -> None:
    answer = site.client.get(f"{site.nginx.https_url}/metrics", headers={"Host": HOST})
    assert answer.status_code == 404
    assert answer.headers.get("server") == "nginx"  # answered by nginx, never reaching the app
    assert "x-request-id" not in answer.headers


def test_a_body_over_the_apps_limit_is_refused_by_nginx(site: Site) -> None:
    answer = site.client.post(f"{site.nginx.https_url}/sms/twilio", headers={"Host": HOST},
                              content=b"x" * (MAX_REQUEST_BYTES + 1))
    assert answer.status_code == 413
    assert answer.headers.get("server") == "nginx"


def test_one_request_id_in_both_logs_and_no_address_or_query_in_nginx_log(site: Site) -> None:
    answer = site.client.get(f"{site.nginx.https_url}/healthz?postcode=ZZ99ZZ",
                             headers={"Host": HOST, "X-Request-ID": "chosen-by-the-client"})
    assert answer.status_code == 200
    request_id = answer.headers["x-request-id"]
    assert REQUEST_ID.match(request_id), request_id   # nginx's own, not the client's

    # Both servers write their access line once the answer has gone: wait for it.
    [line] = logged(lambda: [line for line in site.nginx.access_log.read_text().splitlines()
                             if request_id in line])
    assert '"GET /healthz"' in line
    assert "127.0.0.1" not in line and "ZZ99ZZ" not in line and "postcode" not in line
    assert logged(lambda: request_id in site.app.output())  # gunicorn's line has the same id


def test_gunicorn_replacing_workers_loses_no_request_behind_nginx(site: Site) -> None:
    """nginx keeps connections to gunicorn open between requests. gunicorn closes those of a
    worker it replaces (here every ~20 requests), and a POST that met such a close would be
    answered 502 by nginx, which does not retry a POST. Every one must be answered."""
    def converse(person: int) -> Counter[int]:
        sender = f"+4477009004{person:02d}"
        return Counter(site.sms(sender, text).status_code
                       for _ in range(ROUNDS) for text in CONVERSATION)

    restarts_before = site.app.output().count("Autorestarting worker")
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sum(pool.map(converse, range(12)), Counter[int]())
    assert statuses == Counter({200: 12 * ROUNDS * len(CONVERSATION)})
    assert site.app.output().count("Autorestarting worker") - restarts_before >= 10

"""No personal data and no secret reaches a log line, on any channel: the harness RapidPro's
courier runs every channel through, in our terms.

Each case drives real requests through the real app (a signed SMS and its delivery report, a
Telegram update, the web form, the API) with every log line captured as production writes it
(JSON, and text) at debug level, the libraries held where production holds them. Then: the
sender's number in any form, the text they sent, the Telegram chat id, the email address, the
client's address, the query string and every token appear in no line, while each request's id
does.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from flask.testing import FlaskClient

from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.observability.logs import JsonFormatter, TextFormatter, logging_config
from tests.bot.telegram.fake_bot_api import TOKEN as BOT_TOKEN
from tests.bot.telegram.fake_bot_api import running_fake_bot_api, text_update
from tests.webhooks.forms.conftest import open_form
from tests.webhooks.sms.conftest import PUBLIC_BASE_URL, build_channel, new_sid, sign
from webhooks import create_app
from webhooks.sms.settings import TwilioSettings
from webhooks.telegram.routes import BOT_KEY, SECRET_HEADER

AUTH_TOKEN = "twilio-auth-7Qx9Lm2Vb"
WEBHOOK_SECRET = "tg-secret-Hz81Pq"
METRICS_TOKEN = "metrics-token-" + "k" * 32
NUMBER = "+447700900461"
NUMBER_FORMS = (NUMBER, "07700900461", "07700 900461", "7700900461", "447700900461")
CHAT_ID = 918273645
EMAIL = "carer.unique@example.org"
CLIENT_ADDRESS = "203.0.113.77"
QUERY_SECRET = "leaflet-campaign-q7"
API_TOKEN = "ii_notarealtoken0123456789abcdef"
TEXT = "The walk-in centre on Fenwick Street sent my mum home with a broken wrist"
ENVIRON = {"REMOTE_ADDR": CLIENT_ADDRESS}


@dataclass
class Captured:
    json_stream: io.StringIO
    text_stream: io.StringIO

    @property
    def text(self) -> str:
        return self.json_stream.getvalue() + self.text_stream.getvalue()

    @property
    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.json_stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Every log record of the process, formatted as it is written (so the request id bound at
    that moment is in it), at debug level, with the levels production gives libraries."""
    root = logging.getLogger()
    capture = Captured(io.StringIO(), io.StringIO())
    handlers = [logging.StreamHandler(capture.json_stream), logging.StreamHandler(capture.text_stream)]
    handlers[0].setFormatter(JsonFormatter())
    handlers[1].setFormatter(TextFormatter())
    levels = {name: settings["level"]
              for name, settings in logging_config({"LOG_LEVEL": "debug"})["loggers"].items()}
    saved = {name: logging.getLogger(name).level for name in levels}
    saved_root = root.level
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield capture
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def request_id(case: str, number: int) -> str:
    return f"req-{case}-{number:04d}-abcdef"


# -- the channels, each driven the way its provider or a person drives it ----------------------

def drive_sms(runtime: Runtime, ids: Callable[[], str]) -> None:
    settings = TwilioSettings(account_sid="AC" + "1" * 32, auth_token=AUTH_TOKEN,
                              from_number="+447700900000", messaging_service_sid="",
                              api_base_url="https://api.twilio.test")
    channel = build_channel(runtime, replace(settings))
    for body in (TEXT, "1", "STOP"):
        params = channel.payload(NUMBER, body)
        response = channel.client.post("/sms/twilio", data=params, environ_base=ENVIRON, headers={
            "X-Twilio-Signature": sign(params, PUBLIC_BASE_URL + "/sms/twilio", AUTH_TOKEN),
            "X-Request-ID": ids()})
        assert response.status_code == 200
    # A forged request (wrong signature) is logged as refused.
    params = channel.payload(NUMBER, TEXT)
    refused = channel.client.post("/sms/twilio", data=params, environ_base=ENVIRON, headers={
        "X-Twilio-Signature": sign(params, PUBLIC_BASE_URL + "/sms/twilio", "another-token"),
        "X-Request-ID": ids()})
    assert refused.status_code == 403
    # A delivery report names the number it was delivered to.
    report = {"MessageSid": new_sid(), "MessageStatus": "delivered", "AccountSid": settings.account_sid,
              "From": settings.from_number, "To": NUMBER, "ApiVersion": "2010-04-01"}
    delivered = channel.client.post("/sms/twilio/status", data=report, environ_base=ENVIRON, headers={
        "X-Twilio-Signature": sign(report, PUBLIC_BASE_URL + "/sms/twilio/status", AUTH_TOKEN),
        "X-Request-ID": ids()})
    assert delivered.status_code in (200, 204)


def drive_telegram(runtime: Runtime, ids: Callable[[], str]) -> None:
    with running_fake_bot_api() as api:
        settings = TelegramSettings(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET,
                                    api_base_url=api.base_url)
        app = create_app({"TESTING": True, "TELEGRAM": settings}, runtime=runtime)
        client = app.test_client()
        try:
            for update_id, text in ((501, "/start"), (502, TEXT), (503, "/stop")):
                response = client.post("/telegram/webhook", json=text_update(update_id, text, CHAT_ID),
                                       environ_base=ENVIRON,
                                       headers={SECRET_HEADER: WEBHOOK_SECRET, "X-Request-ID": ids()})
                assert response.status_code == 200
            refused = client.post("/telegram/webhook", json=text_update(504, TEXT, CHAT_ID),
                                  environ_base=ENVIRON,
                                  headers={SECRET_HEADER: "wrong-secret", "X-Request-ID": ids()})
            assert refused.status_code == 403
            assert any(call.method == "sendMessage" for call in api.calls)  # the bot did answer
        finally:
            bot = app.extensions.get(BOT_KEY)
            if bot is not None:
                bot.close()


def form_client(runtime: Runtime) -> FlaskClient:
    return create_app({"TESTING": True}, runtime=runtime).test_client()


def drive_form(runtime: Runtime, ids: Callable[[], str]) -> None:
    client = form_client(runtime)
    for contact in ({"contact": "sms", "phone": "07700 900461"}, {"contact": "email", "email": EMAIL}):
        token, submission = open_form(client)
        answers = {"csrf_token": token, "submission": submission, "about": "someone", "service": "gp",
                   "fft": "poor", "needs": ["bsl-interpreter"], "interpreter": "", "what": TEXT, **contact}
        response = client.post(f"/feedback?utm_source={QUERY_SECRET}", data=answers,
                               environ_base=ENVIRON, headers={"X-Request-ID": ids()})
        assert response.status_code == 302
    # A form with a mistake is shown again with what was typed.
    shown_again = client.post(f"/feedback?q={QUERY_SECRET}", environ_base=ENVIRON,
                              data={"what": TEXT, "contact": "email", "email": "not-an-address " + EMAIL},
                              headers={"X-Request-ID": ids()})
    assert shown_again.status_code == 400


def drive_api_and_metrics(runtime: Runtime, ids: Callable[[], str]) -> None:
    client = create_app({"TESTING": True, "METRICS_TOKEN": METRICS_TOKEN}, runtime=runtime).test_client()
    unknown = client.get(f"/api/v1/feedback?q={QUERY_SECRET}", environ_base=ENVIRON,
                         headers={"Authorization": f"Bearer {API_TOKEN}", "X-Request-ID": ids()})
    assert unknown.status_code == 401
    scraped = client.get("/metrics", environ_base=ENVIRON, headers={
        "Authorization": f"Bearer {METRICS_TOKEN}", "X-Request-ID": ids()})
    assert scraped.status_code == 200
    refused = client.get("/metrics", environ_base=ENVIRON, headers={
        "Authorization": f"Bearer {METRICS_TOKEN}0", "X-Request-ID": ids()})
    assert refused.status_code == 401


CASES = {"sms": drive_sms, "telegram": drive_telegram, "web form": drive_form,
         "api and metrics": drive_api_and_metrics}
NEVER_LOGGED = (*NUMBER_FORMS, str(CHAT_ID), EMAIL, CLIENT_ADDRESS, QUERY_SECRET, TEXT, TEXT[:30],
                "Fenwick", AUTH_TOKEN, BOT_TOKEN, WEBHOOK_SECRET, METRICS_TOKEN, API_TOKEN)


@pytest.mark.parametrize("case", list(CASES))
def test_no_personal_data_or_secret_reaches_a_log_line(case: str, runtime: Runtime,
                                                       captured: Captured) -> None:
    used: list[str] = []

    def next_id() -> str:
        used.append(request_id(case.replace(" ", "-"), len(used)))
        return used[-1]

    CASES[case](runtime, next_id)

    logged = captured.text
    assert logged, "nothing was logged: the harness captured nothing"
    for secret in NEVER_LOGGED:
        assert secret not in logged, f"{secret!r} reached the log"
    # Every request has a line of its own with its id, in JSON and in text.
    ids_seen = {line.get("request_id") for line in captured.lines}
    assert set(used) <= ids_seen
    for each in used:
        assert f"[{each}]" in captured.text_stream.getvalue()


def test_the_harness_would_see_a_leak(runtime: Runtime, captured: Captured) -> None:
    """Guards the harness: what a careless line would write is caught."""
    logging.getLogger("webhooks.sms.routes").warning("text from %s: %s", NUMBER, TEXT)
    assert NUMBER in captured.text and TEXT in captured.text


def test_holding_the_http_library_is_what_keeps_the_bot_token_out(runtime: Runtime, captured: Captured,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the harness and the setting: at INFO, httpx logs every Bot API URL, token included."""
    monkeypatch.setattr(logging.getLogger("httpx"), "level", logging.INFO)
    ids = iter(range(100))
    drive_telegram(runtime, lambda: f"req-guard-{next(ids):04d}-abcdef")
    assert BOT_TOKEN in captured.text

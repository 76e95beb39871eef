"""`benchmarks.webhook_app`: the production WSGI app plus ``POST /bench/bare-sms``, the baseline
the SMS webhook is measured against, and ``POST /bench/stored-sms``, the floor under it. The bare
route checks the same form fields and answers the same TwiML shape through the same app (security
headers and all), with no signature and no database; the stored route checks the signature and
stores the message, as the real route does first, and holds no conversation. The module builds
the app from the environment when imported (as gunicorn imports it), so it is imported in a child
process with test settings, over a database file that must never be made while only the bare
route is used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import settings_env
from webhooks.security_headers import ALWAYS

ROOT = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "bare-test-token"
SERVICE_NUMBER = "+447700900000"
PUBLIC_BASE_URL = "https://intake.example.test"


def form(sid: str = "SM" + "c" * 32, sender: str = "+447700900123", **extra: str) -> dict[str, str]:
    return {"ToCountry": "GB", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
            "SmsStatus": "received", "Body": "My GP never answers the phone", "FromCountry": "GB",
            "To": SERVICE_NUMBER, "NumSegments": "1", "MessageSid": sid,
            "AccountSid": "AC" + "1" * 32, "From": sender, "ApiVersion": "2010-04-01", **extra}


def without(fields: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in fields.items() if key != name}


CASES: dict[str, dict[str, str]] = {
    "twilio": form(),
    "unsigned twilio with media": form(NumMedia="2", MediaContentType0="image/jpeg"),
    "media count not a number": form(NumMedia="many"),
    "no sid": without(form(), "MessageSid"),
    "empty sender": form(sender=""),
    "sid of 64 characters": form(sid="SM" + "d" * 62),
    "sid of 65 characters": form(sid="SM" + "d" * 63),
    "sender with a newline": form(sender="+447700900123\n"),
}

CHILD = """
import json, sys
from pathlib import Path
from sqlalchemy import event, text
from twilio.request_validator import RequestValidator
from benchmarks.webhook_app import BARE_PATH, BARE_REPLY, STORED_PATH, app
from intake.storage import migrate
from webhooks.runtime import RUNTIME_KEY

cases, database, real_form, signature, stored_form, stored_signature = json.loads(
    sys.stdin.read())
engine = app.extensions[RUNTIME_KEY].engine
statements = []
event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
client = app.test_client()

def answer(response):
    return {"status": response.status_code, "mimetype": response.mimetype,
            "body": response.get_data(as_text=True), "headers": dict(response.headers)}

bare = {name: answer(client.post(BARE_PATH, data=fields)) for name, fields in cases.items()}
found = {"bare": bare, "get": client.get(BARE_PATH).status_code,
         "statements": len(statements), "database_made": Path(database).exists(),
         "rules": sorted(rule.rule for rule in app.url_map.iter_rules()),
         "path": BARE_PATH, "reply": BARE_REPLY,
         "real_unsigned": client.post("/sms/twilio", data=real_form).status_code}
migrate.upgrade(engine)
found["real"] = answer(client.post("/sms/twilio", data=real_form,
                                   headers={"X-Twilio-Signature": signature}))
with engine.connect() as connection:
    conversations = connection.scalar(text("SELECT count(*) FROM conversation"))
signed = {"X-Twilio-Signature": stored_signature}
found["stored"] = {
    "unsigned": client.post(STORED_PATH, data=stored_form).status_code,
    "wrongly signed": client.post(STORED_PATH, data=stored_form,
                                  headers={"X-Twilio-Signature": signature}).status_code,
    "first": answer(client.post(STORED_PATH, data=stored_form, headers=signed)),
    "repeat": answer(client.post(STORED_PATH, data=stored_form, headers=signed)),
    "path": STORED_PATH}
with engine.connect() as connection:
    found["stored"]["rows"] = [
        [channel, state, bool(payload) and stored_form["From"][1:] not in payload]
        for channel, state, payload in connection.execute(text(
            "SELECT channel, state, payload_encrypted FROM inbound_message "
            "WHERE provider_message_id = :sid"), {"sid": stored_form["MessageSid"]})]
    found["stored"]["new conversations"] = connection.scalar(
        text("SELECT count(*) FROM conversation")) - conversations
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("webhook-app")
    database = directory / "never-until-migrated.sqlite3"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("INTAKE_", "DATABASE_", "TWILIO_", "TELEGRAM_", "PUBLIC_"))}
    env.update(settings_env(f"sqlite:///{database}", directory / "instance"))
    env.update({"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
                "TWILIO_FROM_NUMBER": SERVICE_NUMBER})
    real_form = form(sid="SM" + "e" * 32, Body="Hello")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"{PUBLIC_BASE_URL}/sms/twilio", real_form)
    stored_form = form(sid="SM" + "f" * 32, sender="+447700900456")
    stored_signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"{PUBLIC_BASE_URL}/bench/stored-sms", stored_form)
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False,
                          input=json.dumps([CASES, str(database), real_form, signature,
                                            stored_form, stored_signature]))
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def messages(body: str) -> tuple[str, list[tuple[str, dict[str, str], str]]]:
    root = ElementTree.fromstring(body)
    return root.tag, [(child.tag, dict(child.attrib), child.text or "") for child in root]


def test_the_bare_route_answers_a_twilio_form_with_one_twiml_message(found: dict[str, Any]) -> None:
    answer = found["bare"]["twilio"]
    assert answer["status"] == 200 and answer["mimetype"] == "text/xml"
    assert messages(answer["body"]) == ("Response", [("Message", {}, found["reply"])])


def test_the_bare_answer_has_the_real_routes_shape(found: dict[str, Any]) -> None:
    bare, real = found["bare"]["twilio"], found["real"]
    assert real["status"] == 200 and real["mimetype"] == bare["mimetype"] == "text/xml"
    real_root, real_messages = messages(real["body"])
    assert real_root == "Response" and real_messages
    assert {(tag, tuple(attrib)) for tag, attrib, _ in real_messages} == {("Message", ())}
    assert bare["body"].split("<Response>")[0] == real["body"].split("<Response>")[0]  # prolog
    headers = {"Content-Type", "Content-Security-Policy", *ALWAYS}
    assert headers <= set(bare["headers"]) and headers <= set(real["headers"])
    assert {name: bare["headers"][name] for name in ALWAYS} == ALWAYS


def test_the_bare_route_needs_no_signature_and_touches_no_database(found: dict[str, Any]) -> None:
    assert found["bare"]["unsigned twilio with media"]["status"] == 200
    assert found["bare"]["media count not a number"]["status"] == 200
    assert found["statements"] == 0
    assert found["database_made"] is False


def test_the_real_routes_are_unchanged_beside_it(found: dict[str, Any]) -> None:
    assert found["path"] == "/bench/bare-sms"
    assert {"/bench/bare-sms", "/sms/twilio", "/sms/twilio/status", "/healthz"} <= set(
        found["rules"])
    assert found["real_unsigned"] == 403  # the real route still checks the signature
    assert found["get"] == 405            # the bare route is POST only


@pytest.mark.parametrize(("case", "status", "text"), [
    ("no sid", 400, "MessageSid and From are required."),
    ("empty sender", 400, "MessageSid and From are required."),
    ("sid of 65 characters", 400,
     "MessageSid and From must be short printable identifiers, as Twilio sends."),
    ("sender with a newline", 400,
     "MessageSid and From must be short printable identifiers, as Twilio sends."),
    ("sid of 64 characters", 200, None),
])
def test_the_bare_route_checks_the_fields_as_the_real_one_does(
        found: dict[str, Any], case: str, status: int, text: str | None) -> None:
    answer = found["bare"][case]
    assert answer["status"] == status
    if text is not None:
        assert answer["body"] == text


def test_the_stored_route_refuses_a_request_not_signed_for_it(found: dict[str, Any]) -> None:
    assert found["stored"]["path"] == "/bench/stored-sms"
    assert found["stored"]["unsigned"] == 403
    assert found["stored"]["wrongly signed"] == 403   # signed for /sms/twilio, not for it


def test_the_stored_route_stores_the_message_once_and_answers_as_the_bare_one(
        found: dict[str, Any]) -> None:
    stored = found["stored"]
    for delivery in ("first", "repeat"):
        answer = stored[delivery]
        assert answer["status"] == 200 and answer["mimetype"] == "text/xml"
        assert messages(answer["body"]) == ("Response", [("Message", {}, found["reply"])])
    # One row (a repeat is none), its payload encrypted (the sender's number not in it).
    assert stored["rows"] == [["sms", "received", True]]
    assert stored["new conversations"] == 0

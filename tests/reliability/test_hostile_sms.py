"""Hostile input at `POST /sms/twilio`: correctly signed Twilio requests whose fields are fuzzed.

The contract, read from webhooks/sms/routes.py: a signed request with a MessageSid and a From is
stored in the raw inbox exactly once, whatever its Body, and answered with TwiML (200); without
either field it is a 400 that says which fields are required and stores nothing; a body over the
request limit is a 413 page; an unsigned or forged request is a 403 and stores nothing. Never 500.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from intake.bootstrap import Runtime
from intake.storage.models import InboundMessage
from tests.reliability.conftest import Tally
from tests.reliability.hostile_inputs import (
    count_rows,
    field_text,
    hostile_app,
    hostile_text,
    invalid_utf8,
    percent_bytes,
)
from tests.webhooks.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INBOUND_URL,
    PATIENT,
    SERVICE_NUMBER,
    sign,
)
from webhooks.sms.settings import DEFAULT_API_BASE_URL, TwilioSettings

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def sms(runtime: Runtime) -> FlaskClient:
    twilio = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                            from_number=SERVICE_NUMBER, messaging_service_sid="",
                            api_base_url=DEFAULT_API_BASE_URL)
    return hostile_app(runtime, TWILIO=twilio).test_client()


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def fields(sid: str, body: str, sender: str = PATIENT) -> list[tuple[str, str]]:
    return [("MessageSid", sid), ("SmsSid", sid), ("AccountSid", ACCOUNT_SID), ("From", sender),
            ("To", SERVICE_NUMBER), ("Body", body), ("NumMedia", "0"), ("NumSegments", "1")]


def post_signed(client: FlaskClient, pairs: list[tuple[str, str]]) -> TestResponse:
    """POST the fields (repeats allowed) signed over what the app will read from the body."""
    body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return post_raw_signed(client, body.encode())


def as_the_app_reads(body: bytes) -> MultiDict[str, str]:
    """The fields Flask reads from a form body: percent-escapes that are not UTF-8 are kept as
    their escapes, and a body that is not UTF-8 at all reads as no fields."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return MultiDict()
    return MultiDict(parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"))


def post_raw_signed(client: FlaskClient, body: bytes) -> TestResponse:
    """POST a raw form body, signed (as Twilio signs) over the fields the app will read."""
    return client.post("/sms/twilio", data=body, content_type=FORM,
                       headers={"X-Twilio-Signature": sign(as_the_app_reads(body))})


def stored_in_all(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def stored(runtime: Runtime, sid: str) -> int:
    return count_rows(runtime, InboundMessage, InboundMessage.channel == "sms",
                      InboundMessage.provider_message_id == sid)


def check_stored_once(runtime: Runtime, tally: Tally, sid: str, response: TestResponse) -> None:
    """A signed message with a MessageSid and a From: 200 TwiML and one raw inbox record."""
    tally.add("server_errors", int(response.status_code >= 500))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/xml"
    found = stored(runtime, sid)
    tally.add("records_checked")
    tally.add("records_lost", int(found == 0))
    tally.add("records_duplicated", max(0, found - 1))
    assert found == 1


message_request = st.one_of(
    field_text.map(lambda body: ("text", body)),
    invalid_utf8.map(lambda raw: ("escaped-bytes", raw)),
    st.lists(st.tuples(st.sampled_from(["Body", "MessageSid", "From", "NumMedia",
                                        "MediaContentType0", "NumSegments", "To"]), hostile_text),
             min_size=1, max_size=6).map(lambda extra: ("repeated-fields", extra)),
)


def signed_message(client: FlaskClient, sid: str, kind: str, value: object) -> TestResponse:
    if kind == "text":
        assert isinstance(value, str)
        return post_signed(client, fields(sid, value))
    if kind == "escaped-bytes":
        # Invalid UTF-8 percent-escaped in the Body (From is a number: Twilio signs the request).
        assert isinstance(value, bytes)
        body = (f"MessageSid={sid}&AccountSid={ACCOUNT_SID}&From={quote(PATIENT)}"
                f"&To={quote(SERVICE_NUMBER)}&Body={percent_bytes(value)}&NumMedia=0").encode()
        return post_raw_signed(client, body)
    # Fields sent twice (the first one counts), NumMedia that is not a number, odd media types.
    assert isinstance(value, list)
    return post_signed(client, fields(sid, "The pharmacy was shut") + value)


@FUZZ
@given(request=message_request)
def test_a_signed_message_is_stored_once_whatever_it_holds(
        sms: FlaskClient, runtime: Runtime, reliability_tally: Tally,
        request: tuple[str, object]) -> None:
    """Every message comes from the same phone, so the fuzzed text also reaches every step of
    the conversation, not only its greeting. Sending it again adds no second record."""
    reliability_tally.add("hostile_inputs")
    sid = new_sid()
    check_stored_once(runtime, reliability_tally, sid, signed_message(sms, sid, *request))
    again = signed_message(sms, sid, *request)
    reliability_tally.add("server_errors", int(again.status_code >= 500))
    assert again.status_code == 200
    duplicates = stored(runtime, sid) - 1
    reliability_tally.add("records_duplicated", max(0, duplicates))
    assert duplicates == 0


def refused_request(client: FlaskClient, case: tuple[str, ...], body: str,
                    raw: bytes) -> tuple[str, TestResponse, int]:
    """One request that must be refused: (its MessageSid, the response, the status expected)."""
    sid = new_sid()
    kind = case[0]
    if kind == "missing":
        dropped = {"MessageSid", "From"} if case[1] == "both" else {case[1]}
        blank = case[2] == "blank"
        pairs = [(k, "" if blank and k in dropped else v) for k, v in fields(sid, body)
                 if blank or k not in dropped]
        return sid, post_signed(client, pairs), 400
    if kind == "raw-bytes":
        # Bytes straight in the body, not escaped (Twilio always escapes; a broken proxy might
        # not): the body reads as no fields, so the answer is the 400 naming those required.
        return sid, post_raw_signed(
            client, f"MessageSid={sid}&From={quote(PATIENT)}&Body=".encode() + raw), 400
    if kind == "too-large":
        # Over the app's 1 MiB request limit: the friendly 413 page, before anything is read.
        return sid, post_signed(client, fields(sid, "x" * (1024 * 1024 + 1))), 413
    if kind == "malformed":
        return sid, post_raw_signed(client, case[1].encode("latin-1")), 400
    params = dict(fields(sid, body))
    headers = {
        "none": {},
        "empty": {"X-Twilio-Signature": ""},
        "forged": {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        "other-token": {"X-Twilio-Signature": sign(params, token="not-the-token")},
        "other-url": {"X-Twilio-Signature": sign(params, url=INBOUND_URL + "?x=1")},
        "tampered": {"X-Twilio-Signature": sign({**params, "Body": body + "!"})},
    }[case[1]]
    return sid, client.post("/sms/twilio", data=params, headers=headers), 403


MALFORMED = ("", "&&&", "=", "%", "%zz=%zz", "MessageSid", "\x00\x00", "a=" + "%" * 200,
             "MessageSid=&From=", "From=%2B44&&MessageSid")
refusals = st.one_of(
    st.tuples(st.just("missing"), st.sampled_from(["MessageSid", "From", "both"]),
              st.sampled_from(["absent", "blank"])),
    st.tuples(st.just("raw-bytes")),
    st.tuples(st.just("malformed"), st.sampled_from(MALFORMED)),
    st.tuples(st.just("unsigned"), st.sampled_from(["none", "empty", "forged", "other-token",
                                                    "other-url", "tampered"])),
    st.tuples(st.just("too-large")),
)


@FUZZ
@given(case=refusals, body=field_text, raw=invalid_utf8)
def test_what_cannot_be_taken_is_a_clear_4xx_storing_nothing(
        sms: FlaskClient, runtime: Runtime, reliability_tally: Tally, case: tuple[str, ...],
        body: str, raw: bytes) -> None:
    """No MessageSid or no From: 400 saying both are required. Over the 1 MiB limit: the 413
    page. Unsigned, or signed with another
    token, for another address or over other fields: 403. Nothing is stored either way."""
    reliability_tally.add("hostile_inputs")
    before = count_rows(runtime, InboundMessage)
    sid, response, expected = refused_request(sms, case, body, raw)
    reliability_tally.add("server_errors", int(response.status_code >= 500))
    assert response.status_code == expected
    if expected == 413:
        assert "too large" in response.get_data(as_text=True).lower()
    if expected == 400:
        assert response.get_data(as_text=True) == "MessageSid and From are required."
    assert stored(runtime, sid) == 0
    assert count_rows(runtime, InboundMessage) == before




def test_a_message_sid_the_database_cannot_hold_is_never_a_500(
        sms: FlaskClient, runtime: Runtime, reliability_tally: Tally,
        request: pytest.FixtureRequest) -> None:
    """Twilio's ids are 34 characters; a signed request with one of 129 characters, or with a NUL
    in it, must still be stored or refused with a 400, never answered with a 500."""
    for sid in ("SM" + "a" * 127, "SM\x00" + "0" * 31):
        reliability_tally.add("hostile_inputs")
        before = stored_in_all(runtime)
        response = post_signed(sms, fields(sid, "The pharmacy was shut"))
        reliability_tally.add("server_errors", int(response.status_code >= 500))
        # Twilio's ids are short and printable: anything else is refused, and nothing is stored.
        assert response.status_code == 400, repr(sid)
        assert "short printable identifiers" in response.get_data(as_text=True)
        assert stored_in_all(runtime) == before

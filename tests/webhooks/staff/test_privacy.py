"""The privacy pages through the test client: only admins, requests from Telegram /forget,
finding a person by a POSTed form, the subject access file, and erasure with confirmation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.message import IncomingMessage
from intake.storage.models import AuditEvent, ContactAddress, Feedback
from tests.webhooks.staff.conftest import csrf_token
from webhooks.runtime import CHAT_KEY

StaffClient = Callable[[str], FlaskClient]
PHONE = "+447700900461"
CHAT_ID = "5550001234"
TEXT = "My name is Ada Testperson and the GP receptionist was unkind to me"


def give_feedback(runtime: Runtime, channel: str, sender: str, text: str, message_id: str) -> str:
    result = runtime.intake.ingest(IncomingMessage(channel=channel, provider_message_id=message_id,
                                                   text=text, sender=sender))
    assert result.reference
    return result.reference


def post(client: FlaskClient, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/account"), **data})


def audit(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- who may do what --------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["anonymous", "viewer", "reviewer"])
def test_only_admins_reach_any_privacy_route(role: str, app: Flask, runtime: Runtime,
                                             staff_client: StaffClient) -> None:
    give_feedback(runtime, "sms", PHONE, TEXT, "SM-privacy-1")
    client = app.test_client() if role == "anonymous" else staff_client(role)
    token = csrf_token(client, "/staff/login" if role == "anonymous" else "/staff/account")
    form = {"csrf_token": token, "kind": "phone", "value": PHONE, "confirm": "yes"}
    answers = [client.get("/staff/privacy").status_code] + [
        client.post(path, data=form).status_code
        for path in ("/staff/privacy/person", "/staff/privacy/person/access",
                     "/staff/privacy/person/erase")]
    assert answers == [302] * 4 if role == "anonymous" else [403] * 4
    assert "Privacy" not in client.get("/staff/queue").get_data(as_text=True).split("<main")[0] \
        or role == "anonymous"
    with runtime.sessions() as session:
        assert session.scalar(select(Feedback.text)) == TEXT   # nothing erased
    assert audit(runtime, "subject-access.exported") == []


def test_admins_see_privacy_in_the_navigation(staff_client: StaffClient) -> None:
    header = staff_client("admin").get("/staff/queue").get_data(as_text=True).split("<main")[0]
    assert 'href="/staff/privacy"' in header


def test_posts_need_the_csrf_token(staff_client: StaffClient, runtime: Runtime) -> None:
    give_feedback(runtime, "sms", PHONE, TEXT, "SM-privacy-2")
    client = staff_client("admin")
    response = client.post("/staff/privacy/person/erase",
                           data={"kind": "phone", "value": PHONE, "confirm": "yes"})
    assert response.status_code == 400
    with runtime.sessions() as session:
        assert session.scalar(select(Feedback.erased_at)) is None


# -- an erasure request from Telegram, end to end ------------------------------------------------

def test_a_forget_request_is_reviewed_exported_and_erased(
        app: Flask, runtime: Runtime, staff_client: StaffClient) -> None:
    reference = give_feedback(runtime, "telegram", CHAT_ID, TEXT, "9001")
    other = give_feedback(runtime, "sms", PHONE, "Maternity ward was lovely", "SM-privacy-3")
    app.extensions[CHAT_KEY].request_erasure("telegram", CHAT_ID)
    client = staff_client("admin")

    page = client.get("/staff/privacy").get_data(as_text=True)
    [pseudonym] = re.findall(r'id="request-(P-[A-Z0-9]+)"', page)
    assert "Telegram" in page

    person = post(client, "/staff/privacy/person", kind="pseudonym", value=pseudonym)
    assert person.status_code == 200
    held = person.get_data(as_text=True)
    assert reference in held and other not in held
    assert CHAT_ID not in held     # counts and channels only; the detail is in the file

    download = post(client, "/staff/privacy/person/access", kind="pseudonym", value=pseudonym)
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Cache-Control"] == "no-store"
    document = json.loads(download.get_data(as_text=True))
    assert document["contact_addresses"][0]["address"] == CHAT_ID
    assert [f["text"] for f in document["feedback"]] == [TEXT]
    assert "admin@example.org" not in download.get_data(as_text=True)

    refused = post(client, "/staff/privacy/person/erase", kind="pseudonym", value=pseudonym,
                   reason="asked with /forget")
    assert refused.status_code == 400
    assert "cannot be undone" in refused.get_data(as_text=True)

    done = post(client, "/staff/privacy/person/erase", kind="pseudonym", value=pseudonym,
                reason="asked with /forget", confirm="yes")
    assert done.status_code == 200
    assert "Feedback items: 1" in done.get_data(as_text=True)

    with runtime.sessions() as session:
        texts = dict(session.execute(select(Feedback.reference, Feedback.text)).all())
        channels = list(session.scalars(select(ContactAddress.channel)))
    assert texts[reference] != TEXT and "Ada" not in texts[reference]
    assert texts[other] == "Maternity ward was lovely"
    assert channels == ["sms"]
    assert "No erasure requests are waiting" in client.get("/staff/privacy").get_data(as_text=True)
    actors = {e.action: e.actor for e in audit(runtime, "privacy.person-viewed")
              + audit(runtime, "subject-access.exported") + audit(runtime, "erasure.completed")}
    assert actors == dict.fromkeys(
        ["privacy.person-viewed", "subject-access.exported", "erasure.completed"],
        "staff:admin@example.org")


# -- finding a person --------------------------------------------------------------------------

def test_a_person_is_found_by_their_phone_number_as_they_say_it(
        runtime: Runtime, staff_client: StaffClient) -> None:
    reference = give_feedback(runtime, "sms", PHONE, TEXT, "SM-privacy-4")
    response = post(staff_client("admin"), "/staff/privacy/person", kind="phone", value="07700 900461")
    assert response.status_code == 200
    assert reference in response.get_data(as_text=True)
    assert audit(runtime, "privacy.person-viewed")[0].details == {"found_by": "phone ending 461"}


@pytest.mark.parametrize(("kind", "value", "status", "message"), [
    ("", "07700 900461", 400, "Choose how to find the person"),
    ("phone", "  ", 400, "Enter what they gave you"),
    ("phone", "not a number", 400, "is not a phone number"),
    ("reference", "FB-??", 400, "is not a feedback reference"),
    ("email", "nobody@example.org", 404, "Nothing is held for the email"),
])
def test_what_cannot_be_found_is_explained_on_the_page(
        staff_client: StaffClient, kind: str, value: str, status: int, message: str) -> None:
    response = post(staff_client("admin"), "/staff/privacy/person", kind=kind, value=value)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page


def test_html_in_a_search_comes_back_escaped(staff_client: StaffClient) -> None:
    response = post(staff_client("admin"), "/staff/privacy/person", kind="email",
                    value="<script>alert(1)</script>@example.org")
    assert "<script>alert(1)" not in response.get_data(as_text=True)

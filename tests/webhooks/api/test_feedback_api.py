"""`GET /api/v1/feedback`: bearer tokens, roles, the queue's filters, pages, strict parameters,
no CSRF, read-only, rate-limited, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.demo import seed_demo
from intake.message import Answers, IncomingMessage
from intake.staff import permissions
from intake.staff.accounts import issue_api_token
from intake.storage.models import AuditEvent, Role, StaffUser
from tests.conftest import FIXED_NOW
from tests.webhooks.staff.conftest import make_user
from webhooks import create_app

URL = "/api/v1/feedback"


def token_for(runtime: Runtime, role: str = "viewer", email: str | None = None) -> str:
    email = make_user(runtime, role, email)
    with runtime.sessions.begin() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert user is not None
        return issue_api_token(session, user, FIXED_NOW, actor="test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ingest(runtime: Runtime, pid: str, text: str, hours_ago: float, **answers: object) -> str:
    result = runtime.intake.ingest(IncomingMessage(
        "sms", pid, text, received_at=FIXED_NOW - timedelta(hours=hours_ago),
        answers=Answers(**answers)))  # type: ignore[arg-type]
    assert result.reference is not None
    return result.reference


@pytest.fixture
def viewer(runtime: Runtime) -> dict[str, str]:
    return bearer(token_for(runtime))


# -- who may call ----------------------------------------------------------------------------
def test_no_token_is_401_with_a_bearer_challenge(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="involve-intake"'
    assert response.json == {"error": "unauthorised", "message": response.json["message"]}  # type: ignore[index]
    assert "Authorization: Bearer" in response.json["message"]  # type: ignore[index]


@pytest.mark.parametrize("header", ["Bearer ii_not-a-real-token", "Bearer not-even-ours",
                                    "Basic dXNlcjpwYXNz"])
def test_a_wrong_token_is_401(client: FlaskClient, runtime: Runtime, header: str) -> None:
    token_for(runtime)
    response = client.get(URL, headers={"Authorization": header})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_a_replaced_token_or_a_deactivated_account_stops_working(client: FlaskClient,
                                                                  runtime: Runtime) -> None:
    old = token_for(runtime, "reviewer")
    assert client.get(URL, headers=bearer(old)).status_code == 200
    with runtime.sessions.begin() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "reviewer@example.org"))
        assert user is not None
        new = issue_api_token(session, user, FIXED_NOW, actor="test")
    assert client.get(URL, headers=bearer(old)).status_code == 401
    assert client.get(URL, headers=bearer(new)).status_code == 200
    with runtime.sessions.begin() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "reviewer@example.org"))
        assert user is not None
        user.is_active = False
    response = client.get(URL, headers=bearer(new))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_every_role_may_use_the_api_today(client: FlaskClient, runtime: Runtime, role: str) -> None:
    assert client.get(URL, headers=bearer(token_for(runtime, role))).status_code == 200


def test_a_role_without_the_api_is_403(client: FlaskClient, runtime: Runtime,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(permissions.MINIMUM_ROLE, permissions.Action.USE_API, Role.ADMIN)
    response = client.get(URL, headers=bearer(token_for(runtime, "reviewer")))
    assert response.status_code == 403
    assert response.json["error"] == "forbidden"  # type: ignore[index]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert client.get(URL, headers=bearer(token_for(runtime, "admin"))).status_code == 200


# -- what comes back -------------------------------------------------------------------------
def test_items_carry_redacted_text_tags_links_and_dates(client: FlaskClient, runtime: Runtime,
                                                        viewer: dict[str, str]) -> None:
    with runtime.sessions.begin() as session:
        seed_demo(session, FIXED_NOW)
    reference = ingest(runtime, "a", "My GP never answers. NHS number 943 476 5919", 1)
    body = client.get(URL, headers=viewer).json
    assert body is not None
    assert (body["total"], body["page"], body["pages"], body["next"]) == (1, 1, 1, None)
    [item] = body["items"]
    assert item["reference"] == reference
    assert "943 476 5919" not in str(body) and "[NHS number]" in item["text"]
    assert {(t["kind"], t["value"]) for t in item["tags"]} >= {("service", "gp"), ("language", "en")}
    assert [t["rule"] for t in item["tracker_items"]] == ["tracker-by-service"]
    assert item["received_at"] == (FIXED_NOW - timedelta(hours=1)).isoformat()
    assert datetime.fromisoformat(item["created_at"]) == FIXED_NOW
    assert "updated_at" in item and item["channel"] == "sms" and item["status"] == "new"


def test_the_queues_filters(client: FlaskClient, runtime: Runtime, viewer: dict[str, str]) -> None:
    gp = ingest(runtime, "1", "The GP was kind", 50, services=("gp",), language="en")
    polish = ingest(runtime, "2", "Apteka była zamknięta", 20, services=("pharmacy",), language="pl")
    bsl = ingest(runtime, "3", "I need a BSL interpreter at the dentist", 2, services=("dental",))

    def refs(query: str) -> list[str]:
        response = client.get(f"{URL}?{query}", headers=viewer)
        assert response.status_code == 200, response.json
        return [item["reference"] for item in response.json["items"]]  # type: ignore[index]

    assert refs("") == [bsl, polish, gp]                                   # newest first
    assert refs("service=gp") == [gp]
    assert refs("language=pl") == [polish]
    assert refs("need=bsl-interpreter") == [bsl]
    assert refs("need=none") == [polish, gp]
    assert refs("q=kind") == [gp]
    assert refs(f"reference={gp.lower()}") == [gp]
    assert refs("status=new&channel=sms") == [bsl, polish, gp]
    assert refs("channel=web") == []
    day = (FIXED_NOW - timedelta(hours=50)).date().isoformat()                  # 31 October
    assert refs(f"since={day}&until={day}") == [gp]                        # a whole day
    since = (FIXED_NOW - timedelta(hours=21)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert refs(f"since={since}") == [bsl, polish]                          # an exact moment
    assert refs("since=2026-11-02T08:00:00+00:00") == [bsl]                 # '+' sent unencoded


def test_pages_follow_one_another_without_gaps(client: FlaskClient, runtime: Runtime,
                                               viewer: dict[str, str]) -> None:
    made = [ingest(runtime, str(i), f"The pharmacy was fine {i}", i, services=("pharmacy",))
            for i in range(5)]
    seen, url, pages = [], f"{URL}?service=pharmacy&per_page=2", 0
    while url:
        body = client.get(url, headers=viewer).json
        assert body is not None and body["total"] == 5 and body["pages"] == 3
        seen += [item["reference"] for item in body["items"]]
        pages += 1
        url = body["next"]
        if url:
            parts = urlsplit(url)
            assert parts.netloc == "intake.example.test"                    # the public address
            assert parse_qs(parts.query)["service"] == ["pharmacy"]
            url = f"{parts.path}?{parts.query}"
    assert pages == 3 and seen == made
    assert client.get(f"{URL}?page=9", headers=viewer).json["items"] == []  # type: ignore[index]


@pytest.mark.parametrize("query, parameter, message", [
    ("sevice=gp", "sevice", "there is no parameter called 'sevice'"),
    ("service=podiatry", "service", "no service has the id 'podiatry'"),
    ("language=xx", "language", "no language has the code 'xx'"),
    ("need=telepathy", "need", "no need has the id 'telepathy'"),
    ("status=open", "status", "use one of new"),
    ("tracker=abc", "tracker", "tracker item's number"),
    ("since=31/10/2026", "since", "write it like 2026-09-01"),
    ("since=last-week", "since", "is not a date or a time"),
    ("until=2026-02-30", "until", "is not a real date"),
    ("since=2026-10-02&until=2026-10-01", "until", "must be after since"),
    ("per_page=201", "per_page", "from 1 to 200"),
    ("page=0", "page", "from 1 to 2147483647"),
    ("page=99999999999999999999999", "page", "whole number"),
    ("service=gp&service=dental", "service", "give it once"),
    ("reference=nope", "reference", "like FB-7K3M9Q"),
])
def test_a_bad_parameter_is_400_naming_it(client: FlaskClient, viewer: dict[str, str], query: str,
                                          parameter: str, message: str) -> None:
    response = client.get(f"{URL}?{query}", headers=viewer)
    assert response.status_code == 400
    body = response.json
    assert body is not None
    assert body["error"] == "bad-parameter" and body["parameter"] == parameter
    assert message in body["message"]


# -- how it may be called ----------------------------------------------------------------------
def test_no_csrf_token_is_needed_even_where_the_app_checks_every_request(
        runtime: Runtime, viewer: dict[str, str]) -> None:
    app = create_app({"TESTING": True, "WTF_CSRF_CHECK_DEFAULT": True,
                      "WTF_CSRF_METHODS": ["GET", "POST"]}, runtime=runtime)
    client = app.test_client()
    assert client.get("/feedback").status_code == 400     # the public form is checked...
    assert client.get(URL, headers=viewer).status_code == 200   # ...the API is exempt


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client: FlaskClient, viewer: dict[str, str], method: str) -> None:
    response = getattr(client, method)(URL, headers=viewer, json={"text": "x"})
    assert response.status_code == 405
    assert response.json["error"] == "method-not-allowed"  # type: ignore[index]
    assert "GET" in response.headers["Allow"]


def test_other_pages_keep_their_own_405(client: FlaskClient) -> None:
    response = client.delete("/staff/login")
    assert response.status_code == 405 and response.json is None


def test_calls_are_rate_limited_per_token(runtime: Runtime) -> None:
    app: Flask = create_app({"TESTING": True, "API_RATE_LIMIT": "2 per minute"}, runtime=runtime)
    client = app.test_client()
    first, second = bearer(token_for(runtime)), bearer(token_for(runtime, "admin"))
    assert [client.get(URL, headers=first).status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get(URL, headers=first)
    assert limited.json["error"] == "rate-limited"  # type: ignore[index]
    assert client.get(URL, headers=second).status_code == 200       # its own allowance


def test_each_call_is_audited_with_who_and_what(client: FlaskClient, runtime: Runtime,
                                                viewer: dict[str, str]) -> None:
    ingest(runtime, "a", "The GP was kind", 1, services=("gp",))
    client.get(f"{URL}?service=gp&per_page=10", headers=viewer)
    client.get(URL)                                                  # refused: not audited
    with runtime.sessions() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "api.feedback-read")))
    assert [(e.actor, e.details) for e in events] == [
        ("staff:viewer@example.org",
         {"filters": {"service": "gp"}, "page": 1, "per_page": 10, "items": 1, "total": 1})]

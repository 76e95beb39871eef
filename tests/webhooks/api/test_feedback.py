"""webhooks.api.feedback: the rate limit's setting, the page arithmetic and the next page's link
(on the public address when there is one), and the audit of each page read."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.bootstrap import Runtime
from intake.message import IncomingMessage
from intake.storage.models import AuditEvent
from tests.conftest import FIXED_NOW
from webhooks.api.feedback import DEFAULT_RATE_LIMIT, api_rate_limit

URL = "/api/v1/feedback"


def ingest(runtime: Runtime, count: int) -> list[str]:
    """``count`` texts an hour apart; the references newest first, as the API lists them."""
    references = []
    for i in range(count):
        result = runtime.intake.ingest(IncomingMessage(
            "sms", f"p{i}", f"The pharmacy was fine, visit {i}",
            received_at=FIXED_NOW - timedelta(hours=count - i)))
        assert result.reference is not None
        references.append(result.reference)
    return references[::-1]


# -- api_rate_limit ---------------------------------------------------------------------------
def test_the_rate_limit_comes_from_the_app_then_the_environment_then_the_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = Flask(__name__)
    monkeypatch.delenv("API_RATE_LIMIT", raising=False)
    with app.app_context():
        assert api_rate_limit() == DEFAULT_RATE_LIMIT == "60 per minute;1000 per hour"
        monkeypatch.setenv("API_RATE_LIMIT", "5 per minute")
        assert api_rate_limit() == "5 per minute"
        app.config["API_RATE_LIMIT"] = "7 per second"
        assert api_rate_limit() == "7 per second"


# -- pages -----------------------------------------------------------------------------------
def test_an_empty_queue_is_one_empty_answer_with_no_pages(client: FlaskClient,
                                                         viewer: dict[str, str]) -> None:
    body = client.get(URL, headers=viewer).json
    assert body == {"page": 1, "per_page": 50, "total": 0, "pages": 0, "next": None,
                    "filters": {}, "items": []}


def test_pages_split_the_queue_and_the_last_has_no_next(client: FlaskClient, runtime: Runtime,
                                                        viewer: dict[str, str]) -> None:
    newest_first = ingest(runtime, 5)
    bodies = [client.get(f"{URL}?per_page=2&page={page}", headers=viewer).json for page in (1, 2, 3)]
    assert all(b is not None and (b["total"], b["pages"], b["per_page"]) == (5, 3, 2) for b in bodies)
    assert [[i["reference"] for i in b["items"]] for b in bodies if b] == [
        newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert bodies[2] is not None and bodies[2]["next"] is None
    beyond = client.get(f"{URL}?per_page=2&page=4", headers=viewer).json
    assert beyond is not None and (beyond["items"], beyond["next"]) == ([], None)


def test_each_item_carries_its_own_stored_dates(client: FlaskClient, runtime: Runtime,
                                                viewer: dict[str, str]) -> None:
    ingest(runtime, 2)
    body = client.get(URL, headers=viewer).json
    assert body is not None
    for item in body["items"]:
        created, updated = (datetime.fromisoformat(item[k]) for k in ("created_at", "updated_at"))
        assert created.utcoffset() is not None and created == FIXED_NOW and updated >= created


# -- the next page's link ----------------------------------------------------------------------
def test_the_next_link_keeps_the_filters_and_a_chosen_page_size(client: FlaskClient,
                                                                runtime: Runtime,
                                                                viewer: dict[str, str]) -> None:
    ingest(runtime, 3)
    body = client.get(f"{URL}?channel=sms&q=pharmacy&per_page=1&page=2", headers=viewer).json
    assert body is not None
    link = urlsplit(body["next"])
    assert (link.scheme, link.netloc, link.path) == ("https", "intake.example.test", URL)
    assert parse_qs(link.query) == {"channel": ["sms"], "q": ["pharmacy"], "per_page": ["1"],
                                    "page": ["3"]}


def test_the_next_link_leaves_out_the_default_page_size(client: FlaskClient, runtime: Runtime,
                                                        viewer: dict[str, str]) -> None:
    ingest(runtime, 51)
    body = client.get(f"{URL}?per_page=50", headers=viewer).json
    assert body is not None and body["pages"] == 2
    assert parse_qs(urlsplit(body["next"]).query) == {"page": ["2"]}


def test_the_next_link_is_on_the_public_address_when_there_is_one(
        app: Flask, runtime: Runtime, viewer: dict[str, str]) -> None:
    ingest(runtime, 2)
    client = app.test_client()
    for base, start in [
        ("https://intake.example.test/", "https://intake.example.test/api/v1/feedback?"),
        ("https://example.test/intake", "https://example.test/intake/api/v1/feedback?"),
        ("", "http://internal.example.test/api/v1/feedback?"),       # none: the request's host
    ]:
        app.config["PUBLIC_BASE_URL"] = base
        body = client.get(f"{URL}?per_page=1", headers=viewer,
                          base_url="http://internal.example.test").json
        assert body is not None and body["next"].startswith(start), base
        assert "//api" not in body["next"]


# -- the audit ---------------------------------------------------------------------------------
def test_an_empty_or_bad_read_is_audited_only_when_answered(client: FlaskClient,
                                                            viewer: dict[str, str],
                                                            runtime: Runtime) -> None:
    client.get(f"{URL}?page=3&service=dental", headers=viewer)
    client.get(f"{URL}?page=0", headers=viewer)                      # refused: not audited
    with runtime.sessions() as session:
        events = list(session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api.feedback-read")))
    assert [(e.entity_type, e.entity_id, e.details) for e in events] == [
        ("api", "feedback",
         {"filters": {"service": "dental"}, "page": 3, "per_page": 50, "items": 0, "total": 0})]
    assert events[0].occurred_at.replace(tzinfo=FIXED_NOW.tzinfo) == FIXED_NOW

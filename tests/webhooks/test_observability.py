"""Request ids on every response and `GET /metrics` for a private scraper only."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from intake.bootstrap import Runtime
from webhooks import create_app

GENERATED = re.compile(r"[0-9a-f]{32}")
TOKEN = "m" * 40


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


# -- request ids -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/healthz", "/feedback", "/no-such-page", "/staff/queue"])
def test_every_response_carries_a_new_request_id(client: FlaskClient, path: str) -> None:
    first, second = client.get(path), client.get(path)
    assert GENERATED.fullmatch(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_the_proxys_request_id_is_returned(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60"})
    assert response.headers["X-Request-ID"] == "3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60"


@pytest.mark.parametrize("incoming", ["+447700900123", "x" * 300, "a b c d e f g h", "id\r\nforged"])
def test_a_malformed_request_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    try:
        response = client.get("/healthz", headers={"X-Request-ID": incoming})
    except ValueError:  # werkzeug's test client itself refuses a header with a newline
        return
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


# -- /metrics ----------------------------------------------------------------------------------

def test_metrics_are_in_the_prometheus_text_format(client: FlaskClient) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    figures = samples(response.get_data(as_text=True))
    assert figures[("intake_database_up", ())] == 1
    assert figures[("intake_http_requests_total", (("endpoint", "health.healthz"), ("method", "GET"),
                                                   ("status", "200")))] >= 1
    for channel in ("sms", "telegram"):  # every channel that sends, even with nothing queued
        assert figures[("intake_outbox_messages", (("channel", channel), ("status", "queued")))] == 0


def test_without_a_token_metrics_are_refused_to_anything_a_proxy_passed_on(client: FlaskClient) -> None:
    response = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 404
    assert "intake_" not in response.get_data(as_text=True)


@pytest.fixture
def guarded(runtime: Runtime) -> FlaskClient:
    app: Flask = create_app({"TESTING": True, "METRICS_TOKEN": TOKEN}, runtime=runtime)
    return app.test_client()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                           TOKEN])
def test_with_a_token_only_that_bearer_token_is_answered(guarded: FlaskClient,
                                                         authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "intake_" not in response.get_data(as_text=True)


def test_the_right_bearer_token_is_answered_wherever_it_comes_from(guarded: FlaskClient) -> None:
    response = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}",
                                                "X-Forwarded-For": "10.0.0.5"})
    assert response.status_code == 200
    assert "intake_database_up 1.0" in response.get_data(as_text=True)


def test_the_token_comes_from_the_environment(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    client = create_app({"TESTING": True}, runtime=runtime).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200

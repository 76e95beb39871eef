"""Every response carries the security headers; the pages' only inline code carries the nonce."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from intake.bootstrap import Runtime
from tests.webhooks.staff.conftest import make_user, sign_in
from webhooks import create_app
from webhooks.security_headers import ALWAYS, HSTS

PUBLIC_PAGES = ["/", "/feedback", "/privacy", "/feedback?lang=ur", "/no-such-page"]
STAFF_PAGES = ["/staff/queue", "/staff/tracker", "/staff/consultations", "/staff/reports",
               "/staff/reports/print", "/staff/users", "/staff/account", "/staff/configuration",
               "/staff/configuration/pipeline.toml", "/staff/privacy"]


def policy(response: object) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    return {part.split()[0]: part.partition(" ")[2] for part in header.split("; ")}


def nonce_of(response: object) -> str:
    match = re.search(r"'nonce-([^']+)'", policy(response)["script-src"])
    assert match, "the policy names no nonce"
    return match.group(1)


def assert_inline_code_carries_the_nonce(html: str, nonce: str) -> None:
    """Inline scripts and style blocks need this response's nonce; style attributes are refused."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" not in tag:
            assert f'nonce="{nonce}"' in tag, tag
    for tag in re.findall(r"<style\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[^>]+\sstyle=", html), "a style attribute would be blocked"
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "an inline event handler would be blocked"


def test_public_pages_send_the_headers_and_need_nothing_the_policy_forbids(client: FlaskClient) -> None:
    for path in PUBLIC_PAGES:
        check_public_page(client.get(path))


def check_public_page(response: Any) -> None:
    for name, value in ALWAYS.items():
        assert response.headers[name] == value
    rules = policy(response)
    assert rules["frame-ancestors"] == "'none'"
    assert rules["object-src"] == "'none'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # not production
    assert_inline_code_carries_the_nonce(response.get_data(as_text=True), nonce_of(response))


def test_each_response_has_a_fresh_nonce(client: FlaskClient) -> None:
    nonces = {nonce_of(client.get("/feedback")) for _ in range(5)}
    assert len(nonces) == 5


def test_staff_pages_need_nothing_the_policy_forbids(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    sign_in(client, make_user(runtime, "admin"))
    for path in STAFF_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert_inline_code_carries_the_nonce(response.get_data(as_text=True), nonce_of(response))


def test_webhooks_and_health_checks_send_the_headers_too(client: FlaskClient) -> None:
    for response in (client.get("/healthz"), client.post("/sms/inbound", data={"Body": "hi"}),
                     client.post("/telegram/webhook", json={"update_id": 1})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_response_that_rendered_no_page_allows_no_inline_code(client: FlaskClient) -> None:
    """No nonce was made for it, so none is named: its policy allows only this site's files."""
    for response in (client.get("/healthz"), client.post("/sms/twilio", data={"Body": "hi"})):
        rules = policy(response)
        assert rules["script-src"] == rules["style-src"] == "'self'"
        assert rules["frame-ancestors"] == "'none'"
        assert len(response.headers.getlist("Content-Security-Policy")) == 1


def test_a_header_the_view_set_itself_is_kept_and_not_repeated(app: Flask) -> None:
    @app.get("/framed-test")
    def framed() -> Response:
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN",
                                       "content-security-policy": "default-src 'none'"})

    response = app.test_client().get("/framed-test")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers["Referrer-Policy"] == ALWAYS["Referrer-Policy"]


@pytest.fixture
def production_app(runtime: Runtime) -> Flask:
    settings = replace(runtime.settings, environment="production")
    return create_app({"TESTING": True}, runtime=replace(runtime, settings=settings))


def test_production_adds_hsts_and_secure_cookies(production_app: Flask, runtime: Runtime) -> None:
    client = production_app.test_client()
    response = client.get("/feedback")
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    signed_in = sign_in(client, make_user(runtime, "viewer"))
    cookie = signed_in.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_cookies_work_over_plain_http(app: Flask, runtime: Runtime) -> None:
    signed_in = sign_in(app.test_client(), make_user(runtime, "viewer"))
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie

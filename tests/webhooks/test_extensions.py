"""webhooks.extensions: one CSRF protector that checks only where a view asks it to, and one
limiter that counts per connecting address and limits only the routes that say so, never a
provider's webhooks or the health probes."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.bootstrap import Runtime
from webhooks import create_app
from webhooks.extensions import _not_limited_by_address, csrf, limiter


@pytest.fixture
def app(offline_runtime: Runtime) -> Flask:
    return create_app({"TESTING": True}, runtime=offline_runtime)


@pytest.fixture
def strict(offline_runtime: Runtime) -> Flask:
    """The app with the public form allowed one post a minute per address."""
    return create_app({"TESTING": True, "FEEDBACK_RATE_LIMIT": "1 per minute"},
                      runtime=offline_runtime)


def test_the_app_is_wired_to_the_shared_extensions(app: Flask) -> None:
    assert app.extensions["csrf"] is csrf
    assert limiter in app.extensions["limiter"]


def test_csrf_is_not_checked_globally_so_webhooks_reach_their_own_checks(app: Flask) -> None:
    """A provider's webhook carries no CSRF token: it is refused by its signature check (403),
    not by a blanket CSRF check (400)."""
    webhooks = [rule.rule for rule in app.url_map.iter_rules()
                if rule.endpoint.split(".")[0] in ("sms", "telegram") and rule.methods
                and "POST" in rule.methods]
    assert webhooks
    client = app.test_client()
    for path in webhooks:
        assert client.post(path, data={"Body": "hello"}).status_code == 403, path


def test_routes_without_a_limit_of_their_own_are_never_limited(strict: Flask) -> None:
    client = strict.test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code != 429
        assert client.get("/feedback").status_code == 200          # only posting is limited
        assert client.get("/staff/login").status_code == 200


def test_the_limit_counts_the_connecting_address_not_a_forwarded_header(strict: Flask) -> None:
    client = strict.test_client()
    first = {"REMOTE_ADDR": "192.0.2.10"}
    assert client.post("/feedback", data={}, environ_base=first).status_code == 400
    spoofed = client.post("/feedback", data={}, environ_base=first,
                          headers={"X-Forwarded-For": "198.51.100.99"})
    assert spoofed.status_code == 429
    other = client.post("/feedback", data={}, environ_base={"REMOTE_ADDR": "192.0.2.11"})
    assert other.status_code == 400


@pytest.fixture
def default_limited(offline_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app with an operator's default limit of two requests a minute per address for every
    route (``RATELIMIT_DEFAULT``). The limiter is shared by every app in the process, so the
    default it takes is put back after the test."""
    monkeypatch.setattr(limiter.limit_manager, "_default_limits", [])
    return create_app({"TESTING": True, "RATELIMIT_DEFAULT": "2 per minute"},
                      runtime=offline_runtime)


def statuses(client: FlaskClient, method: str, path: str, times: int = 4) -> list[int]:
    return [client.open(path, method=method, data={"Body": "hello"}).status_code
            for _ in range(times)]


def test_a_default_limit_never_turns_away_a_providers_webhooks_or_the_health_probe(
        default_limited: Flask) -> None:
    """Every SMS comes from a few Twilio addresses and every update from Telegram's: a limit by
    address there would refuse patients' messages. They keep reaching their signature checks."""
    client = default_limited.test_client()
    assert statuses(client, "POST", "/sms/twilio") == [403] * 4
    assert statuses(client, "POST", "/telegram/webhook") == [403] * 4
    assert 429 not in statuses(client, "GET", "/healthz")
    assert statuses(client, "GET", "/privacy") == [200, 200, 429, 429]  # the default applies


def test_only_the_webhook_and_health_blueprints_are_exempt(app: Flask) -> None:
    exempt = set()
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            continue
        with app.test_request_context(rule.rule, method=sorted(rule.methods or {"GET"})[0]):
            if _not_limited_by_address():
                exempt.add(rule.endpoint.split(".")[0])
    assert exempt == {"sms", "telegram", "health"}

"""webhooks.api.blueprint: the API lives under /api/v1, is read-only, answers no one without a
token, and is exempt from CSRF (it uses no cookie)."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from webhooks import create_app
from webhooks.api.blueprint import blueprint
from webhooks.runtime import RUNTIME_KEY


def api_rules(app: Flask) -> list[Rule]:
    """The API's routes that answer with data (not the JSON 404 for any other address)."""
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown_address"]


def test_the_blueprint_is_named_api_under_api_v1() -> None:
    assert (blueprint.name, blueprint.url_prefix) == ("api", "/api/v1")


def test_its_routes_are_registered_under_the_prefix_and_only_read(offline_app: Flask) -> None:
    rules = api_rules(offline_app)
    assert "/api/v1/feedback" in {rule.rule for rule in rules}
    for rule in rules:
        assert rule.rule.startswith("/api/v1/"), rule.rule
        assert rule.methods is not None and rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    assert not any(rule.rule.startswith("/api/") for rule in offline_app.url_map.iter_rules()
                   if not rule.endpoint.startswith("api."))


def test_every_api_route_refuses_an_anonymous_caller_with_json_not_a_sign_in_page(
        offline_app: Flask) -> None:
    client = offline_app.test_client()
    for rule in api_rules(offline_app):
        response = client.get(rule.rule)
        assert response.status_code == 401, rule.rule
        assert response.json is not None and response.json["error"] == "unauthorised"
        assert "Location" not in response.headers


@pytest.mark.parametrize("methods", [["GET"], ["GET", "POST"]])
def test_even_an_app_checking_csrf_on_every_request_lets_the_api_through_to_its_token_check(
        offline_app: Flask, methods: list[str]) -> None:
    app = create_app({"TESTING": True, "WTF_CSRF_CHECK_DEFAULT": True,
                      "WTF_CSRF_METHODS": methods},
                     runtime=offline_app.extensions[RUNTIME_KEY])
    response = app.test_client().get("/api/v1/feedback")
    assert response.status_code == 401                              # not CSRF's 400

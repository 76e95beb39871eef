"""webhooks.api.errors: every API error is JSON naming what went wrong (and, for a bad parameter,
which one); the rest of the app keeps its own error pages."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.bootstrap import Runtime
from webhooks import create_app
from webhooks.api import feedback as feedback_view
from webhooks.api.errors import ApiProblem, problem_response

URL = "/api/v1/feedback"


# -- ApiProblem and problem_response -----------------------------------------------------------
def test_a_problem_keeps_its_parts_and_its_own_copy_of_the_headers() -> None:
    headers = {"Retry-After": "60"}
    problem = ApiProblem(400, "bad-parameter", "page: must be a whole number", "page", headers)
    headers["Retry-After"] = "0"
    assert (problem.status, problem.code, problem.message, problem.parameter) == (
        400, "bad-parameter", "page: must be a whole number", "page")
    assert problem.headers == {"Retry-After": "60"}
    assert str(problem) == "page: must be a whole number"
    assert ApiProblem(401, "unauthorised", "no").headers == {}


def test_a_problem_response_is_json_with_the_status_and_headers() -> None:
    with Flask(__name__).test_request_context():
        response = problem_response(403, "forbidden", "Not for you.",
                                    headers={"WWW-Authenticate": 'Bearer realm="x"'})
    assert response.status_code == 403
    assert response.mimetype == "application/json"
    assert response.json == {"error": "forbidden", "message": "Not for you."}   # no "parameter"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="x"'


def test_a_bad_parameter_is_named_in_the_body() -> None:
    with Flask(__name__).test_request_context():
        response = problem_response(400, "bad-parameter", "q: too long", parameter="q")
    assert response.json == {"error": "bad-parameter", "message": "q: too long", "parameter": "q"}


# -- the handlers, through the app ------------------------------------------------------------
def test_a_problem_raised_in_an_api_view_becomes_its_json(client: FlaskClient,
                                                         viewer: dict[str, str]) -> None:
    response = client.get(f"{URL}?per_page=0", headers=viewer)
    assert response.status_code == 400
    assert response.json == {"error": "bad-parameter", "parameter": "per_page",
                              "message": "per_page: must be a whole number from 1 to 200"}


def test_an_unexpected_failure_is_a_json_500_that_says_nothing_of_the_cause(
        app: Flask, viewer: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(feedback_view, "count", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False          # as in production
    response = app.test_client().get(URL, headers=viewer)
    assert response.status_code == 500
    assert response.json is not None and response.json["error"] == "server-error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_too_many_requests_is_json_suggesting_larger_pages(runtime: Runtime,
                                                           viewer: dict[str, str]) -> None:
    client = create_app({"TESTING": True, "API_RATE_LIMIT": "1 per minute"},
                        runtime=runtime).test_client()
    assert client.get(URL, headers=viewer).status_code == 200
    response = client.get(URL, headers=viewer)
    assert response.status_code == 429
    assert response.json is not None and response.json["error"] == "rate-limited"
    assert "per_page=200" in response.json["message"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_the_api_is_a_json_405_listing_the_methods_it_takes(
        offline_app: Flask, method: str) -> None:
    response = getattr(offline_app.test_client(), method)(URL)
    assert response.status_code == 405
    assert response.json is not None and response.json["error"] == "method-not-allowed"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and not allowed & {"POST", "PUT", "PATCH", "DELETE"}
    assert all(m in response.json["message"] for m in allowed)


def test_a_405_outside_the_api_is_left_to_the_app(offline_app: Flask) -> None:
    response = offline_app.test_client().put("/feedback")
    assert response.status_code == 405
    assert response.json is None and "POST" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/feedbacks", "/api/v1/feedback/"])
def test_an_unknown_api_address_is_a_json_404(offline_app: Flask, path: str) -> None:
    response = offline_app.test_client().get(path)
    assert response.status_code == 404
    assert response.json is not None and "error" in response.json

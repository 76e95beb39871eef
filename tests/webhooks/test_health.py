"""`/healthz` answers 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from dataclasses import replace

from flask.testing import FlaskClient

from intake.bootstrap import Runtime
from intake.storage.database import make_engine
from webhooks import create_app


def test_healthy_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "version": "0.1.0"}


def test_unavailable_when_the_database_does_not_answer(runtime: Runtime) -> None:
    dead = make_engine("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    app = create_app({"TESTING": True}, runtime=replace(runtime, engine=dead))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_requests_over_the_size_limit_get_a_friendly_page(client: FlaskClient) -> None:
    response = client.post("/feedback", data={"what": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large to send" in response.get_data(as_text=True)

"""`/healthz` answers 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask.testing import FlaskClient

from intake.bootstrap import Runtime
from intake.storage import migrate
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


def test_unavailable_when_the_database_holds_no_schema(runtime: Runtime, tmp_path: Path) -> None:
    """A SQLite path that is wrong makes a new, empty file: it answers, but every webhook would
    fail, so the load balancer must not send traffic there."""
    empty = make_engine(f"sqlite:///{tmp_path / 'created-by-mistake.db'}")
    app = create_app({"TESTING": True}, runtime=replace(runtime, engine=empty))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "not migrated"


def test_unavailable_when_the_schema_is_behind_the_code(runtime: Runtime) -> None:
    migrate.downgrade(runtime.engine, "0004")
    response = create_app({"TESTING": True}, runtime=runtime).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "not migrated"


def test_requests_over_the_size_limit_get_a_friendly_page(client: FlaskClient) -> None:
    response = client.post("/feedback", data={"what": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large to send" in response.get_data(as_text=True)

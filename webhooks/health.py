"""`GET /healthz` for load balancers and uptime checks: 200 when the database answers and holds
the schema this code expects, else 503. A reachable but empty or old database (a SQLite file
created afresh at a wrong path, a deploy before `intake db upgrade`) would fail every webhook, so
it must not look healthy."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake import __version__
from intake.storage import schema_revision
from webhooks.extensions import not_limited_by_address
from webhooks.runtime import current_runtime

blueprint = not_limited_by_address(Blueprint("health", __name__))


def database_state(engine: Engine) -> str:
    """"ok", "unreachable", or "not migrated" (schema missing or at another revision)."""
    try:
        current = schema_revision.database_revision(engine)
    except SQLAlchemyError:
        return "unreachable"
    return "ok" if current == schema_revision.HEAD else "not migrated"


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    state = database_state(current_runtime().engine)
    if state == "ok":
        return jsonify(status="ok", database="ok", version=__version__), 200
    return jsonify(status="unavailable", database=state, version=__version__), 503

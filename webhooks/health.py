"""`GET /healthz` for load balancers and uptime checks: 200 when the database answers, else 503."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from intake import __version__
from intake.storage.database import is_reachable
from webhooks.runtime import current_runtime

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    if is_reachable(current_runtime().engine):
        return jsonify(status="ok", database="ok", version=__version__), 200
    return jsonify(status="unavailable", database="unreachable", version=__version__), 503

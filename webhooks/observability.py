"""Request ids, request metrics and `GET /metrics` for the web app.

Every request gets an id: the proxy's ``X-Request-ID`` when it is well formed (nginx sends its
``$request_id``), else a new one. It is in every log line written while the request is served
and in the response's ``X-Request-ID``, so a person's "it failed at 14:02" can be found in the
logs, and gunicorn's access line carries it too.

``/metrics`` is for Prometheus on the private network, not for the public: nginx does not pass it
on, a request that came through a proxy (it carries ``X-Forwarded-For``) is answered 404, and with
``METRICS_TOKEN`` set only ``Authorization: Bearer <token>`` is answered at all.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from importlib.metadata import entry_points

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from intake.observability.database import DatabaseCollector
from intake.observability.metrics import CONTENT_TYPE, HTTP_REQUESTS, HTTP_SECONDS, exposition
from intake.observability.request_id import (
    HEADER,
    accept_request_id,
    bind_request_id,
    unbind_request_id,
)
from intake.pipeline import PIPELINE_VERSION
from webhooks.runtime import current_runtime

log = logging.getLogger(__name__)
blueprint = Blueprint("observability", __name__)
METRICS_TOKEN_KEY = "METRICS_TOKEN"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _start_request() -> None:
    g.request_id = accept_request_id(request.headers.get(HEADER))
    g.request_id_token = bind_request_id(g.request_id)
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    started = g.get("request_started")
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "none"
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
        seconds = time.perf_counter() - started
        HTTP_SECONDS.labels(endpoint=endpoint).observe(seconds)
        # gunicorn's access log has this line in production; at debug level it is here too (for
        # `intake serve`). The path only: a query string can hold what someone searched for.
        log.debug("%s %s %s", method, request.path, response.status_code,
                  extra={"endpoint": endpoint, "status": response.status_code,
                         "duration_ms": round(seconds * 1000, 1)})
    return response


def _end_request(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        unbind_request_id(token)


def _allowed() -> bool:
    token = current_app.config.get(METRICS_TOKEN_KEY) or ""
    if token:
        supplied = request.headers.get("Authorization", "")
        return hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())
    # No token: only a scraper on the private network, never a request the public proxy passed on.
    return "X-Forwarded-For" not in request.headers


@blueprint.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        if current_app.config.get(METRICS_TOKEN_KEY):
            return Response("A bearer token is required.\n", 401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        abort(404)
    runtime = current_runtime()
    collector = DatabaseCollector(runtime.sessions, runtime.intake.clock,
                                  channels=current_app.config["OUTBOX_CHANNELS"],
                                  pipeline_version=PIPELINE_VERSION)
    return Response(exposition([collector]), mimetype=None, content_type=CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})


def init_observability(app: Flask) -> None:
    """Call first in the factory, so the request id is bound before any other hook logs."""
    app.config.setdefault(METRICS_TOKEN_KEY, os.environ.get("METRICS_TOKEN", "").strip())
    app.config.setdefault("OUTBOX_CHANNELS",
                          tuple(sorted(plugin.name for plugin in entry_points(group="intake.senders"))))
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.register_blueprint(blueprint)

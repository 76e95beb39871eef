"""`GET /api/v1/feedback`: the queue as JSON pages, for Excel and Power BI.

Redacted text only, each item with its active tags, tracker and consultation links, reference
and dates, newest first. Every call is audited (``api.feedback-read``, naming the member of staff,
the filters and the page), like any other feedback leaving the workspace.
"""

from __future__ import annotations

import logging
import math
import os
from itertools import islice
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy import select

from intake.export import records
from intake.feedback_query import count
from intake.staff.permissions import Action
from intake.storage.models import AuditEvent, Feedback
from webhooks.api.auth import authenticate, caller_key
from webhooks.api.blueprint import blueprint
from webhooks.api.params import DEFAULT_PER_PAGE, FeedbackQuery, read_query
from webhooks.extensions import limiter
from webhooks.runtime import current_runtime

log = logging.getLogger(__name__)
DEFAULT_RATE_LIMIT = "60 per minute;1000 per hour"


def api_rate_limit() -> str:
    """Per token; set ``API_RATE_LIMIT`` (app config or environment) to change it."""
    return str(current_app.config.get("API_RATE_LIMIT")
               or os.environ.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))


@blueprint.get("/feedback")
@limiter.limit(api_rate_limit, key_func=caller_key)
def feedback() -> Response:
    caller = authenticate(Action.USE_API, Action.READ_QUEUE)
    runtime = current_runtime()
    wanted = read_query(request.args, runtime.config)
    with runtime.sessions() as session:
        total = count(session, wanted.filters)
        start = (wanted.page - 1) * wanted.per_page
        items = list(islice(records(session, wanted.filters, batch=wanted.per_page, offset=start),
                            wanted.per_page))
        dates = {reference: (created, updated) for reference, created, updated in session.execute(
            select(Feedback.reference, Feedback.created_at, Feedback.updated_at)
            .where(Feedback.reference.in_([item["reference"] for item in items])))}
    for item in items:
        created, updated = dates[item["reference"]]
        item["created_at"], item["updated_at"] = created.isoformat(), updated.isoformat()
    pages = math.ceil(total / wanted.per_page)
    with runtime.sessions.begin() as session:
        session.add(AuditEvent(
            occurred_at=runtime.intake.clock(), actor=caller.actor, action="api.feedback-read",
            entity_type="api", entity_id="feedback",
            details={"filters": wanted.args, "page": wanted.page, "per_page": wanted.per_page,
                     "items": len(items), "total": total}))
    log.info("API: staff user %s read page %s of feedback (%s items)", caller.user_id, wanted.page,
             len(items))
    return jsonify({
        "page": wanted.page, "per_page": wanted.per_page, "total": total, "pages": pages,
        "next": _page_link(wanted, wanted.page + 1) if wanted.page < pages else None,
        "filters": wanted.args,
        "items": items,
    })


def _page_link(wanted: FeedbackQuery, page: int) -> str:
    """An absolute link, on the public address when one is configured (behind a proxy the
    request's own host may be an internal one)."""
    params: dict[str, Any] = {**wanted.args, "page": page}
    if wanted.per_page != DEFAULT_PER_PAGE:
        params["per_page"] = wanted.per_page
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for("api.feedback", **params)
    return url_for("api.feedback", _external=True, **params)

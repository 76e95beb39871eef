"""The production app (``webhooks.wsgi:app``) plus two benchmark-only routes, for gunicorn:
``gunicorn -c deploy/gunicorn.conf.py benchmarks.webhook_app:app``.

``POST /bench/bare-sms`` is the baseline the SMS webhook is measured against: it reads the same
Twilio form, checks the same fields and answers with the same kind of TwiML, through the same
Flask app (security headers and all; like the SMS webhook, no per-address rate limit) and the
same gunicorn, but checks no signature and touches no database or conversation. What the real
route costs beyond it is the work the service does.

``POST /bench/stored-sms`` is the floor under the real route: the least any SMS webhook that
keeps the service's first promise must do, which is to refuse a forged request and to store the
message (``Intake.receive``: encrypted, one INSERT that commits) before answering. It answers
as the bare route does, with no conversation. What the real route costs beyond it is the
conversation and the pipeline; what it costs beyond the bare route is the signature and the
database's round trip.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from webhooks.extensions import not_limited_by_address
from webhooks.runtime import current_runtime
from webhooks.sms.routes import _media_types, _message, _refusal, _require_signature, _twiml
from webhooks.wsgi import app

BARE_PATH = "/bench/bare-sms"
STORED_PATH = "/bench/stored-sms"
BARE_REPLY = "Is this about GP? Reply YES or NO."


def bare_sms() -> Response | tuple[str, int]:
    if (refused := _refusal(request.form)) is not None:
        return refused
    _media_types(request.form.to_dict())
    return _twiml((BARE_REPLY,))


def stored_sms() -> Response | tuple[str, int]:
    _require_signature()
    if (refused := _refusal(request.form)) is not None:
        return refused
    current_runtime().intake.receive(_message(request.form).to_incoming())
    return _twiml((BARE_REPLY,))


bench = not_limited_by_address(Blueprint("bench", __name__))
bench.add_url_rule(BARE_PATH, "bare_sms", bare_sms, methods=["POST"])
bench.add_url_rule(STORED_PATH, "stored_sms", stored_sms, methods=["POST"])
app.register_blueprint(bench)

__all__ = ["app"]

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

from bot.chat import ChatMessage
from webhooks.extensions import not_limited_by_address
from webhooks.runtime import current_runtime
from webhooks.sms.routes import MAX_ID_LENGTH, _media_types, _require_signature, _twiml
from webhooks.wsgi import app

BARE_PATH = "/bench/bare-sms"
STORED_PATH = "/bench/stored-sms"
BARE_REPLY = "Is this about GP? Reply YES or NO."


def _refusal() -> tuple[str, int] | None:
    """The real route's answer to a form without a usable message id and sender, or None."""
    sid, sender = request.form.get("MessageSid", ""), request.form.get("From", "")
    if not sid or not sender:
        return "MessageSid and From are required.", 400
    if not all(len(field) <= MAX_ID_LENGTH and field.isprintable() for field in (sid, sender)):
        return "MessageSid and From must be short printable identifiers, as Twilio sends.", 400
    return None


def bare_sms() -> Response | tuple[str, int]:
    if (refused := _refusal()) is not None:
        return refused
    _media_types(request.form.to_dict())
    return _twiml((BARE_REPLY,))


def stored_sms() -> Response | tuple[str, int]:
    _require_signature()
    if (refused := _refusal()) is not None:
        return refused
    form = request.form
    message = ChatMessage(
        channel="sms", provider_message_id=form["MessageSid"], sender=form["From"],
        text=form.get("Body", ""), media=_media_types(form.to_dict()),
        metadata={"to": form.get("To"), "num_segments": form.get("NumSegments"),
                  "account_sid": form.get("AccountSid")})
    current_runtime().intake.receive(message.to_incoming())
    return _twiml((BARE_REPLY,))


bench = not_limited_by_address(Blueprint("bench", __name__))
bench.add_url_rule(BARE_PATH, "bare_sms", bare_sms, methods=["POST"])
bench.add_url_rule(STORED_PATH, "stored_sms", stored_sms, methods=["POST"])
app.register_blueprint(bench)

__all__ = ["app"]

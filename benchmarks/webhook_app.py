"""The production app (``webhooks.wsgi:app``) plus one benchmark-only route, for gunicorn:
``gunicorn -c deploy/gunicorn.conf.py benchmarks.webhook_app:app``.

``POST /bench/bare-sms`` is the baseline the SMS webhook is measured against: it reads the same
Twilio form, checks the same fields and answers with the same kind of TwiML, through the same
Flask app (security headers and all; like the SMS webhook, no per-address rate limit) and the
same gunicorn, but checks no signature and touches no database or conversation. What the real
route costs beyond it is the work the service does.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from webhooks.extensions import not_limited_by_address
from webhooks.sms.routes import MAX_ID_LENGTH, _media_types, _twiml
from webhooks.wsgi import app

BARE_PATH = "/bench/bare-sms"
BARE_REPLY = "Is this about GP? Reply YES or NO."


def bare_sms() -> Response | tuple[str, int]:
    form = request.form
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not sid or not sender:
        return "MessageSid and From are required.", 400
    if not all(len(field) <= MAX_ID_LENGTH and field.isprintable() for field in (sid, sender)):
        return "MessageSid and From must be short printable identifiers, as Twilio sends.", 400
    _media_types(form.to_dict())
    return _twiml((BARE_REPLY,))


bench = not_limited_by_address(Blueprint("bench", __name__))
bench.add_url_rule(BARE_PATH, "bare_sms", bare_sms, methods=["POST"])
app.register_blueprint(bench)

__all__ = ["app"]

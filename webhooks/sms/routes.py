"""`POST /sms/twilio` (messages in) and `POST /sms/twilio/status` (delivery reports).

A request without a valid signature is refused with 403 before anything is stored. A valid one
is stored first (by the conversation service), then answered with TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from bot.chat import ChatMessage
from intake.outbox import record_status
from intake.storage.models import OutboundStatus
from webhooks.database_errors import is_unavailable, unavailable
from webhooks.extensions import not_limited_by_address
from webhooks.runtime import current_chat, current_runtime
from webhooks.sms.settings import TwilioSettings
from webhooks.sms.signature import is_signed

log = logging.getLogger(__name__)
blueprint = not_limited_by_address(Blueprint("sms", __name__, url_prefix="/sms"))
MAX_MEDIA = 10
TWILIO_STATUS = {
    "delivered": OutboundStatus.DELIVERED, "read": OutboundStatus.DELIVERED,
    "undelivered": OutboundStatus.FAILED, "failed": OutboundStatus.FAILED,
    "canceled": OutboundStatus.CANCELLED,
}


def _settings() -> TwilioSettings:
    settings: TwilioSettings = current_app.config["TWILIO"]
    return settings


def _require_signature() -> None:
    settings = _settings()
    if not settings.auth_token:
        log.error("TWILIO_AUTH_TOKEN is not set: refusing every SMS webhook request")
        abort(403)
    if not is_signed(request, settings.auth_token, current_runtime().settings.public_base_url):
        log.warning("refused an SMS webhook request with a missing or wrong signature")
        abort(403)


def _twiml(replies: tuple[str, ...]) -> Response:
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return Response(str(response), mimetype="text/xml")


def _media_types(form: dict[str, str]) -> tuple[str, ...]:
    try:
        count = max(0, min(int(form.get("NumMedia") or 0), MAX_MEDIA))
    except ValueError:
        count = 0
    return tuple(form.get(f"MediaContentType{i}") or "unknown" for i in range(count))


# Twilio's ids are 34 characters and numbers at most 16; anything far longer is not from Twilio.
MAX_ID_LENGTH = 64


def _refusal(form: MultiDict[str, str]) -> tuple[str, int] | None:
    """The answer to a form without a usable message id and sender, or None if it has them."""
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not sid or not sender:
        return "MessageSid and From are required.", 400
    if not all(len(field) <= MAX_ID_LENGTH and field.isprintable() for field in (sid, sender)):
        return "MessageSid and From must be short printable identifiers, as Twilio sends.", 400
    return None


def _message(form: MultiDict[str, str]) -> ChatMessage:
    """The channel-neutral message of a Twilio form that ``_refusal`` let through."""
    return ChatMessage(
        channel="sms", provider_message_id=form["MessageSid"], sender=form["From"],
        text=form.get("Body", ""), media=_media_types(form.to_dict()),
        metadata={"to": form.get("To"), "num_segments": form.get("NumSegments"),
                  "account_sid": form.get("AccountSid")})


@blueprint.post("/twilio")
def inbound() -> Response | tuple[str, int]:
    _require_signature()
    if (refused := _refusal(request.form)) is not None:
        return refused
    try:
        reply = current_chat().handle(_message(request.form))
    except SQLAlchemyError as exc:
        if not is_unavailable(exc):
            raise
        log.exception("database unavailable while receiving an SMS")
        return unavailable()
    return _twiml(reply.replies)


@blueprint.post("/twilio/status")
def delivery_status() -> tuple[str, int]:
    _require_signature()
    sid, reported = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    if not sid or not reported:
        return "MessageSid and MessageStatus are required.", 400
    status = TWILIO_STATUS.get(reported.lower(), OutboundStatus.SENT)
    runtime = current_runtime()
    with runtime.sessions.begin() as session:
        record_status(session, sid, status, request.form.get("ErrorCode") or None,
                      runtime.intake.clock())
    return "", 204

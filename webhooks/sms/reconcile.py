"""Texts Twilio received while the webhook could not store them, fetched back and ingested.

While the database is down the webhook answers 503, and Twilio does not retry inbound messages:
the text is lost to us but still listed in Twilio's message log. ``reconcile`` reads that log
(Twilio's REST API, every page) for a time window, and stores each inbound message whose
``MessageSid`` the inbox does not hold yet, the way the webhook stores a first message: the raw
message first, then processing. Nobody is answered: the moment for a conversation has passed, so
each text becomes feedback on its own, except that an opt-out ("STOP") still opts the person out
and other keywords (START, HELP, a language name) are never taken for feedback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.chat import ChatMessage, ChatService
from bot.commands import CommandKind, recognise
from intake.contributors import contributor_for, find_address
from intake.storage.models import AuditEvent, InboundMessage, InboundState
from webhooks.sms.sender import HTTP_TIMEOUT_SECONDS
from webhooks.sms.settings import TwilioSettings

CHANNEL = "sms"
PAGE_SIZE = 1000  # Twilio's largest page: fewest requests for a long outage
LOOKUP_BATCH = 500  # sids per "already stored?" query (well under every database's limit)
DURATION = re.compile(r"(\d+)\s*([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ReconcileError(Exception):
    """Twilio could not be asked (not configured, unreachable, or it answered an error)."""


@dataclass(frozen=True)
class TwilioText:
    """One message from Twilio's log, reduced to what the inbox needs."""

    sid: str
    sender: str
    to: str
    body: str
    direction: str
    sent_at: datetime | None
    num_media: int = 0
    num_segments: str | None = None
    account_sid: str | None = None


@dataclass
class ReconcileSummary:
    """What one run found and did. ``missing`` are the inbound sids the inbox lacked when
    listed; ``ingested`` how many of them this run stored (none in a dry run); the other lists
    say what became of those."""

    since: datetime
    until: datetime | None
    dry_run: bool = False
    listed: int = 0
    inbound: int = 0
    already_stored: int = 0
    missing: list[str] = field(default_factory=list)
    ingested: int = 0
    references: list[str] = field(default_factory=list)           # feedback items made
    opted_out: int = 0
    opted_in: int = 0
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (sid, why it is not feedback)
    failed: list[tuple[str, str]] = field(default_factory=list)   # (sid, reason)


# -- the time window ---------------------------------------------------------------------------
def parse_moment(text: str, now: datetime) -> datetime:
    """``2h``, ``3d``, ``1d12h`` (that long before ``now``), or an ISO date or date-time
    (``2026-11-01``, ``2026-11-01T09:00``, with an offset or else UTC), as an aware UTC time."""
    value = text.strip()
    if value and DURATION.sub("", value).strip() == "" and DURATION.search(value):
        delta = timedelta()
        for amount, unit in DURATION.findall(value):
            delta += timedelta(**{UNITS[unit]: int(amount)})
        return now - delta
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(value), time())
        except ValueError:
            raise ValueError(
                f"{text!r} is neither a duration nor a date. Use a duration such as 2h, 3d or "
                "1d12h, or an ISO date or date-time such as 2026-11-01 or 2026-11-01T09:30 "
                "(UTC unless an offset is given).") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- Twilio -----------------------------------------------------------------------------------
def twilio_client(settings: TwilioSettings) -> Client:
    """twilio's own client, as the sender builds it (``TWILIO_API_BASE_URL`` included)."""
    if not (settings.account_sid and settings.auth_token):
        raise ReconcileError(
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set to read Twilio's message log "
            "(both are on the Twilio console's account dashboard).")
    client = Client(settings.account_sid, settings.auth_token,
                    http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS))
    client.api.base_url = settings.api_base_url
    return client


def _twilio_error(exc: Exception) -> str:
    """A sentence for the admin from whatever the twilio library raised."""
    if isinstance(exc, TwilioRestException):
        return f"Twilio answered {exc.status} (error {exc.code}: {exc.msg})"
    # A page that is not 200 raises a plain TwilioException("Unable to fetch page", response).
    response = next((a for a in getattr(exc, "args", ()) if isinstance(a, Response)), None)
    if response is not None:
        try:
            body: Any = json.loads(response.text)
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("code"):
            return f"Twilio answered {response.status_code} (error {body['code']}: {body.get('message')})"
        return f"Twilio answered {response.status_code}"
    return f"Twilio could not be reached ({exc})"


def fetch_texts(client: Client, numbers: Sequence[str], since: datetime,
                until: datetime | None) -> list[TwilioText]:
    """Every message Twilio lists to our numbers sent in [since, until], oldest first, following
    Twilio's pages to the end. Twilio's own date filter is applied again here, to the second."""
    texts: dict[str, TwilioText] = {}
    try:
        for number in numbers:
            filters: dict[str, Any] = {"to": number, "date_sent_after": since, "page_size": PAGE_SIZE}
            if until is not None:
                filters["date_sent_before"] = until
            for record in client.messages.stream(**filters):
                sent_at = record.date_sent or record.date_created
                sent_at = sent_at if isinstance(sent_at, datetime) else None
                if sent_at is not None and (sent_at < since or (until and sent_at > until)):
                    continue
                texts[str(record.sid)] = TwilioText(
                    sid=str(record.sid), sender=str(record.from_ or ""), to=str(record.to or ""),
                    body=str(record.body or ""), direction=str(record.direction or ""),
                    sent_at=sent_at, num_media=int(record.num_media or 0),
                    num_segments=record.num_segments, account_sid=record.account_sid)
    except (TwilioException, OSError) as exc:
        raise ReconcileError(f"{_twilio_error(exc)} while listing messages. Check "
                             "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and the number, then try "
                             "again; nothing was stored.") from exc
    far_past = datetime.min.replace(tzinfo=UTC)
    return sorted(texts.values(), key=lambda t: (t.sent_at or far_past, t.sid))


# -- the inbox --------------------------------------------------------------------------------
def stored_sids(chat: ChatService, sids: Iterable[str]) -> set[str]:
    wanted, found = list(sids), set()
    with chat.runtime.sessions() as session:
        for start in range(0, len(wanted), LOOKUP_BATCH):
            found.update(session.scalars(select(InboundMessage.provider_message_id).where(
                InboundMessage.channel == CHANNEL,
                InboundMessage.provider_message_id.in_(wanted[start:start + LOOKUP_BATCH]))))
    return found


def _as_chat_message(text: TwilioText) -> ChatMessage:
    """As the webhook would have parsed it (media types are not in the log: "unknown")."""
    return ChatMessage(
        channel=CHANNEL, provider_message_id=text.sid, sender=text.sender, text=text.body,
        media=("unknown",) * text.num_media, received_at=text.sent_at,
        metadata={"to": text.to, "num_segments": text.num_segments,
                  "account_sid": text.account_sid, "recovered_by": "sms reconcile"})


def _opt_in(chat: ChatService, sender: str) -> None:
    """What START does in the webhook, without the reply."""
    now = chat.clock()
    with chat.runtime.sessions.begin() as session:
        _, address = contributor_for(session, chat.intake.vault, CHANNEL, sender, now)
        address.opted_out_at = None
        session.add(AuditEvent(occurred_at=now, actor=f"contact:{address.id}",
                               action="contact.opt-in", entity_type="contact_address",
                               entity_id=str(address.id),
                               details={"channel": CHANNEL, "by": "sms reconcile"}))


def ingest_text(chat: ChatService, text: TwilioText, summary: ReconcileSummary) -> None:
    """Store one missed text, then opt out/in, set aside, or process it as feedback."""
    inbound_id, duplicate = chat.intake.receive(_as_chat_message(text).to_incoming())
    if duplicate:  # the webhook (or another run) stored it since it was listed
        summary.already_stored += 1
        return
    summary.ingested += 1
    with chat.runtime.sessions() as session:
        address = find_address(session, chat.intake.vault, CHANNEL, text.sender)
        opted_out = address is not None and address.opted_out_at is not None
    command = recognise(text.body, chat.script, opted_out)
    if command is not None:
        if command.kind == CommandKind.OPT_OUT:
            # The audit log is not encrypted: the reason names the keyword's kind, not the text.
            chat.opt_out(CHANNEL, text.sender, reason="opt-out text recovered by sms reconcile")
            summary.opted_out += 1
        elif command.kind == CommandKind.OPT_IN:
            _opt_in(chat, text.sender)
            summary.opted_in += 1
        else:
            summary.ignored.append((text.sid, f"{command.kind} keyword"))
        chat.intake.mark_ignored(inbound_id, f"{command.kind} keyword")
        return
    if text.num_media and not text.body.strip():
        chat.intake.mark_ignored(inbound_id, "attachment without text")
        summary.ignored.append((text.sid, "attachment without text"))
        return
    result = chat.intake.process(inbound_id)
    if result.state == InboundState.PROCESSED and result.reference:
        summary.references.append(result.reference)
    elif result.state == InboundState.REJECTED:
        summary.ignored.append((text.sid, result.error or "rejected"))
    else:
        summary.failed.append((text.sid, result.error or str(result.state)))


def reconcile(chat: ChatService, client: Client, numbers: Sequence[str], since: datetime,
              until: datetime | None = None, dry_run: bool = False) -> ReconcileSummary:
    """Ingest the inbound texts to ``numbers`` in [since, until] that the inbox lacks."""
    summary = ReconcileSummary(since=since, until=until, dry_run=dry_run)
    texts = fetch_texts(client, numbers, since, until)
    summary.listed = len(texts)
    inbound = [t for t in texts if t.direction == "inbound"]
    summary.inbound = len(inbound)
    known = stored_sids(chat, (t.sid for t in inbound))
    summary.already_stored = len(known)
    missing = [t for t in inbound if t.sid not in known]
    summary.missing = [t.sid for t in missing]
    if not dry_run:
        for text in missing:
            try:
                ingest_text(chat, text, summary)
            except OperationalError as exc:
                raise ReconcileError(
                    f"The database is unavailable ({type(exc.orig).__name__}); {summary.ingested} "
                    "missed texts were stored before it went. Run this again once it is back: "
                    "what is stored is never stored twice.") from exc
            except Exception as exc:  # one bad message must not keep the rest out
                summary.failed.append((text.sid, f"{type(exc).__name__}: {exc}"))
    return summary

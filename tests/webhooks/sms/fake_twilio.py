"""A local stand-in for Twilio's REST API: `POST` and `GET /2010-04-01/Accounts/{sid}/Messages.json`.

It runs on 127.0.0.1 on a free port, records every request exactly as it arrived, and answers like
Twilio does. POST (send): 201 with the new message as JSON, or (for numbers the test names) 429
with Retry-After, 500, 400 with Twilio error 21610 (the person texted STOP to the sender) or 400
with error 21211 (not a valid number). GET (list): the message log (``messages``: what the test
added, and what was sent), newest first, filtered by To, From and DateSent</> and split into
Twilio's pages (Page, PageSize, next_page_uri); or ``listing_error`` when the test sets one.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from twilio.http.http_client import TwilioHttpClient

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-zA-Z]+)/Messages\.json$")
SOCKET_TIMEOUT = 5.0
DEFAULT_PAGE_SIZE = 50  # Twilio's


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    authorization: str

    @property
    def basic_auth(self) -> tuple[str, str]:
        scheme, _, token = self.authorization.partition(" ")
        assert scheme == "Basic", self.authorization
        user, _, password = base64.b64decode(token).decode().partition(":")
        return user, password


@dataclass
class FakeTwilio:
    """Configure answers per recipient number, then read ``requests`` afterwards."""

    rate_limited: dict[str, int] = field(default_factory=dict)  # number -> Retry-After seconds
    server_error: set[str] = field(default_factory=set)
    opted_out: set[str] = field(default_factory=set)
    invalid: set[str] = field(default_factory=set)  # answered 400 with error 21211
    messages: list[dict[str, Any]] = field(default_factory=list)  # the log GET lists
    listing_error: tuple[int, int, str] | None = None  # (HTTP status, Twilio code, message) for GET
    requests: list[RecordedRequest] = field(default_factory=list)
    base_url: str = ""
    _sids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_sid(self) -> str:
        with self._lock:
            return f"SM{next(self._sids):032x}"

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def add_message(self, sender: str, to: str, body: str, sent_at: datetime,
                    direction: str = "inbound", sid: str | None = None,
                    account_sid: str = "AC" + "1" * 32) -> str:
        """Put a message in the log, as Twilio shows it in a list (dates in RFC 2822)."""
        sid = sid or self.next_sid()
        date = format_datetime(sent_at.astimezone(UTC))
        with self._lock:
            self.messages.append({
                "sid": sid, "account_sid": account_sid, "from": sender, "to": to, "body": body,
                "direction": direction, "status": "received" if direction == "inbound" else "sent",
                "date_created": date, "date_updated": date, "date_sent": date,
                "num_segments": "1", "num_media": "0", "api_version": "2010-04-01",
                "messaging_service_sid": None, "price": None, "price_unit": "GBP",
                "error_code": None, "error_message": None,
                "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
            })
        return sid

    def listed(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """The log filtered as Twilio filters it (DateSent> and DateSent< are inclusive)."""
        after, before = _when(query.get("DateSent>")), _when(query.get("DateSent<"))

        def keep(message: dict[str, Any]) -> bool:
            sent = parsedate_to_datetime(message["date_sent"])
            return (query.get("To", message["to"]) == message["to"]
                    and query.get("From", message["from"]) == message["from"]
                    and (after is None or sent >= after) and (before is None or sent <= before))

        with self._lock:
            found = [m for m in self.messages if keep(m)]
        return sorted(found, key=lambda m: parsedate_to_datetime(m["date_sent"]), reverse=True)


def _when(value: str | None) -> datetime | None:
    """What the twilio library sends for a date filter: 2026-11-02T10:30:00Z (or a bare date)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC)


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT  # a client that stops sending cannot hold a thread forever

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def _answer(self, status: int, body: dict[str, object],
                    headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
            fake.record(RecordedRequest("POST", self.path, form,
                                        self.headers.get("Authorization", "")))
            match = MESSAGES_PATH.match(self.path)
            if match is None:
                self._answer(404, {"code": 20404, "message": "The requested resource was not found",
                                   "more_info": "https://www.twilio.com/docs/errors/20404",
                                   "status": 404})
                return
            to = form.get("To", "")
            if to in fake.rate_limited:
                self._answer(429, {"code": 20429, "message": "Too Many Requests",
                                   "more_info": "https://www.twilio.com/docs/errors/20429",
                                   "status": 429},
                             {"Retry-After": str(fake.rate_limited[to])})
            elif to in fake.server_error:
                self._answer(500, {"code": 20500, "message": "Internal Server Error",
                                   "more_info": "https://www.twilio.com/docs/errors/20500",
                                   "status": 500})
            elif to in fake.opted_out:
                self._answer(400, {
                    "code": 21610, "message": "Attempt to send to unsubscribed recipient",
                    "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
            elif to in fake.invalid:
                self._answer(400, {
                    "code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
            else:
                sid = fake.next_sid()
                fake.add_message(form.get("From") or "", to, form.get("Body", ""),
                                 datetime.now(UTC), "outbound-api", sid, match["account"])
                self._answer(201, {
                    "sid": sid, "account_sid": match["account"], "to": to,
                    "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": form.get("Body", ""), "status": "queued", "num_segments": "1",
                    "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
                    "price": None, "price_unit": "GBP", "error_code": None, "error_message": None,
                    "uri": f"/2010-04-01/Accounts/{match['account']}/Messages/{sid}.json",
                })

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            fake.record(RecordedRequest("GET", self.path, query, self.headers.get("Authorization", "")))
            match = MESSAGES_PATH.match(url.path)
            if match is None:
                self._answer(404, {"code": 20404, "message": "The requested resource was not found",
                                   "more_info": "https://www.twilio.com/docs/errors/20404",
                                   "status": 404})
                return
            if fake.listing_error is not None:
                status, code, message = fake.listing_error
                self._answer(status, {"code": code, "message": message, "status": status,
                                      "more_info": f"https://www.twilio.com/docs/errors/{code}"})
                return
            size, number = int(query.get("PageSize") or DEFAULT_PAGE_SIZE), int(query.get("Page") or 0)
            found = fake.listed(query)
            page = found[number * size:(number + 1) * size]
            filters = {k: v for k, v in query.items() if k not in ("Page", "PageToken", "PageSize")}

            def uri(page_number: int, token: str | None = None) -> str:
                params = {**filters, "PageSize": size, "Page": page_number}
                if token:
                    params["PageToken"] = token
                return f"{url.path}?{urlencode(params)}"

            more = (number + 1) * size < len(found)
            self._answer(200, {
                "messages": page, "page": number, "page_size": size,
                "start": number * size, "end": number * size + max(len(page) - 1, 0),
                "uri": uri(number), "first_page_uri": uri(0),
                "previous_page_uri": uri(number - 1) if number else None,
                "next_page_uri": uri(number + 1, "PA" + page[-1]["sid"]) if more else None,
            })

    return Handler


def bound_twilio_timeouts(monkeypatch: pytest.MonkeyPatch, seconds: float = SOCKET_TIMEOUT) -> None:
    """twilio's default HTTP client waits forever; in tests every request gets a time limit."""
    original = TwilioHttpClient.__init__

    def bounded(self: TwilioHttpClient, *args: Any, timeout: float | None = None, **kwargs: Any) -> None:
        original(self, *args, timeout=timeout or seconds, **kwargs)

    monkeypatch.setattr(TwilioHttpClient, "__init__", bounded)


@contextmanager
def running_fake_twilio() -> Iterator[FakeTwilio]:
    """Start the fake on 127.0.0.1 (a free port) in a thread; stop it and close its socket after."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    fake.base_url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="fake-twilio", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=SOCKET_TIMEOUT)


@pytest.fixture
def fake_twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    """A running fake Twilio with twilio's client timeouts bounded (shared by every test)."""
    bound_twilio_timeouts(monkeypatch)
    with running_fake_twilio() as fake:
        yield fake


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"

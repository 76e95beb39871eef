"""A local stand-in for Twilio's REST API: just `POST /2010-04-01/Accounts/{sid}/Messages.json`.

It runs on 127.0.0.1 on a free port, records every request exactly as it arrived, and answers like
Twilio does: 201 with the new message as JSON, or (for numbers the test names) 429 with
Retry-After, 500, 400 with Twilio error 21610 (the person texted STOP to the sender) or 400 with
error 21211 (not a valid number).
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from twilio.http.http_client import TwilioHttpClient

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-zA-Z]+)/Messages\.json$")
SOCKET_TIMEOUT = 5.0


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
                self._answer(201, {
                    "sid": sid, "account_sid": match["account"], "to": to,
                    "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": form.get("Body", ""), "status": "queued", "num_segments": "1",
                    "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
                    "price": None, "price_unit": "GBP", "error_code": None, "error_message": None,
                    "uri": f"/2010-04-01/Accounts/{match['account']}/Messages/{sid}.json",
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

"""A local fake of Twilio's Messages API that records every send and can hold them in flight.

While ``holding`` is set, each request is recorded, ``arrived`` is set, and the answer waits for
``release`` (with a time limit): the moment to kill a worker that is mid-send.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HOLD_SECONDS = 60.0


@dataclass
class FakeProvider:
    base_url: str = ""
    sends: list[dict[str, str]] = field(default_factory=list)
    holding: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _sids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, form: dict[str, str]) -> str:
        with self._lock:
            self.sends.append(form)
            return f"SM{next(self._sids):032x}"


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = HOLD_SECONDS + 5

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
            sid = fake.record(form)
            fake.arrived.set()
            if fake.holding:
                fake.release.wait(HOLD_SECONDS)
            body = json.dumps({"sid": sid, "to": form.get("To"), "from": form.get("From"),
                               "body": form.get("Body", ""), "status": "queued",
                               "num_segments": "1", "direction": "outbound-api",
                               "api_version": "2010-04-01"}).encode()
            try:
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the worker was killed while we held its request
                pass

    return Handler


@contextmanager
def running_fake_provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""A local fake of the Telegram Bot API: enough methods for the bot, every request recorded.

Runs a real HTTP server on 127.0.0.1 so python-telegram-bot talks to it through ``base_url``
exactly as it would talk to Telegram.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Involve", "username": "involve_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeBotApi:
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    fail_next: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    base_url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def texts(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.sent() if int(p["chat_id"]) == chat_id]

    def wait_for(self, method: str, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.sent(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} calls, got {self.sent(method)}")
            time.sleep(0.02)
        return self.sent(method)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(method, params))
            if method in self.fail_next:
                return self.fail_next.pop(method)
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "sendMessage":
            result = {"message_id": next(self._ids), "date": int(time.time()),
                      "chat": {"id": int(params["chat_id"]), "type": "private"},
                      "text": params.get("text", "")}
        elif method == "editMessageText":
            result = {"message_id": int(params.get("message_id", 1)), "date": int(time.time()),
                      "chat": {"id": int(params.get("chat_id", 1)), "type": "private"},
                      "text": params.get("text", "")}
        elif method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                result = [u for u in self.updates if u["update_id"] >= offset]
            if not result:
                time.sleep(0.05)
        return 200, {"ok": True, "result": result}


def _params(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length).decode() if length else ""
    if "json" in (handler.headers.get("Content-Type") or ""):
        return json.loads(body or "{}")
    params: dict[str, Any] = {}
    for key, values in parse_qs(body, keep_blank_values=True).items():
        value = values[0]
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


@contextmanager
def running_fake_bot_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            method = self.path.rsplit("/", 1)[-1]
            status, payload = api.answer(method, _params(self))
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}/bot"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def user(user_id: int = 4242, language_code: str | None = "en") -> dict[str, Any]:
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Sam"}
    if language_code:
        found["language_code"] = language_code
    return found


def text_update(update_id: int, text: str, chat_id: int = 4242,
                language_code: str | None = "en") -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": update_id, "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private"},
                               "from": user(chat_id, language_code), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def button_update(update_id: int, data: str, chat_id: int = 4242,
                  language_code: str | None = "en") -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": f"q{update_id}", "chat_instance": "ci", "data": data,
        "from": user(chat_id, language_code),
        "message": {"message_id": 1, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": "question"}}}

"""Webhook mode inside a WSGI web app: one bot per worker process, on its own event loop thread.

The web request stores the raw update first, then hands it here and waits (with a time limit)
for the handlers to finish, so the reply goes out before Telegram gets its 200.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from telegram import Update
from telegram.ext import Application


class BackgroundBot:
    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self.application = application
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="telegram-bot",
                                        daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(application.initialize(), self.loop).result(timeout=30)

    def parse(self, data: dict[str, Any]) -> Update:
        update = Update.de_json(data, self.application.bot)
        assert update is not None
        return update

    def process(self, update: Update, timeout: float = 20.0) -> None:
        future = asyncio.run_coroutine_threadsafe(self.application.process_update(update),
                                                  self.loop)
        future.result(timeout=timeout)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.application.shutdown(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)

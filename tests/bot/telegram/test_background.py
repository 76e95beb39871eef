"""BackgroundBot: one bot per web worker on its own event-loop thread; the request thread hands an
update over and waits for the handlers, so replies are sent before it answers Telegram."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.telegram.background import BackgroundBot

from .fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api, text_update


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as fake:
        yield fake


class Echo:
    """A handler that replies with the text it got, noting the thread it ran on; text ``wait``
    blocks until ``release`` is set, text ``boom`` raises."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.release: asyncio.Event | None = None

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_chat is not None
        text = update.effective_message.text or ""
        self.threads.append(threading.current_thread().name)
        if text == "boom":
            raise RuntimeError("handler failed")
        if text == "wait":
            self.release = asyncio.Event()
            await self.release.wait()
        await asyncio.sleep(0)  # hand the loop over once, as real handlers do
        await context.bot.send_message(chat_id=update.effective_chat.id, text=f"echo: {text}")


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
def bot(api: FakeBotApi, echo: Echo) -> Iterator[BackgroundBot]:
    application: Any = Application.builder().token(TOKEN).base_url(api.base_url).updater(None).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    background = BackgroundBot(application)
    try:
        yield background
    finally:
        if background.loop.is_running():
            background.close()


def test_starting_initialises_the_bot_on_a_running_loop_thread(bot: BackgroundBot,
                                                               api: FakeBotApi) -> None:
    assert [call.method for call in api.calls] == ["getMe"]
    assert bot.application.bot.username == "involve_test_bot"
    assert bot.loop.is_running()


def test_parse_makes_an_update_bound_to_the_bot(bot: BackgroundBot) -> None:
    update = bot.parse(text_update(7, "Hello", chat_id=4242))
    assert update.update_id == 7
    assert update.effective_message is not None and update.effective_message.text == "Hello"
    assert update.effective_chat is not None and update.effective_chat.id == 4242
    assert update.get_bot() is bot.application.bot


def test_process_returns_only_after_the_handlers_have_replied(bot: BackgroundBot, api: FakeBotApi,
                                                              echo: Echo) -> None:
    bot.process(bot.parse(text_update(1, "Hello")))
    assert api.texts(4242) == ["echo: Hello"]  # recorded already: no waiting needed
    assert echo.threads == ["telegram-bot"]  # on the bot's loop, not the request thread


def test_a_failing_handler_does_not_stop_the_next_update(bot: BackgroundBot, api: FakeBotApi,
                                                         echo: Echo) -> None:
    bot.process(bot.parse(text_update(1, "boom")))
    bot.process(bot.parse(text_update(2, "still here")))
    assert api.texts(4242) == ["echo: still here"]
    assert len(echo.threads) == 2


def test_a_handler_that_does_not_finish_in_time_times_out(bot: BackgroundBot, api: FakeBotApi,
                                                          echo: Echo) -> None:
    with pytest.raises(TimeoutError):
        bot.process(bot.parse(text_update(1, "wait")), timeout=0.2)
    assert api.sent() == []
    assert echo.release is not None
    bot.loop.call_soon_threadsafe(echo.release.set)  # let it finish before the bot closes
    bot.process(bot.parse(text_update(2, "after")))  # the loop is still serving updates
    assert "echo: after" in api.texts(4242)


def test_close_shuts_the_bot_down_and_stops_its_thread(bot: BackgroundBot) -> None:
    bot.close()
    assert not bot.loop.is_running()
    assert not bot._thread.is_alive()

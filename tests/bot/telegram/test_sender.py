"""TelegramSender against a local fake of the Bot API: exactly what goes out, how long texts are
split, how Telegram's refusals are reported to the outbox, and the per-chat pacing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.telegram import sender as sender_module
from bot.telegram.sender import TelegramSender, make_sender
from bot.telegram.settings import TelegramSettings
from intake.bootstrap import Runtime
from intake.contributors import contributor_for
from intake.outbox import OutboxWorker, PermanentFailure, TemporaryFailure, enqueue
from intake.storage.models import OutboundMessage, OutboundStatus
from tests.conftest import FIXED_NOW
from tests.webhooks.sms.fake_twilio import closed_port_url

from .fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api

CHAT = "4242"
OTHER_CHAT = "5151"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as fake:
        yield fake


@pytest.fixture
def make() -> Iterator[Callable[..., TelegramSender]]:
    """Senders that are shut down (HTTP client, event loop) after the test."""
    made: list[TelegramSender] = []

    def build(base_url: str, per_chat_interval: float = 0.0) -> TelegramSender:
        sender = TelegramSender(TelegramSettings(TOKEN, "", base_url),
                                per_chat_interval=per_chat_interval)
        made.append(sender)
        return sender

    yield build
    for sender in made:
        if sender._ready:
            sender.loop.run_until_complete(sender.bot.shutdown())
        sender.loop.close()


def words(count: int) -> str:
    """A text of distinct five-letter words, so any split point can be seen."""
    return " ".join(f"w{i:04d}" for i in range(count))


def test_send_posts_exactly_the_chat_and_text(api: FakeBotApi, make: Callable[..., TelegramSender]) -> None:
    body = "Thanks to feedback like yours, the GP surgery has more phone lines. شکریہ 👍"

    provider_id = make(api.base_url).send(CHAT, body)

    assert [call.method for call in api.calls] == ["getMe", "sendMessage"]
    [params] = api.sent()
    assert params == {"chat_id": int(CHAT), "text": body}  # the fake reads form values as JSON
    assert provider_id == f"{CHAT}:1000"  # the chat and the first message's id


def test_a_long_body_is_split_into_two_messages_at_a_space(api: FakeBotApi,
                                                          make: Callable[..., TelegramSender]) -> None:
    body = words(750)
    assert len(body) == 4_499

    make(api.base_url).send(CHAT, body)

    texts = api.texts(int(CHAT))
    assert len(texts) == 2
    assert all(0 < len(text) <= 4096 for text in texts)
    assert texts[0].endswith(texts[0].split()[-1]) and not texts[0].endswith(" ")
    assert " ".join(texts) == body  # split at a space: no word cut, nothing lost


def test_too_many_requests_is_a_temporary_failure_with_telegrams_wait(
        api: FakeBotApi, make: Callable[..., TelegramSender]) -> None:
    api.fail_next["sendMessage"] = (429, {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7}})

    with pytest.raises(TemporaryFailure) as raised:
        make(api.base_url).send(CHAT, "Hello")

    assert raised.value.retry_after == 7


def test_a_blocked_bot_is_a_permanent_failure_that_opts_out(api: FakeBotApi,
                                                           make: Callable[..., TelegramSender]) -> None:
    api.fail_next["sendMessage"] = (403, {"ok": False, "error_code": 403,
                                          "description": "Forbidden: bot was blocked by the user"})

    with pytest.raises(PermanentFailure, match="bot was blocked by the user") as raised:
        make(api.base_url).send(CHAT, "Hello")

    assert raised.value.opted_out is True


def test_a_bad_request_is_a_permanent_failure_without_opting_out(
        api: FakeBotApi, make: Callable[..., TelegramSender]) -> None:
    api.fail_next["sendMessage"] = (400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: chat not found"})

    with pytest.raises(PermanentFailure, match=r"(?i)chat not found") as raised:
        make(api.base_url).send(CHAT, "Hello")

    assert raised.value.opted_out is False


def test_after_a_failure_the_next_message_goes_out(api: FakeBotApi,
                                                  make: Callable[..., TelegramSender]) -> None:
    sender = make(api.base_url)
    api.fail_next["sendMessage"] = (400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: chat not found"})
    with pytest.raises(PermanentFailure):
        sender.send(CHAT, "First")

    sender.send(CHAT, "Second")

    assert api.texts(int(CHAT)) == ["First", "Second"]  # the refused one was asked for, once
    assert [call.method for call in api.calls].count("getMe") == 1


class FakeTime:
    """A monotonic clock that only moves when the sender sleeps: pauses are seen, never waited."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    clock = FakeTime()
    monkeypatch.setattr(sender_module, "time",
                        SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    return clock


def test_a_second_message_to_the_same_chat_waits_its_turn(
        api: FakeBotApi, make: Callable[..., TelegramSender], fake_time: FakeTime) -> None:
    sender = make(api.base_url, per_chat_interval=0.2)

    sender.send(CHAT, "One")
    assert fake_time.pauses == []
    sender.send(CHAT, "Two")

    assert fake_time.pauses == [pytest.approx(0.2)]
    assert api.texts(int(CHAT)) == ["One", "Two"]


def test_a_message_to_another_chat_does_not_wait(
        api: FakeBotApi, make: Callable[..., TelegramSender], fake_time: FakeTime) -> None:
    sender = make(api.base_url, per_chat_interval=0.2)

    sender.send(CHAT, "One")
    sender.send(OTHER_CHAT, "One for someone else")

    assert fake_time.pauses == []
    fake_time.now += 0.05  # some time passes; the same chat then waits only what is left
    sender.send(CHAT, "Two")
    assert fake_time.pauses == [pytest.approx(0.15)]


def test_the_parts_of_a_long_message_are_paced_like_separate_messages(
        api: FakeBotApi, make: Callable[..., TelegramSender], fake_time: FakeTime) -> None:
    make(api.base_url, per_chat_interval=0.2).send(CHAT, words(750))

    assert len(api.texts(int(CHAT))) == 2
    assert fake_time.pauses == [pytest.approx(0.2)]


def test_make_sender_needs_a_bot_token(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert make_sender(runtime) is None

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    made = make_sender(runtime)
    try:
        assert isinstance(made, TelegramSender)
        assert made.channel == "telegram"
        assert made.per_chat_interval == sender_module.PER_CHAT_INTERVAL
        assert made.bot.token == TOKEN
        assert made.bot.base_url == f"http://127.0.0.1:9/bot{TOKEN}"
    finally:
        if made is not None:
            made.loop.close()


# -- known bugs ---------------------------------------------------------------------------------

def test_an_unreachable_bot_api_is_a_temporary_failure(make: Callable[..., TelegramSender]) -> None:
    sender = make(closed_port_url() + "/bot")

    with pytest.raises(TemporaryFailure):
        sender.send(CHAT, "Hello")


def test_a_retried_long_message_does_not_repeat_the_part_already_sent(
        runtime: Runtime, api: FakeBotApi, make: Callable[..., TelegramSender]) -> None:
    body = words(750)
    answer = api.answer

    def refuse_the_second_part(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "sendMessage" and len(api.sent()) == 1 and not api.fail_next:
            api.fail_next["sendMessage"] = (429, {
                "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}})
        return answer(method, params)

    api.answer = refuse_the_second_part  # type: ignore[method-assign]
    now = FIXED_NOW
    with runtime.sessions.begin() as session:
        _, address = contributor_for(session, runtime.intake.vault, "telegram", CHAT, now)
        enqueue(session, intent_key="follow-up:long", address=address, purpose="follow-up",
                body=body, language="en", now=now)
    clock = [now]
    worker = OutboxWorker(runtime.sessions, runtime.intake.vault, {"telegram": make(api.base_url)},
                          lambda: clock[0])

    first = worker.run_once()
    clock[0] = now + timedelta(hours=1)  # long after the retry is due
    second = worker.run_once()

    assert (first.retried, second.sent) == (1, 1)
    with runtime.sessions() as session:
        [message] = session.query(OutboundMessage).all()
        assert message.status == OutboundStatus.SENT
    first_part = api.texts(int(CHAT))[0]
    # Only the second part was ever refused, so every request with the first part reached the person.
    assert api.texts(int(CHAT)).count(first_part) == 1

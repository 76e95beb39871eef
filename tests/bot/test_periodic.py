"""The worker's periodic job for chats: idle conversations are closed and counted, each once."""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import entry_points

from sqlalchemy import select

from bot.chat import ChatMessage, ChatService
from bot.periodic import expire_idle_conversations
from bot.script import load_script
from intake.bootstrap import Runtime
from intake.storage.models import Conversation, ConversationStatus, Feedback
from tests.conftest import FIXED_NOW

SCRIPT = load_script()
IDLE = timedelta(minutes=SCRIPT.conversation.timing.idle_minutes)


def say(chat: ChatService, sender: str, text: str, pid: str) -> None:
    chat.handle(ChatMessage(channel="sms", provider_message_id=pid, sender=sender, text=text))


def statuses(runtime: Runtime) -> dict[str, str]:
    with runtime.sessions() as session:
        return {c.address_hash[:8]: c.status for c in session.scalars(select(Conversation))}


def test_the_worker_finds_the_job_through_its_entry_point() -> None:
    [plugin] = [p for p in entry_points(group="intake.periodic")
                if p.name == "expire-idle-conversations"]
    assert plugin.load() is expire_idle_conversations


def test_nothing_to_expire_is_zero(runtime: Runtime) -> None:
    assert expire_idle_conversations(runtime) == 0


def test_only_conversations_idle_past_the_limit_are_closed_and_counted(runtime: Runtime) -> None:
    chat = ChatService(runtime, SCRIPT)
    say(chat, "+447700900101", "My GP surgery never answers the phone in the morning", "SM-1")
    say(chat, "+447700900102", "Hi", "SM-2")  # nothing said: closed, but no feedback
    runtime.intake.clock = lambda: FIXED_NOW + timedelta(minutes=5)
    say(chat, "+447700900103", "The pharmacy was out of my inhaler again", "SM-3")

    runtime.intake.clock = lambda: FIXED_NOW + IDLE
    assert expire_idle_conversations(runtime) == 2

    assert sorted(statuses(runtime).values()) == [ConversationStatus.OPEN,
                                                   ConversationStatus.TIMED_OUT,
                                                   ConversationStatus.TIMED_OUT]
    with runtime.sessions() as session:
        assert session.scalars(select(Feedback.text)).all() == [
            "My GP surgery never answers the phone in the morning"]
    assert expire_idle_conversations(runtime) == 0  # each conversation is closed once

    runtime.intake.clock = lambda: FIXED_NOW + timedelta(minutes=5) + IDLE
    assert expire_idle_conversations(runtime) == 1
    assert set(statuses(runtime).values()) == {ConversationStatus.TIMED_OUT}

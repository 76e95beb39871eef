"""Access to the core runtime from inside a request."""

from __future__ import annotations

from flask import current_app

from bot.chat import ChatService
from intake.bootstrap import Runtime

RUNTIME_KEY = "intake.runtime"
CHAT_KEY = "intake.chat"


def current_runtime() -> Runtime:
    runtime: Runtime = current_app.extensions[RUNTIME_KEY]
    return runtime


def current_chat() -> ChatService:
    chat: ChatService = current_app.extensions[CHAT_KEY]
    return chat

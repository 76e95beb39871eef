"""Jobs `intake worker` runs every cycle for the conversation (registered by entry point)."""

from __future__ import annotations

from functools import lru_cache

from bot.chat import ChatService
from bot.script import Script, load_script
from intake.bootstrap import Runtime


@lru_cache(maxsize=1)
def _script(languages: tuple[str, ...]) -> Script:
    return load_script(configured_languages=languages)


def expire_idle_conversations(runtime: Runtime) -> int:
    """Close conversations that went quiet; their partial answers become feedback."""
    chat = ChatService(runtime, _script(runtime.config.language_codes))
    return len(chat.expire_idle())

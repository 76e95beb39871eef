"""Telegram updates as channel-neutral ``ChatMessage`` values.

Used by the webhook (to store the raw update before anything else) and by the handlers.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import MessageLimit

from bot.chat import ChatMessage

CHANNEL = "telegram"
# Commands that mean the same as a typed keyword.
COMMAND_WORDS = {"/help": "HELP", "/stop": "STOP"}


def _media(message: Message) -> tuple[str, ...]:
    kinds = {"photo": message.photo, "voice": message.voice, "sticker": message.sticker,
             "video": message.video, "audio": message.audio, "document": message.document,
             "video_note": message.video_note, "animation": message.animation}
    return tuple(kind for kind, present in kinds.items() if present)


def _language_hint(update: Update) -> str | None:
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return code.split("-")[0].lower() or None


def chat_message(update: Update, text: str | None = None, restart: bool = False) -> ChatMessage | None:
    """The update as a ChatMessage, or None if it has no chat to answer (a channel post...).

    ``text`` replaces the update's own text (a button's answer, a command's meaning).
    """
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    own_text = ""
    if update.callback_query is not None:
        own_text = update.callback_query.data or ""
    elif message is not None:
        own_text = message.text or message.caption or ""
    if not isinstance(own_text, str):  # a malformed update; Telegram's own are always text
        own_text = ""
    return ChatMessage(
        channel=CHANNEL, provider_message_id=str(update.update_id), sender=str(chat.id),
        text=own_text if text is None else text,
        media=_media(message) if message is not None and update.callback_query is None else (),
        metadata={"update": update.to_dict()}, language_hint=_language_hint(update),
        multi_part_text=True, restart=restart, max_text_length=MessageLimit.MAX_TEXT_LENGTH)


def start_payload(text: str) -> str:
    """The deep-link payload of "/start <payload>" (empty without one)."""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""

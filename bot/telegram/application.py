"""The python-telegram-bot ``Application``: handlers that pass each update to the shared
conversation and render its replies with inline keyboards.

Conversation state is in the database (``ChatService``), not in PTB's ``ConversationHandler`` or
pickles, so any web worker or the poller can take the next update; the explicit state machine is
``bot/engine.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.chat import ChatReply, ChatService
from bot.engine import Choice
from bot.telegram.parsing import CHANNEL, chat_message, start_payload
from bot.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)
FORGET_YES, FORGET_NO = "FORGET:yes", "FORGET:no"
LANGUAGE_PREFIX = "LANG:"
BUTTONS_PER_ROW = 2


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    buttons = [InlineKeyboardButton(c.label, callback_data=c.answer) for c in choices]
    width = len(buttons) if len(buttons) <= 3 else BUTTONS_PER_ROW
    return InlineKeyboardMarkup([buttons[i:i + width] for i in range(0, len(buttons), width)])


def pieces(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split a long text at line or word breaks into messages Telegram accepts."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > 0 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


async def send_reply(bot: Bot, chat_id: int | str, reply: ChatReply) -> None:
    """Every reply as a message; the buttons go with the last one (the question)."""
    for index, text in enumerate(reply.replies):
        last = index == len(reply.replies) - 1
        chunks = pieces(text)
        for number, chunk in enumerate(chunks):
            markup = keyboard(reply.choices) if last and number == len(chunks) - 1 else None
            await bot.send_message(chat_id=chat_id, text=chunk, reply_markup=markup)


class TelegramHandlers:
    """The handlers, bound to one ChatService. Database work runs in a thread, off the loop."""

    def __init__(self, chat: ChatService) -> None:
        self.chat = chat
        self.script = chat.script

    async def _converse(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                        text: str | None = None, restart: bool = False) -> None:
        message = chat_message(update, text=text, restart=restart)
        if message is None or update.effective_chat is None:
            return
        reply = await asyncio.to_thread(self.chat.handle, message)
        if not reply.duplicate:
            await send_reply(context.bot, update.effective_chat.id, reply)

    async def _language(self, update: Update) -> str:
        message = chat_message(update)
        if message is None:
            return self.script.default_language
        return await asyncio.to_thread(self.chat.language_of, CHANNEL, message.sender,
                                       message.language_hint)

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = update.effective_message.text if update.effective_message else ""
        await self._converse(update, context, text=start_payload(text or ""), restart=True)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._converse(update, context, text="HELP")

    async def on_stop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._converse(update, context, text="STOP")

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = chat_message(update)
        if message is None or update.effective_chat is None:
            return
        if not await asyncio.to_thread(self.chat.note, message, "/language menu"):
            return
        language = await self._language(update)
        await context.bot.send_message(
            chat_id=update.effective_chat.id,
            text=self.script.prompt(language, "choose_language"),
            reply_markup=keyboard(self._language_choices()))

    def _language_choices(self) -> list[Choice]:
        """Each language under its own name; pressing one sends a name the conversation knows."""
        config = self.chat.runtime.config
        choices = []
        for code, prompts in self.script.languages.items():
            language = config.language(code)
            choices.append(Choice(language.native_name if language else code,
                                  LANGUAGE_PREFIX + prompts.words.language_names[0]))
        return choices

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = chat_message(update)
        if message is None or update.effective_chat is None:
            return
        if not await asyncio.to_thread(self.chat.note, message, "/forget asked"):
            return
        language = await self._language(update)
        buttons = self.script.languages[language].buttons
        await context.bot.send_message(
            chat_id=update.effective_chat.id, text=self.script.prompt(language, "forget_confirm"),
            reply_markup=keyboard([Choice(buttons.yes, FORGET_YES), Choice(buttons.no, FORGET_NO)]))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()  # always: the client shows a spinner until we do
        with suppress(BadRequest):  # the buttons of an answered question are taken away
            await query.edit_message_reply_markup(reply_markup=None)
        data = query.data or ""
        if data in (FORGET_YES, FORGET_NO):
            await self._forget(update, context, data == FORGET_YES)
        elif data.startswith(LANGUAGE_PREFIX):
            await self._converse(update, context, text=data.removeprefix(LANGUAGE_PREFIX))
        else:
            await self._converse(update, context)

    async def _forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                      confirmed: bool) -> None:
        message = chat_message(update)
        if message is None or update.effective_chat is None:
            return
        if not await asyncio.to_thread(self.chat.note, message, f"/forget {message.text}"):
            return
        language = await self._language(update)
        if confirmed:
            await asyncio.to_thread(self.chat.request_erasure, CHANNEL, message.sender)
        await context.bot.send_message(
            chat_id=update.effective_chat.id,
            text=self.script.prompt(language, "forget_done" if confirmed else "forget_cancelled"))

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._converse(update, context)

    async def on_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocking the bot arrives as our membership becoming "kicked": no more messages."""
        change = update.my_chat_member
        message = chat_message(update)
        if change is None or message is None:
            return
        if not await asyncio.to_thread(self.chat.note, message, "membership change"):
            return
        if change.new_chat_member.status == "kicked":
            await asyncio.to_thread(self.chat.opt_out, CHANNEL, message.sender, "blocked the bot")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("a Telegram update could not be handled", exc_info=context.error)


def build_application(chat: ChatService, settings: TelegramSettings, *, polling: bool = False,
                      request: BaseRequest | None = None) -> Application:  # type: ignore[type-arg]
    """The bot, for polling (with an updater) or for webhook mode (updates handed in)."""
    builder = Application.builder().token(settings.token).base_url(settings.api_base_url)
    if request is not None:
        builder = builder.request(request)
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    handlers = TelegramHandlers(chat)
    private = filters.ChatType.PRIVATE
    application.add_handlers([
        CommandHandler("start", handlers.on_start, filters=private),
        CommandHandler("help", handlers.on_help, filters=private),
        CommandHandler("stop", handlers.on_stop, filters=private),
        CommandHandler("language", handlers.on_language, filters=private),
        CommandHandler("forget", handlers.on_forget, filters=private),
        CallbackQueryHandler(handlers.on_button),
        ChatMemberHandler(handlers.on_member, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(private & ~filters.COMMAND, handlers.on_message),
    ])
    application.add_error_handler(handlers.on_error)
    return application

"""The conversation on Telegram, rendered with python-telegram-bot: buttons instead of numbers.

The conversation itself (steps, prompts, state in the database) is :mod:`bot.chat`'s; this package
only turns Telegram updates into ``ChatMessage`` values and ``ChatReply`` values into messages
with inline keyboards. The same ``Application`` serves polling (`intake telegram poll`) and
webhook mode (`POST /telegram/webhook` in the web app).
"""

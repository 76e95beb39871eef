"""The Telegram channel's webhook. The bot itself (handlers, rendering) is in :mod:`bot.telegram`."""

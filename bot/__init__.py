"""The conversation, defined once and rendered per channel (SMS numbered replies, Telegram buttons).

Built on the core in :mod:`intake`; channel adapters in :mod:`webhooks` and ``bot.telegram`` call it.
"""

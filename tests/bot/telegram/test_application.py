"""Rendering helpers of the Telegram application: inline keyboards from the conversation's choices,
long texts split into messages Telegram accepts, and replies sent with the buttons last."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup

from bot.chat import ChatReply
from bot.engine import Choice
from bot.telegram.application import keyboard, pieces, send_reply

LIMIT = 4096


def layout(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, str | None]]]:
    assert markup is not None
    return [[(button.text, button.callback_data) for button in row] for row in markup.inline_keyboard]


def choices(count: int) -> list[Choice]:
    return [Choice(f"Option {n}", str(n)) for n in range(1, count + 1)]


def test_no_choices_no_keyboard() -> None:
    assert keyboard([]) is None
    assert keyboard(()) is None


@pytest.mark.parametrize("count", [1, 2, 3])
def test_up_to_three_choices_share_one_row(count: int) -> None:
    assert layout(keyboard(choices(count))) == [[(f"Option {n}", str(n)) for n in range(1, count + 1)]]


@pytest.mark.parametrize(("count", "rows"), [
    (4, [["1", "2"], ["3", "4"]]),
    (5, [["1", "2"], ["3", "4"], ["5"]]),
    (7, [["1", "2"], ["3", "4"], ["5", "6"], ["7"]]),
    (10, [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"], ["9", "10"]]),
])
def test_more_than_three_choices_go_two_to_a_row_in_order(count: int, rows: list[list[str]]) -> None:
    shown = layout(keyboard(choices(count)))
    assert [[data for _, data in row] for row in shown] == rows
    assert [label for row in shown for label, _ in row] == [f"Option {n}" for n in range(1, count + 1)]


def test_yes_no_skip_is_one_row_with_the_answers_as_callback_data() -> None:
    markup = keyboard([Choice("Tak", "YES"), Choice("Nie", "NO"), Choice("Pomiń", "SKIP")])
    assert layout(markup) == [[("Tak", "YES"), ("Nie", "NO"), ("Pomiń", "SKIP")]]


# -- pieces -------------------------------------------------------------------------------------------

def assert_nothing_lost(text: str, parts: list[str], limit: int = LIMIT) -> None:
    """Every part fits and is non-empty, the parts appear in the text in order, and only the
    whitespace at each break is left out."""
    assert all(0 < len(part) <= limit for part in parts), [len(part) for part in parts]
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, "a part is not a piece of the original text"
        assert text[position:found].strip() == "", "characters between parts were dropped"
        position = found + len(part)
    assert text[position:].strip() == ""


def test_short_texts_are_one_piece_and_empty_text_none() -> None:
    assert pieces("Thank you.") == ["Thank you."]
    assert pieces("x" * LIMIT) == ["x" * LIMIT]
    assert pieces("") == []


def test_a_long_text_is_cut_at_the_last_space_before_the_limit() -> None:
    text = " ".join(f"w{i:04d}" for i in range(750))  # 4,499 characters

    parts = pieces(text)

    assert len(parts) == 2
    assert " ".join(parts) == text
    assert len(parts[0]) <= LIMIT and len(parts[0]) > LIMIT - 6  # as full as a word break allows
    assert_nothing_lost(text, parts)


def test_a_line_break_is_a_break_too() -> None:
    assert pieces("alpha beta\ngamma delta", limit=15) == ["alpha beta", "gamma delta"]
    paragraph = "a" * 3000
    text = f"{paragraph}\n\n{paragraph}"
    assert pieces(text) == [paragraph, paragraph]


def test_a_text_without_breaks_is_cut_at_the_limit_without_losing_anything() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(10_000))

    parts = pieces(text)

    assert [len(part) for part in parts] == [LIMIT, LIMIT, 10_000 - 2 * LIMIT]
    assert "".join(parts) == text


def test_non_latin_text_is_split_without_losing_characters() -> None:
    sentence = "اپنی زچگی کی دیکھ بھال کے بارے میں بتائیں۔ Dziękujemy za kontakt. 👍 "
    text = sentence * 120

    parts = pieces(text)

    assert len(parts) >= 2
    assert_nothing_lost(text, parts)
    assert "".join(text.split()) == "".join("".join(parts).split())


@pytest.mark.parametrize("seed", range(20))
def test_random_texts_keep_every_character_and_fit(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzżółćęśąźńاردو.,!?"
    tokens = []
    for _ in range(rng.randint(200, 3000)):
        word = "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 3, 8, 15, 60, 5000])))
        tokens.append(word + rng.choice([" ", " ", " ", "\n", "\n\n", "  "]))
    text = "".join(tokens)

    parts = pieces(text)

    assert_nothing_lost(text, parts)
    assert "".join(text.split()) == "".join("".join(parts).split())


def test_a_smaller_limit_is_respected() -> None:
    text = "one two three four five six seven eight nine ten"
    parts = pieces(text, limit=12)
    assert_nothing_lost(text, parts, limit=12)
    assert " ".join(parts) == text


# -- send_reply -----------------------------------------------------------------------------------------

class RecordingBot:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, **params: Any) -> None:
        self.sent.append(params)


def rows(markup: InlineKeyboardMarkup | None) -> list[list[str | None]] | None:
    return None if markup is None else [[b.callback_data for b in row] for row in markup.inline_keyboard]


def test_every_reply_is_a_message_and_the_buttons_go_with_the_last() -> None:
    bot = RecordingBot()
    reply = ChatReply(("Thank you. Your reference is FB-ABC123.", "Is this about GP?"),
                      choices=(Choice("Yes", "YES"), Choice("No", "NO")))

    asyncio.run(send_reply(bot, 4242, reply))  # type: ignore[arg-type]

    assert [(p["chat_id"], p["text"], rows(p["reply_markup"])) for p in bot.sent] == [
        (4242, "Thank you. Your reference is FB-ABC123.", None),
        (4242, "Is this about GP?", [["YES", "NO"]])]


def test_a_long_last_reply_carries_its_buttons_on_its_last_piece() -> None:
    bot = RecordingBot()
    long_question = " ".join(["Please tell us more."] * 300)
    reply = ChatReply((long_question,), choices=(Choice("Skip", "SKIP"),))

    asyncio.run(send_reply(bot, "4242", reply))  # type: ignore[arg-type]

    assert [rows(p["reply_markup"]) for p in bot.sent] == [None, [["SKIP"]]]
    assert " ".join(p["text"] for p in bot.sent) == long_question


def test_no_replies_send_nothing() -> None:
    bot = RecordingBot()
    asyncio.run(send_reply(bot, 4242, ChatReply((), duplicate=True)))  # type: ignore[arg-type]
    assert bot.sent == []

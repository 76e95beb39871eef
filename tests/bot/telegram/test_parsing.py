"""Telegram updates as channel-neutral ChatMessage values: text, commands, button presses, media,
the client's language as a hint, and the deep-link payload of /start."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.chat import ChatMessage
from bot.telegram.parsing import CHANNEL, chat_message, start_payload

from .fake_bot_api import BOT_USER, TOKEN, button_update, text_update, user

BOT = Bot(TOKEN)  # only for de_json; never initialised, so it makes no requests


def parse(data: dict[str, Any]) -> Update:
    update = Update.de_json(data, BOT)
    assert update is not None
    return update


def message_update(update_id: int, chat_id: int = 4242, language_code: str | None = "en",
                   **fields: Any) -> dict[str, Any]:
    message = {"message_id": update_id, "date": 1_790_000_000,
               "chat": {"id": chat_id, "type": "private"}, "from": user(4242, language_code), **fields}
    return {"update_id": update_id, "message": message}


PHOTO = [{"file_id": "AgAD-small", "file_unique_id": "p1", "width": 90, "height": 90},
         {"file_id": "AgAD-large", "file_unique_id": "p2", "width": 800, "height": 800}]
VOICE = {"file_id": "AwAD-voice", "file_unique_id": "v1", "duration": 4, "mime_type": "audio/ogg"}
STICKER = {"file_id": "CAAD-sticker", "file_unique_id": "s1", "type": "regular", "width": 512,
           "height": 512, "is_animated": False, "is_video": False}


def test_a_text_message_becomes_a_chat_message_from_its_chat() -> None:
    update = parse(text_update(10, "The GP receptionist was rude"))

    message = chat_message(update)

    assert message == ChatMessage(
        channel=CHANNEL, provider_message_id="10", sender="4242",
        text="The GP receptionist was rude", media=(), metadata={"update": update.to_dict()},
        language_hint="en", multi_part_text=True, restart=False, max_text_length=4096)
    assert CHANNEL == "telegram"


def test_the_sender_is_the_chat_not_the_user() -> None:
    data = message_update(11, chat_id=777, text="Hello")
    message = chat_message(parse(data))
    assert message is not None and message.sender == "777"


def test_a_command_keeps_its_text_unless_given_its_meaning() -> None:
    update = parse(text_update(12, "/help"))

    as_sent, as_meant = chat_message(update), chat_message(update, text="HELP")
    restarted = chat_message(parse(text_update(13, "/start")), text="", restart=True)

    assert as_sent is not None and as_sent.text == "/help"
    assert as_meant is not None and (as_meant.text, as_meant.provider_message_id) == ("HELP", "12")
    assert restarted is not None and (restarted.text, restarted.restart) == ("", True)


def test_a_button_press_is_its_callback_data_from_the_chat_of_the_question() -> None:
    update = parse(button_update(14, "YES", chat_id=4343))

    message = chat_message(update)

    assert message is not None
    assert (message.text, message.sender, message.provider_message_id) == ("YES", "4343", "14")
    assert message.media == ()
    assert message.metadata["update"]["callback_query"]["data"] == "YES"


def test_a_button_under_a_message_with_a_picture_is_not_a_picture_from_the_person() -> None:
    data = button_update(15, "SKIP")
    data["callback_query"]["message"]["photo"] = PHOTO

    message = chat_message(parse(data))

    assert message is not None and (message.text, message.media) == ("SKIP", ())


@pytest.mark.parametrize(("kind", "attachment"), [("photo", PHOTO), ("voice", VOICE),
                                                  ("sticker", STICKER)])
def test_media_without_text_is_recorded_by_kind(kind: str, attachment: Any) -> None:
    message = chat_message(parse(message_update(16, **{kind: attachment})))

    assert message is not None
    assert (message.text, message.media) == ("", (kind,))


def test_a_captioned_photo_is_its_caption_and_a_photo() -> None:
    message = chat_message(parse(message_update(17, photo=PHOTO, caption="The ward at night")))

    assert message is not None
    assert (message.text, message.media) == ("The ward at night", ("photo",))


@pytest.mark.parametrize(("code", "hint"), [("pl-PL", "pl"), ("pl", "pl"), ("EN-gb", "en"),
                                            ("ur", "ur"), ("", None), (None, None)])
def test_the_client_language_is_a_short_lower_case_hint(code: str | None, hint: str | None) -> None:
    data = text_update(18, "Hello", language_code=None)
    if code is not None:
        data["message"]["from"]["language_code"] = code

    message = chat_message(parse(data))

    assert message is not None and message.language_hint == hint


def test_a_membership_change_comes_from_its_chat_with_no_text() -> None:
    bot = {key: BOT_USER[key] for key in ("id", "is_bot", "first_name", "username")}
    data = {"update_id": 19, "my_chat_member": {
        "chat": {"id": 4242, "type": "private"}, "from": user(4242, "pl-PL"), "date": 1_790_000_000,
        "old_chat_member": {"user": bot, "status": "member"},
        "new_chat_member": {"user": bot, "status": "kicked", "until_date": 0}}}

    message = chat_message(parse(data))

    assert message is not None
    assert (message.sender, message.text, message.media, message.language_hint) == ("4242", "", (), "pl")


def test_an_update_without_a_chat_gives_nothing_to_answer() -> None:
    data = {"update_id": 20, "callback_query": {
        "id": "q20", "chat_instance": "ci", "data": "YES", "from": user(4242),
        "inline_message_id": "inline-1"}}

    assert chat_message(parse(data)) is None


@pytest.mark.parametrize(("text", "payload"), [
    ("/start", ""),
    ("/start maternity-services-2026", "maternity-services-2026"),
    ("/start   maternity-services-2026  ", "maternity-services-2026"),
    ("/start@involve_test_bot gp-access", "gp-access"),
    ("", ""),
])
def test_start_payload_is_the_deep_link_parameter(text: str, payload: str) -> None:
    assert start_payload(text) == payload

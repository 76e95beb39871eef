"""Words that mean the same at any point of a conversation: opt out, opt in, help, a language's name."""

from __future__ import annotations

import pytest

from bot.commands import Command, CommandKind, bare, recognise
from bot.script import Script, load_script


@pytest.fixture(scope="module")
def script() -> Script:
    return load_script()


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop.", " stop! ", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                                  "END", "QUIT", "Revoke", "OPTOUT", "opt-out"])
def test_opt_out_keywords(script: Script, text: str) -> None:
    assert recognise(text, script) == Command(CommandKind.OPT_OUT)
    assert recognise(text, script, opted_out=True) == Command(CommandKind.OPT_OUT)


@pytest.mark.parametrize("text", ["START", "start", "Unstop", "Start!"])
def test_opt_in_keywords(script: Script, text: str) -> None:
    assert recognise(text, script) == Command(CommandKind.OPT_IN)
    assert recognise(text, script, opted_out=True) == Command(CommandKind.OPT_IN)


@pytest.mark.parametrize("text", ["YES", "yes", "Yes."])
def test_yes_opts_back_in_only_when_opted_out(script: Script, text: str) -> None:
    assert recognise(text, script, opted_out=True) == Command(CommandKind.OPT_IN)
    assert recognise(text, script, opted_out=False) is None


@pytest.mark.parametrize("text", ["HELP", "help", "Help?", "INFO", "info"])
def test_help_keywords(script: Script, text: str) -> None:
    assert recognise(text, script) == Command(CommandKind.HELP)


@pytest.mark.parametrize(("text", "language"), [
    ("URDU", "ur"), ("urdu", "ur"), ("اردو", "ur"), (" اردو۔ ", "ur"),
    ("POLSKI", "pl"), ("polish", "pl"), ("po polsku", "pl"),
    ("english", "en"), ("ENGLISH", "en"), ("Eng", "en"),
])
def test_a_language_named_on_its_own_switches_to_it(script: Script, text: str, language: str) -> None:
    assert recognise(text, script) == Command(CommandKind.LANGUAGE, language)


@pytest.mark.parametrize("text", [
    "stop texting me",
    "Please stop messaging me!",
    "please don't text me",
    "Don\u2019t text me again",
    "do not contact me",
    "Never message me again please",
    "no more texts",
    "Please remove my number",
    "unsubscribe me",
    "take me off your list",
])
def test_short_free_text_requests_to_stop_opt_out(script: Script, text: str) -> None:
    assert recognise(text, script) == Command(CommandKind.OPT_OUT)


def test_a_long_message_that_mentions_stopping_is_feedback_not_a_command(script: Script) -> None:
    text = ("The reminder service was useful but the surgery would not stop texting me about a "
            "flu jab I already had")
    assert len(text.split()) > 8
    assert recognise(text, script) is None


def test_free_text_opt_out_is_honoured_up_to_eight_words(script: Script) -> None:
    eight = "ok now please just stop texting me now"
    assert len(eight.split()) == 8
    assert recognise(eight, script) == Command(CommandKind.OPT_OUT)
    assert recognise(eight + " thanks", script) is None


@pytest.mark.parametrize("text", [
    "Stop the waiting times",
    "The bus stop is too far from the clinic",
    "My GP surgery never answers the phone",
    "The nurse was lovely",
    "1 3",
    "SKIP",
    "no",
    "y",
    "",
    "   ",
    "Help me get an appointment with a GP",
    "The urdu interpreter was late",
])
def test_ordinary_messages_and_answers_are_not_commands(script: Script, text: str) -> None:
    assert recognise(text, script) is None


def test_bare_trims_case_and_surrounding_punctuation() -> None:
    assert bare("  STOP!!! ") == "stop"
    assert bare("...Help?") == "help"
    assert bare("opt-out") == "opt-out"
    assert bare("«اردو»") == "اردو"

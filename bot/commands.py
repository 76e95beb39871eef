"""Words that mean the same at any point of any conversation: opt out, opt in, help, language.

Opt-out keywords follow the SMS industry list (Twilio's): a single word, any case. Free-text
requests to stop ("stop texting me") are honoured too, as PECR requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.script import Script

OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke",
                           "optout", "opt-out"})
OPT_IN_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
FREE_TEXT_OPT_OUT = re.compile(
    r"\b(stop|quit) (texting|messaging|sending|contacting)\b|\b(don'?t|do not|never) "
    r"(text|message|contact) me\b|\bno more (texts|messages)\b|\bremove my (number|details)\b|"
    r"\bunsubscribe me\b|\btake me off\b",
    re.IGNORECASE)
# A longer message that mentions stopping is feedback first; short ones are requests.
FREE_TEXT_OPT_OUT_MAX_WORDS = 8


class CommandKind(StrEnum):
    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    HELP = "help"
    LANGUAGE = "language"


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    language: str | None = None


def bare(text: str) -> str:
    """The message as a keyword: trimmed, lower-case, without surrounding punctuation."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", text.strip()).casefold()


def recognise(text: str, script: Script, opted_out: bool = False) -> Command | None:
    word = bare(text)
    if word in OPT_OUT_WORDS:
        return Command(CommandKind.OPT_OUT)
    if word in OPT_IN_WORDS or (opted_out and word == "yes"):
        return Command(CommandKind.OPT_IN)
    if word in HELP_WORDS:
        return Command(CommandKind.HELP)
    for code, prompts in script.languages.items():
        if word in {name.casefold() for name in prompts.words.language_names}:
            return Command(CommandKind.LANGUAGE, code)
    if len(text.split()) <= FREE_TEXT_OPT_OUT_MAX_WORDS and FREE_TEXT_OPT_OUT.search(
            text.replace("\u2019", "'")):
        return Command(CommandKind.OPT_OUT)
    return None

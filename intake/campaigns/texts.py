"""The texts staff write for a campaign: one per language, with placeholders filled per person.

Placeholders are a short fixed list per kind of campaign ({link}, {reference}, ...); anything else
in braces is refused rather than sent as it is. English is required: it is what people get when
nothing was written in their language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from string import Formatter

from intake.storage.models import CampaignKind

# Twilio's limit for one message body (ten segments); Telegram's is higher.
MAX_LENGTH = 1600

PLACEHOLDERS: dict[CampaignKind, dict[str, str]] = {
    CampaignKind.INVITATION: {
        "title": "the consultation's title",
        "link": "the address of its web form",
        "keyword": "its SMS keyword (if it has one)",
        "closes": "the day it closes",
    },
    CampaignKind.YOU_SAID_WE_DID: {
        "title": "the tracker item's title",
        "reference": "the person's own feedback reference, e.g. FB-7K3M9Q",
        "link": "the address of the feedback form",
    },
}
# Placeholders whose value differs from one person to the next.
PERSONAL = frozenset({"reference"})


class CampaignTextError(ValueError):
    """One or more texts cannot be sent; ``problems`` maps a language code to what to fix."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{code}: {text}" for code, text in problems.items()))
        self.problems = dict(problems)


def placeholders_in(template: str) -> list[str]:
    return [field for _, field, _, _ in Formatter().parse(template) if field is not None]


def _problem(template: str, kind: CampaignKind, opt_out_word: str) -> str | None:
    allowed = PLACEHOLDERS[kind]
    names = ", ".join("{" + name + "}" for name in allowed)
    try:
        parsed = list(Formatter().parse(template))
    except ValueError:
        return "A { or } has no partner. To write a brace itself, type it twice: {{ or }}."
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in allowed or spec or conversion:
            shown = "{" + field + "}" if field else "{}"
            return f"{shown} is not a placeholder you can use here. Use {names}."
    if len(template) > MAX_LENGTH:
        return f"The text is {len(template)} characters long; make it {MAX_LENGTH} or fewer."
    if opt_out_word and not re.search(rf"\b{re.escape(opt_out_word)}\b", template):
        return (f"Say how to stop these messages, for example \"Reply {opt_out_word} to stop "
                f"messages.\" Every text must contain the word {opt_out_word}.")
    return None


def check_texts(texts: Mapping[str, str], kind: CampaignKind, *, languages: tuple[str, ...],
                default: str, opt_out_word: str) -> dict[str, str]:
    """The texts worth keeping (blank ones dropped, spaces trimmed), or CampaignTextError."""
    cleaned = {code: text.strip().replace("\r\n", "\n") for code, text in texts.items()
               if text and text.strip()}
    problems: dict[str, str] = {}
    for code in cleaned:
        if code not in languages:
            problems[code] = f"{code!r} is not one of the languages set up in languages.toml."
    if default not in cleaned:
        problems[default] = ("Write this text: it is what people get when there is no text in "
                             "their language.")
    for code, template in cleaned.items():
        found = _problem(template, kind, opt_out_word)
        if found and code not in problems:
            problems[code] = found
    if problems:
        raise CampaignTextError(problems)
    return cleaned


def choose_text(texts: Mapping[str, str], language: str, default: str) -> tuple[str, str]:
    """The language of the text a person gets, and the text: theirs if written, else the default."""
    if texts.get(language):
        return language, texts[language]
    return default, texts[default]


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders filled (check it with ``check_texts`` first)."""
    return template.format_map({name: values.get(name, "") for name in placeholders_in(template)})

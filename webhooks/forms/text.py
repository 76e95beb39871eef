"""The pages' words, per language, as data a translator can edit (``text/<code>.toml``).

Easy Read is a variant of English: ``en-easy.toml`` overrides the keys whose wording changes.
A missing key falls back to English, so a half-finished translation never breaks a page; the
tests check every translation is complete.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TEXT_DIR = Path(__file__).parent / "text"
DEFAULT = "en"
EASY_READ = "en-easy"


@dataclass(frozen=True)
class PageText:
    language: str
    easy_read: bool
    meta: dict[str, Any]
    tables: dict[str, dict[str, str]]

    def __call__(self, key: str, **values: object) -> str:
        return self.tables["text"][key].format(**values) if values else self.tables["text"][key]

    def error(self, key: str, **values: object) -> str:
        return self.tables["errors"][key].format(**values)

    def label(self, table: str, key: str) -> str:
        return self.tables[table][key]

    def number(self, value: int) -> str:
        """A whole number written the way this language writes it (5,000 / 5 000)."""
        separator = str(self.meta.get("thousands_separator", ","))
        return f"{value:,}".replace(",", separator)


def available_languages() -> tuple[str, ...]:
    codes = sorted(p.stem for p in TEXT_DIR.glob("*.toml") if p.stem != EASY_READ)
    return (DEFAULT, *[c for c in codes if c != DEFAULT])


@cache
def _read(name: str) -> dict[str, Any]:
    with (TEXT_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, dict[str, str]]:
    tables = {k: dict(v) for k, v in base.items() if k != "meta"}
    for table, values in over.items():
        if table != "meta":
            tables.setdefault(table, {}).update(values)
    return tables


@cache
def page_text(language: str, easy_read: bool = False) -> PageText:
    """The words for a language (English when unknown); Easy Read is offered in English."""
    if language not in available_languages():
        language = DEFAULT
    english = _read(DEFAULT)
    if easy_read and language == DEFAULT:
        easy = _read(EASY_READ)
        return PageText(DEFAULT, True, easy["meta"], _merged(english, easy))
    chosen = _read(language)
    return PageText(language, False, chosen["meta"], _merged(english, chosen))

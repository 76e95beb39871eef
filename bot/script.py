"""The conversation script (steps as data) and the prompts in each language, validated at start-up.

Like the core configuration, any file can be replaced by one of the same name in the directory
named by ``INTAKE_CONFIG_DIR`` (``conversation.toml``, ``prompts/<code>.toml``).
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from intake.config import CONFIG_DIR_VARIABLE, ConfigError, read_toml

PACKAGE_DIR = Path(__file__).parent
PROMPT_KEYS = (
    "ask_feedback", "ask_service", "confirm_service", "ask_rating", "ask_needs", "ask_contact",
    "thanks", "closing", "ask_more", "reprompt_number", "reprompt_yes_no", "reprompt_text",
    "too_long", "help", "opted_out", "opted_in", "media", "forget_confirm", "forget_done",
    "forget_cancelled", "choose_language", "switch_hint", "signposting",
)
StepKind = Literal["service", "text", "choice", "multi", "yes-no"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    id: str
    kind: StepKind
    prompt: str
    options: tuple[str, ...] = ()
    consent_purpose: str | None = None

    @model_validator(mode="after")
    def _options(self) -> Step:
        if self.kind in ("choice", "multi") and not self.options:
            raise ValueError(f"step {self.id!r} of kind {self.kind!r} needs options")
        if self.prompt not in PROMPT_KEYS:
            raise ValueError(f"step {self.id!r}: unknown prompt {self.prompt!r}")
        return self


class Organisation(_Strict):
    name: str


class Timing(_Strict):
    idle_minutes: int = Field(ge=1, le=7 * 24 * 60)


class Detection(_Strict):
    feedback_min_words: int = Field(ge=1)
    language_confidence: float = Field(ge=0, le=1)
    language_min_letters: int = Field(ge=1)
    service_confidence: float = Field(ge=0, le=1)
    max_reprompts: int = Field(ge=0, le=5)


class ConversationFile(_Strict):
    organisation: Organisation
    timing: Timing
    detection: Detection
    steps: tuple[Step, ...] = Field(min_length=1)
    service_menu: tuple[str, ...] = Field(min_length=1, max_length=9)


class PromptMeta(_Strict):
    language: str
    reviewed: bool
    reviewed_by: str = ""
    wording_version: str


class Words(_Strict):
    yes: tuple[str, ...]
    no: tuple[str, ...]
    skip: tuple[str, ...]
    done: tuple[str, ...]
    language_names: tuple[str, ...] = Field(min_length=1)


class Buttons(_Strict):
    """Labels for buttons on channels that have them (Telegram)."""

    yes: str
    no: str
    skip: str
    done: str


class PromptFile(_Strict):
    meta: PromptMeta
    prompts: dict[str, str]
    buttons: Buttons
    words: Words
    menus: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _complete(self) -> PromptFile:
        missing = [key for key in PROMPT_KEYS if key not in self.prompts]
        if missing:
            raise ValueError(f"prompts missing: {', '.join(missing)}")
        unknown = [key for key in self.prompts if key not in PROMPT_KEYS]
        if unknown:
            raise ValueError(f"unknown prompts: {', '.join(unknown)}")
        return self

    def placeholders(self, key: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.prompts[key]) if name}


@dataclass(frozen=True)
class Script:
    """The validated conversation and every language's prompts."""

    conversation: ConversationFile
    languages: dict[str, PromptFile]

    @property
    def default_language(self) -> str:
        return "en" if "en" in self.languages else next(iter(self.languages))

    @cached_property
    def steps(self) -> dict[str, Step]:
        return {step.id: step for step in self.conversation.steps}

    def prompt(self, language: str, key: str, **values: object) -> str:
        prompts = self.languages.get(language) or self.languages[self.default_language]
        return prompts.prompts[key].format(**values)

    def menu(self, language: str, name: str, options: tuple[str, ...]) -> str:
        labels = self.languages[language].menus[name]
        return " ".join(f"{number} {labels[option]}" for number, option in
                        enumerate(options, start=1))

    def needs_review(self) -> list[str]:
        """Languages whose prompts no qualified translator has confirmed yet."""
        return sorted(code for code, prompts in self.languages.items() if not prompts.meta.reviewed)


def _path(name: str, override: Path | None) -> Path:
    if override is not None and (override / name).is_file():
        return override / name
    return PACKAGE_DIR / name


def _check_consistency(script: Script) -> None:
    conversation = script.conversation
    menus = {"service": conversation.service_menu,
             **{step.id: step.options for step in conversation.steps if step.options}}
    english = script.languages.get(script.default_language)
    for code, prompts in script.languages.items():
        where = f"prompts/{code}.toml"
        if prompts.meta.language != code:
            raise ConfigError(f"{where}: meta.language: says {prompts.meta.language!r}")
        for menu, options in menus.items():
            labels = prompts.menus.get(menu, {})
            missing = [option for option in options if option not in labels]
            if missing:
                raise ConfigError(f"{where}: menus.{menu}: no label for {', '.join(missing)}")
        if english is None or prompts is english:
            continue
        for key in PROMPT_KEYS:
            if prompts.prompts[key] and prompts.placeholders(key) != english.placeholders(key):
                raise ConfigError(
                    f"{where}: prompts.{key}: uses {sorted(prompts.placeholders(key))}, but the "
                    f"English uses {sorted(english.placeholders(key))}")


def load_script(directory: str | os.PathLike[str] | None = None,
                configured_languages: tuple[str, ...] | None = None) -> Script:
    """Read conversation.toml and every prompts/<code>.toml (package or override directory)."""
    chosen = directory if directory is not None else os.environ.get(CONFIG_DIR_VARIABLE)
    override = Path(chosen) if chosen else None
    conversation = read_toml(_path("conversation.toml", override), ConversationFile)
    codes = sorted({p.stem for p in (PACKAGE_DIR / "prompts").glob("*.toml")}
                   | ({p.stem for p in (override / "prompts").glob("*.toml")}
                      if override is not None and (override / "prompts").is_dir() else set()))
    languages = {code: read_toml(_path(f"prompts/{code}.toml", override), PromptFile)
                 for code in codes}
    if configured_languages is not None:
        unknown = [code for code in languages if code not in configured_languages]
        if unknown:
            raise ConfigError(f"prompts/{unknown[0]}.toml: language {unknown[0]!r} is not listed "
                              "in languages.toml")
    script = Script(conversation, languages)
    _check_consistency(script)
    return script

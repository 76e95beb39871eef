"""The shape of the TOML configuration, so a typo fails at start-up rather than mid-message."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SNOMED = re.compile(r"^[1-9][0-9]{5,17}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(f"{value!r} is not a lower-case id made of letters, digits and hyphens")
    return value


def _unique_ids(items: list, what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"{what} id {item.id!r} appears more than once")
        seen.add(item.id)


class Service(_Strict):
    """A kind of health or care service people give feedback about."""

    id: str
    name: str
    description: str = ""
    # Keywords per language code ("en", "ur", ...). Matched as whole words, case-insensitively.
    keywords: dict[str, list[str]] = Field(default_factory=dict)

    _slug = field_validator("id")(_check_slug)

    @field_validator("keywords")
    @classmethod
    def _no_blank_keywords(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for language, words in value.items():
            if any(not word.strip() for word in words):
                raise ValueError(f"keywords.{language} has an empty keyword")
        return value


class ServicesFile(_Strict):
    services: list[Service] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ServicesFile:
        _unique_ids(self.services, "service")
        return self


NeedCategory = Literal[
    "assessment",
    "contact-method",
    "information-format",
    "communication-professional",
    "communication-support",
]


class Need(_Strict):
    """An Accessible Information Standard need, recorded with its SNOMED CT concept."""

    id: str
    category: NeedCategory
    snomed: str
    term: str
    label: str
    # Phrases that state the need in free text, per language code.
    phrases: dict[str, list[str]] = Field(default_factory=dict)

    _slug = field_validator("id")(_check_slug)

    @field_validator("snomed")
    @classmethod
    def _snomed(cls, value: str) -> str:
        if not SNOMED.match(value):
            raise ValueError(f"{value!r} is not a SNOMED CT concept id (6 to 18 digits)")
        return value


class InterpreterLanguage(_Strict):
    """A spoken language someone may need an interpreter for (kept apart from AIS needs)."""

    language: str
    snomed: str
    names: list[str] = Field(min_length=1)

    @field_validator("snomed")
    @classmethod
    def _snomed(cls, value: str) -> str:
        return Need._snomed(value)


class NeedsFile(_Strict):
    needs: list[Need] = Field(min_length=1)
    interpreter: Need
    interpreter_languages: list[InterpreterLanguage] = Field(default_factory=list)
    negations: dict[str, list[str]] = Field(default_factory=dict)
    # Words that negate a need when they follow it ("interpreter not needed", Urdu "... کی ضرورت
    # نہیں"), per language code.
    negations_after: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> NeedsFile:
        _unique_ids([*self.needs, self.interpreter], "need")
        return self


class Language(_Strict):
    """A language the district's people use, and how the software should treat it."""

    code: str
    name: str
    native_name: str
    direction: Literal["ltr", "rtl"] = "ltr"
    langdetect_profile: str | None = None
    # ISO 15924 code of the script the language is written in here (Latn, Arab, Guru, ...);
    # when left out, the script its langdetect profile is mostly written in.
    script: str | None = None
    # The wordfreq word list for the language, when wordfreq has one.
    wordlist: str | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}", value):
            raise ValueError(f"{value!r} is not an ISO 639 language code such as 'en' or 'ur'")
        return value

    @field_validator("script")
    @classmethod
    def _script(cls, value: str | None) -> str | None:
        from intake.taggers.language.scripts import KNOWN_SCRIPTS

        if value is not None and value not in KNOWN_SCRIPTS:
            raise ValueError(f"{value!r} is not a script code we know; use one of "
                             f"{', '.join(sorted(KNOWN_SCRIPTS))}")
        return value


class LanguagesFile(_Strict):
    default: str = "en"
    # Words that carry no language ("ok", "lol"): a message of only these is `und`.
    no_signal_words: list[str] = Field(default_factory=list)
    languages: list[Language] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_listed(self) -> LanguagesFile:
        codes = [language.code for language in self.languages]
        if len(codes) != len(set(codes)):
            raise ValueError("a language code appears more than once")
        if self.default not in codes:
            raise ValueError(f"default language {self.default!r} is not in the languages list")
        return self


class SafetyFlag(_Strict):
    """A kind of risk that pins an item to the top of the queue and triggers signposting."""

    id: str
    label: str
    phrases: dict[str, list[str]] = Field(default_factory=dict)

    _slug = field_validator("id")(_check_slug)


class SafetyFile(_Strict):
    flags: list[SafetyFlag] = Field(min_length=1)
    negations: dict[str, list[str]] = Field(default_factory=dict)
    # Per language code: words that may stand between a negation and the phrase it negates ("not
    # *feeling* suicidal"); words that put what is said in the past ("last year"), and words that
    # bring it back to now ("still", "again").
    negation_bridges: dict[str, list[str]] = Field(default_factory=dict)
    past: dict[str, list[str]] = Field(default_factory=dict)
    present: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> SafetyFile:
        _unique_ids(self.flags, "flag")
        return self


RuleMatch = Literal["service", "keyword", "entry-point", "invitation"]


class RoutingRule(_Strict):
    """One way feedback gets linked to a tracker item or a consultation."""

    id: str
    description: str
    target: Literal["tracker", "consultation"]
    match: RuleMatch
    enabled: bool = True
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)

    _slug = field_validator("id")(_check_slug)

    @model_validator(mode="after")
    def _supported(self) -> RoutingRule:
        if self.target == "tracker" and self.match != "service":
            raise ValueError("tracker rules can only match on 'service'")
        return self


class RoutingFile(_Strict):
    rules: list[RoutingRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RoutingFile:
        _unique_ids(self.rules, "rule")
        return self


class Limits(_Strict):
    max_text_length: int = Field(default=5000, ge=160, le=100_000)
    min_language_letters: int = Field(default=3, ge=1, le=50)


class ServiceModelSettings(_Strict):
    """When the learned service model is trained and trusted. Precision matters more than
    coverage: an item the model is unsure about gets no service and waits for a person."""

    # The model's file in the models directory (a name, not a path).
    file: str = "service-model.npz"
    # The model tags an item only when its top probability is at least this.
    min_confidence: float = Field(default=0.7, ge=0.5, le=1.0)
    # `intake train services` refuses with fewer staff-confirmed examples than this in all...
    min_examples: int = Field(default=200, ge=10)
    # ...and learns only the services with at least this many (5-fold cross-validation needs 5).
    min_examples_per_service: int = Field(default=20, ge=5)

    @field_validator("file")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            raise ValueError(f"{value!r} is not a plain file name such as 'service-model.npz'")
        return value

    def path_in(self, models_dir: Path) -> Path:
        return models_dir / self.file


QUIET_HOURS = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")


class CampaignSettings(_Strict):
    """Invitations and "you said, we did" messages: when they may go out, and on which channels."""

    # No campaign message goes out between these local times ("21:00-08:00": not at night).
    quiet_hours: str = "21:00-08:00"
    timezone: str = "Europe/London"
    # A reply this many days after an invitation, while its consultation is open, belongs to it.
    invitation_reply_days: int = Field(default=14, ge=1, le=90)
    # Channels campaigns are sent on (each needs a sender); other addresses count as "no address".
    channels: list[str] = Field(default_factory=lambda: ["sms", "telegram"], min_length=1)
    # Every text must say how to stop messages (PECR); this word must appear in it. "" turns it off.
    opt_out_word: str = "STOP"

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        found = QUIET_HOURS.match(value)
        if not found:
            raise ValueError(f"{value!r} is not a time range such as '21:00-08:00'")
        if value[:5] == value[6:]:
            raise ValueError(f"{value!r} starts and ends at the same time")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as 'Europe/London'") from None
        return value


class RetentionSettings(_Strict):
    """How long personal data is kept (UK GDPR storage limitation); `intake purge` applies it.
    The anonymised feedback (redacted text, tags, links) is kept for reporting."""

    # Raw provider payloads (encrypted: they hold the sender's address) and closed chats' answers.
    raw_payload_days: int = Field(default=90, ge=7, le=3650)
    # The original, unredacted text is replaced by the redacted text the queue shows.
    original_text_days: int = Field(default=365, ge=30, le=3650)
    # Contact addresses, consents and recorded needs of people not heard from for this long.
    contact_details_days: int = Field(default=730, ge=30, le=3650)


class PipelineFile(_Strict):
    limits: Limits = Limits()
    retention: RetentionSettings = RetentionSettings()
    service_model: ServiceModelSettings = ServiceModelSettings()
    campaigns: CampaignSettings = CampaignSettings()

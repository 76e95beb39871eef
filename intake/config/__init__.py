"""Load and validate the configuration that lives as TOML data beside the code.

The package ships a complete configuration. An operator can replace any file by putting one with
the same name in the directory named by ``INTAKE_CONFIG_DIR``; every file is validated at start-up
and an error names the file and the key that is wrong.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from intake.config.schema import (
    CampaignSettings,
    Language,
    LanguagesFile,
    Limits,
    Need,
    NeedsFile,
    PipelineFile,
    RetentionSettings,
    RoutingFile,
    RoutingRule,
    SafetyFile,
    Service,
    ServiceModelSettings,
    ServicesFile,
)

PACKAGE_CONFIG_DIR = Path(__file__).parent
CONFIG_DIR_VARIABLE = "INTAKE_CONFIG_DIR"

Model = TypeVar("Model", bound=BaseModel)


class ConfigError(Exception):
    """The configuration cannot be used; the message says which file and key, and why."""


@dataclass(frozen=True)
class Config:
    """Everything the pipeline needs to know about the district, validated and read-only."""

    services: tuple[Service, ...]
    needs: NeedsFile
    languages: LanguagesFile
    safety: SafetyFile
    routing: tuple[RoutingRule, ...]
    limits: Limits
    sources: tuple[Path, ...]
    service_model: ServiceModelSettings = field(default_factory=ServiceModelSettings)
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)

    @cached_property
    def service_ids(self) -> frozenset[str]:
        return frozenset(service.id for service in self.services)

    @cached_property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(language.code for language in self.languages.languages)

    @cached_property
    def needs_by_id(self) -> dict[str, Need]:
        return {need.id: need for need in (*self.needs.needs, self.needs.interpreter)}

    def language(self, code: str) -> Language | None:
        return next((lang for lang in self.languages.languages if lang.code == code), None)

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)


def _locate(name: str, override_dir: Path | None) -> Path:
    if override_dir is not None and (override_dir / name).is_file():
        return override_dir / name
    return PACKAGE_CONFIG_DIR / name


def read_toml(path: Path, model: type[Model]) -> Model:
    """Read one TOML file into ``model``; any problem becomes a ConfigError naming file and key."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix the syntax and start again.") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{path}: {key}: {error['msg']}")
        raise ConfigError("\n".join(problems)) from exc


def _cross_check(config: Config) -> None:
    known = set(config.language_codes)
    for service in config.services:
        for language in service.keywords:
            if language not in known:
                raise ConfigError(
                    f"services.toml: services.{service.id}.keywords.{language}: language "
                    f"{language!r} is not listed in languages.toml"
                )
    from intake.taggers.language.profiles import available_profiles
    from intake.taggers.language.words import available_lists

    for language in config.languages.languages:
        if language.langdetect_profile is not None and \
                language.langdetect_profile not in available_profiles():
            raise ConfigError(
                f"languages.toml: languages.{language.code}.langdetect_profile: langdetect has no "
                f"profile {language.langdetect_profile!r}"
            )
        if language.wordlist is not None and language.wordlist not in available_lists():
            raise ConfigError(
                f"languages.toml: languages.{language.code}.wordlist: wordfreq has no word list "
                f"{language.wordlist!r}"
            )


def load_config(directory: str | os.PathLike[str] | None = None) -> Config:
    """Read every configuration file, preferring ``directory`` (or ``$INTAKE_CONFIG_DIR``)."""
    chosen = directory if directory is not None else os.environ.get(CONFIG_DIR_VARIABLE)
    override = Path(chosen) if chosen else None
    if override is not None and not override.is_dir():
        raise ConfigError(f"{CONFIG_DIR_VARIABLE}={override}: no such directory")
    paths = {name: _locate(name, override) for name in
             ("services.toml", "needs.toml", "languages.toml", "safety.toml", "routing.toml",
              "pipeline.toml")}
    pipeline = read_toml(paths["pipeline.toml"], PipelineFile)
    config = Config(
        services=tuple(read_toml(paths["services.toml"], ServicesFile).services),
        needs=read_toml(paths["needs.toml"], NeedsFile),
        languages=read_toml(paths["languages.toml"], LanguagesFile),
        safety=read_toml(paths["safety.toml"], SafetyFile),
        routing=tuple(read_toml(paths["routing.toml"], RoutingFile).rules),
        limits=pipeline.limits,
        sources=tuple(paths.values()),
        service_model=pipeline.service_model,
        campaigns=pipeline.campaigns,
        retention=pipeline.retention,
    )
    _cross_check(config)
    return config

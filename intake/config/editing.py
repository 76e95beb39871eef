"""Changing the configuration from the staff workspace: check a candidate file, save it safely.

A candidate is checked by the code start-up runs: :func:`intake.config.load_config` reads a
scratch directory holding the operator's overrides with the candidate in place of its file, so
the TOML syntax, the schema and the cross-file checks are exactly those of start-up. A valid file
is written into the override directory (``INTAKE_CONFIG_DIR``) atomically, the file it replaces
kept beside it as ``<name>.<timestamp>.bak``. Nothing is reloaded: the running service keeps the
configuration it started with until it restarts.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from intake.config import (
    CONFIG_DIR_VARIABLE,
    PACKAGE_CONFIG_DIR,
    Config,
    ConfigError,
    load_config,
    read_toml,
)
from intake.config.schema import (
    LanguagesFile,
    NeedsFile,
    PipelineFile,
    RoutingFile,
    SafetyFile,
    ServicesFile,
)
from intake.storage.models import AuditEvent

# Every file load_config reads, with its schema, in the order the workspace lists them.
FILES: dict[str, type[BaseModel]] = {
    "services.toml": ServicesFile,
    "needs.toml": NeedsFile,
    "languages.toml": LanguagesFile,
    "safety.toml": SafetyFile,
    "routing.toml": RoutingFile,
    "pipeline.toml": PipelineFile,
}

# A further start-up check the caller runs on the candidate configuration (the web app adds the
# conversation script's check that its prompts' languages are in languages.toml).
ExtraCheck = Callable[[Config], None]


class EditingError(Exception):
    """The change cannot be saved; the message says why and what to do."""


class InvalidConfiguration(EditingError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ConfigFile:
    """One configuration file as it is on disk now, for the workspace's list."""

    name: str
    path: Path
    overridden: bool
    summary: str
    problem: str | None = None
    # The file on disk differs from what the running service loaded (it waits for a restart).
    pending_restart: bool = False


@dataclass(frozen=True)
class SavedFile:
    name: str
    path: Path
    backup: Path | None
    old_sha256: str
    new_sha256: str
    replaced_override: bool


def override_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """The operator's override directory, as start-up reads it (None when not set)."""
    value = (os.environ if environ is None else environ).get(CONFIG_DIR_VARIABLE, "").strip()
    return Path(value) if value else None


def check_name(name: str) -> None:
    if name not in FILES:
        raise EditingError(f"{name!r} is not a configuration file; use one of {', '.join(FILES)}.")


def locate(name: str, override_dir: Path | None) -> Path:
    """Where start-up reads ``name`` from: the override directory when it has one, else the package."""
    check_name(name)
    if override_dir is not None and (override_dir / name).is_file():
        return override_dir / name
    return PACKAGE_CONFIG_DIR / name


def current_text(name: str, override_dir: Path | None) -> str:
    return locate(name, override_dir).read_text(encoding="utf-8")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """Browsers send CRLF line ends; the files use LF and end with one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def validate(name: str, text: str, override_dir: Path | None,
             extra_checks: Iterable[ExtraCheck] = ()) -> list[str]:
    """The problems start-up would find with ``text`` as ``name`` (an empty list: none).

    Each problem is a sentence naming the file and the key, as start-up reports it.
    """
    check_name(name)
    if override_dir is not None and not override_dir.is_dir():
        return [f"{CONFIG_DIR_VARIABLE}={override_dir}: no such directory"]
    with tempfile.TemporaryDirectory(prefix="intake-config-check-") as scratch:
        scratch_dir = Path(scratch)
        for other in FILES:
            if other != name and override_dir is not None and (override_dir / other).is_file():
                shutil.copyfile(override_dir / other, scratch_dir / other)
        (scratch_dir / name).write_text(text, encoding="utf-8")
        try:
            config = load_config(scratch_dir)
            for check in extra_checks:
                check(config)
        except ConfigError as exc:
            # Start-up names files by their path; here the scratch path would only confuse.
            message = str(exc).replace(f"{scratch_dir}{os.sep}", "")
            return [line for line in message.splitlines() if line.strip()]
    return []


def save(name: str, text: str, override_dir: Path | None, now: datetime, *,
         based_on: str | None = None, extra_checks: Iterable[ExtraCheck] = ()) -> SavedFile:
    """Validate ``text`` and write it as ``override_dir/name``, keeping the file it replaces.

    ``based_on`` is the hash of the text the editor started from: if the file has changed since
    (someone else saved), nothing is written. Raises InvalidConfiguration or EditingError.
    """
    check_name(name)
    if override_dir is None:
        raise EditingError(f"Saving needs an override directory: set {CONFIG_DIR_VARIABLE} to a "
                           "directory the service can write to, and restart it.")
    if not override_dir.is_dir():
        raise EditingError(f"{CONFIG_DIR_VARIABLE}={override_dir} is not a directory: create it, "
                           "or set the variable to one that exists, and restart the service.")
    old = current_text(name, override_dir)
    if based_on is not None and based_on != sha256(old):
        raise EditingError(f"{name} has changed since you opened it. Copy your changes, open the "
                           "file again and make them on the new version.")
    problems = validate(name, text, override_dir, extra_checks)
    if problems:
        raise InvalidConfiguration(problems)
    target = override_dir / name
    backup = _backup(target, now) if target.is_file() else None
    _write_atomically(target, text)
    return SavedFile(name=name, path=target, backup=backup, old_sha256=sha256(old),
                     new_sha256=sha256(text), replaced_override=backup is not None)


def _backup(target: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 1000):
        suffix = stamp if attempt == 1 else f"{stamp}-{attempt}"
        backup = target.with_name(f"{target.name}.{suffix}.bak")
        try:
            with backup.open("xb") as handle:     # never overwrite an earlier backup
                handle.write(target.read_bytes())
            shutil.copystat(target, backup)
            return backup
        except FileExistsError:
            continue
    raise EditingError(f"Too many backups of {target.name} at {stamp}; try again in a second.")


def _write_atomically(target: Path, text: str) -> None:
    """Write beside the target and rename over it, so start-up never reads half a file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_change(session: Session, saved: SavedFile, actor: str, now: datetime) -> None:
    """The audit event for a saved file: who, which file, and hashes of the old and new text."""
    session.add(AuditEvent(occurred_at=now, actor=actor, action="configuration.changed",
                           entity_type="configuration", entity_id=saved.name,
                           details={"old_sha256": saved.old_sha256,
                                    "new_sha256": saved.new_sha256,
                                    "backup": saved.backup.name if saved.backup else None,
                                    "replaced": "override" if saved.replaced_override
                                    else "packaged default"}))


def describe(override_dir: Path | None, running: Config | None = None) -> list[ConfigFile]:
    """Each file: where it is read from and what is in it (a problem instead, if it is broken)."""
    described = []
    for name, model in FILES.items():
        path = locate(name, override_dir)
        overridden = path.parent != PACKAGE_CONFIG_DIR
        try:
            parsed = read_toml(path, model)
        except ConfigError as exc:
            described.append(ConfigFile(name, path, overridden, "", problem=str(exc)))
            continue
        pending = running is not None and not _same_as_running(parsed, running)
        described.append(ConfigFile(name, path, overridden, summarise(parsed),
                                    pending_restart=pending))
    return described


def summarise(parsed: BaseModel) -> str:
    match parsed:
        case ServicesFile():
            return _count(len(parsed.services), "service")
        case NeedsFile():
            return (f"{_count(len(parsed.needs), 'communication need')}, "
                    f"{_count(len(parsed.interpreter_languages), 'interpreter language')}")
        case LanguagesFile():
            return f"{_count(len(parsed.languages), 'language')} (default {parsed.default})"
        case SafetyFile():
            return _count(len(parsed.flags), "safety flag")
        case RoutingFile():
            enabled = sum(rule.enabled for rule in parsed.rules)
            return f"{_count(len(parsed.rules), 'routing rule')} ({enabled} enabled)"
        case PipelineFile():
            retention = parsed.retention
            return (f"Quiet hours {parsed.campaigns.quiet_hours} ({parsed.campaigns.timezone}); "
                    f"keeps raw messages {retention.raw_payload_days} days, original text "
                    f"{retention.original_text_days} days, contact details "
                    f"{retention.contact_details_days} days")
    return ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _same_as_running(parsed: BaseModel, running: Config) -> bool:
    match parsed:
        case ServicesFile():
            return tuple(parsed.services) == running.services
        case NeedsFile():
            return parsed == running.needs
        case LanguagesFile():
            return parsed == running.languages
        case SafetyFile():
            return parsed == running.safety
        case RoutingFile():
            return tuple(parsed.rules) == running.routing
        case PipelineFile():
            return parsed == PipelineFile(limits=running.limits, retention=running.retention,
                                          service_model=running.service_model,
                                          campaigns=running.campaigns)
    return True

"""Settings from the environment. Secrets never live in the repository.

In development, missing secrets are generated once and kept in ``instance/dev-secrets.json`` so
that data encrypted yesterday can still be read today. In production (``INTAKE_ENV=production``)
the service refuses to start until every secret is set.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from intake.privacy.vault import ContactVault

Environment = Literal["development", "production", "test"]
# Where a finished conversation is tagged and routed: in the request that ends it (the default,
# and all `intake serve` runs), or by `intake worker`, which lets the webhook answer at once.
Tagging = Literal["inline", "worker"]
TAGGING_CHOICES: tuple[Tagging, ...] = ("inline", "worker")
DEFAULT_INSTANCE = Path("instance")
REQUIRED_IN_PRODUCTION = {
    "DATABASE_URL": "e.g. postgresql://intake:PASSWORD@db.internal:5432/intake",
    "SECRET_KEY": "random text, e.g. from `python -c \"import secrets; print(secrets.token_hex(32))\"`",
    "INTAKE_ENCRYPTION_KEYS": "one or more Fernet keys, newest first; `intake keys generate`",
    "INTAKE_HASH_KEY": "at least 32 characters of random text; never change it once set",
    "PUBLIC_BASE_URL": "the https address people and providers reach, e.g. https://feedback.example.nhs.uk",
}


class SettingsError(Exception):
    """Settings are missing or invalid; the message lists each and what to set."""


@dataclass(frozen=True)
class Settings:
    environment: Environment
    database_url: str
    secret_key: str
    encryption_keys: tuple[str, ...]
    hash_key: str
    public_base_url: str
    instance_path: Path
    # Learned models (`intake train`): derived from restricted feedback text, so kept with the data.
    models_dir: Path
    tagging: Tagging = "inline"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 instance_path: Path | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        environment = env.get("INTAKE_ENV", "development")
        if environment not in ("development", "production", "test"):
            raise SettingsError(
                f"INTAKE_ENV={environment!r}: use development, production or test.")
        instance = Path(env.get("INTAKE_INSTANCE_PATH") or instance_path or DEFAULT_INSTANCE)
        tagging = tagging_from_env(env)
        if environment == "production":
            missing = [f"  {name}: {hint}" for name, hint in REQUIRED_IN_PRODUCTION.items()
                       if not env.get(name, "").strip()]
            if missing:
                raise SettingsError(
                    "Refusing to start in production without these settings:\n" + "\n".join(missing))
        else:
            env = {**_development_secrets(instance), **{k: v for k, v in env.items() if v}}
        keys = tuple(k.strip() for k in env["INTAKE_ENCRYPTION_KEYS"].split(",") if k.strip())
        settings = cls(
            environment=environment,  # type: ignore[arg-type]
            database_url=env.get("DATABASE_URL")
            or f"sqlite:///{(instance / 'intake.sqlite3').resolve()}",
            secret_key=env["SECRET_KEY"],
            encryption_keys=keys,
            hash_key=env["INTAKE_HASH_KEY"],
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            instance_path=instance,
            models_dir=models_dir_from_env(env, instance),
            tagging=tagging,
        )
        settings.vault()  # validates the keys now, with a clear message
        return settings

    def vault(self) -> ContactVault:
        return ContactVault(self.encryption_keys, self.hash_key)


def tagging_from_env(environ: Mapping[str, str] | None = None) -> Tagging:
    """``INTAKE_TAGGING``: inline (the default) or worker."""
    env = os.environ if environ is None else environ
    chosen = env.get("INTAKE_TAGGING", "").strip().lower() or "inline"
    for choice in TAGGING_CHOICES:
        if chosen == choice:
            return choice
    raise SettingsError(f"INTAKE_TAGGING={env.get('INTAKE_TAGGING')!r}: use inline (feedback is "
                        "tagged in the request that ends a conversation) or worker (by "
                        "`intake worker`, which must then run).")


def instance_from_env(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("INTAKE_INSTANCE_PATH") or DEFAULT_INSTANCE)


def models_dir_from_env(environ: Mapping[str, str] | None = None, instance: Path | None = None) -> Path:
    """``INTAKE_MODELS_DIR``, else ``<instance>/models``. Needs no secrets, so `intake tag` can
    find the learned model without a database."""
    env = os.environ if environ is None else environ
    chosen = env.get("INTAKE_MODELS_DIR")
    if chosen:
        return Path(chosen)
    return (instance if instance is not None else instance_from_env(env)) / "models"


def _development_secrets(instance: Path) -> dict[str, str]:
    path = instance / "dev-secrets.json"
    if path.is_file():
        return json.loads(path.read_text("utf-8"))
    generated = {
        "SECRET_KEY": secrets.token_hex(32),
        "INTAKE_ENCRYPTION_KEYS": ContactVault.generate_key(),
        "INTAKE_HASH_KEY": secrets.token_hex(32),
    }
    instance.mkdir(parents=True, exist_ok=True)
    # Created owner-only from the start, so the secrets are never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(generated, handle, indent=2)
    return generated

"""Settings.from_env: production refuses missing secrets; development generates and keeps its own."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from intake.privacy.vault import VaultError
from intake.settings import REQUIRED_IN_PRODUCTION, Settings, SettingsError, models_dir_from_env

PRODUCTION_KEY = Fernet.generate_key().decode()
OLD_KEY = Fernet.generate_key().decode()
PRODUCTION_HASH_KEY = "synthetic-production-hash-key-" + "p" * 32


@pytest.fixture(autouse=True)
def work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stray default ``instance/`` directory would land in tmp_path, never in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def production_env(instance: Path) -> dict[str, str]:
    return {
        "INTAKE_ENV": "production",
        "DATABASE_URL": "postgresql://intake:synthetic@db.example.test:5432/intake",
        "SECRET_KEY": "synthetic-secret-key",
        "INTAKE_ENCRYPTION_KEYS": f"{PRODUCTION_KEY}, {OLD_KEY}",
        "INTAKE_HASH_KEY": PRODUCTION_HASH_KEY,
        "PUBLIC_BASE_URL": "https://feedback.example.test/",
        "INTAKE_INSTANCE_PATH": str(instance),
    }


def development_env(instance: Path, **extra: str) -> dict[str, str]:
    return {"INTAKE_ENV": "development", "INTAKE_INSTANCE_PATH": str(instance), **extra}


# --- production ----------------------------------------------------------------------------------


def test_production_without_secrets_lists_every_missing_variable(instance: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"INTAKE_ENV": "production", "INTAKE_INSTANCE_PATH": str(instance)})

    message = str(caught.value)
    assert set(REQUIRED_IN_PRODUCTION) == {
        "DATABASE_URL", "SECRET_KEY", "INTAKE_ENCRYPTION_KEYS", "INTAKE_HASH_KEY", "PUBLIC_BASE_URL"}
    for name in REQUIRED_IN_PRODUCTION:
        assert name in message
    assert not (instance / "dev-secrets.json").exists()


@pytest.mark.parametrize("missing", sorted(REQUIRED_IN_PRODUCTION))
@pytest.mark.parametrize("value", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_production_names_exactly_the_missing_variable(
        instance: Path, missing: str, value: str | None) -> None:
    env = production_env(instance)
    if value is None:
        del env[missing]
    else:
        env[missing] = value

    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)

    message = str(caught.value)
    assert missing in message
    for other in set(REQUIRED_IN_PRODUCTION) - {missing}:
        assert f"{other}:" not in message


def test_production_with_every_secret_set(instance: Path) -> None:
    settings = Settings.from_env(production_env(instance))

    assert settings.environment == "production"
    assert settings.database_url == "postgresql://intake:synthetic@db.example.test:5432/intake"
    assert settings.secret_key == "synthetic-secret-key"
    assert settings.encryption_keys == (PRODUCTION_KEY, OLD_KEY)
    assert settings.hash_key == PRODUCTION_HASH_KEY
    assert settings.public_base_url == "https://feedback.example.test"
    assert settings.instance_path == instance
    assert not (instance / "dev-secrets.json").exists()


def test_production_vault_uses_the_configured_keys(instance: Path) -> None:
    vault = Settings.from_env(production_env(instance)).vault()
    old_token = Fernet(OLD_KEY.encode()).encrypt("مرحبا".encode()).decode()

    assert vault.decrypt(old_token) == "مرحبا"
    assert Fernet(PRODUCTION_KEY.encode()).decrypt(vault.encrypt("x").encode()) == b"x"


def test_production_with_invalid_fernet_key_raises_vault_error(instance: Path) -> None:
    env = {**production_env(instance), "INTAKE_ENCRYPTION_KEYS": "not-a-fernet-key"}

    with pytest.raises(VaultError, match="INTAKE_ENCRYPTION_KEYS"):
        Settings.from_env(env)


def test_production_with_short_hash_key_raises_vault_error(instance: Path) -> None:
    env = {**production_env(instance), "INTAKE_HASH_KEY": "too-short"}

    with pytest.raises(VaultError, match="INTAKE_HASH_KEY"):
        Settings.from_env(env)


# --- development ---------------------------------------------------------------------------------


def test_development_generates_secrets_file_with_private_mode(instance: Path) -> None:
    settings = Settings.from_env(development_env(instance))

    path = instance / "dev-secrets.json"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text("utf-8"))
    assert set(stored) == {"SECRET_KEY", "INTAKE_ENCRYPTION_KEYS", "INTAKE_HASH_KEY"}
    assert settings.secret_key == stored["SECRET_KEY"]
    assert settings.encryption_keys == (stored["INTAKE_ENCRYPTION_KEYS"],)
    assert settings.hash_key == stored["INTAKE_HASH_KEY"]
    assert len(settings.hash_key) >= 32
    assert settings.environment == "development"


def test_development_reuses_the_secrets_file(instance: Path) -> None:
    first = Settings.from_env(development_env(instance))
    content = (instance / "dev-secrets.json").read_text("utf-8")

    second = Settings.from_env(development_env(instance))

    assert second.secret_key == first.secret_key
    assert second.encryption_keys == first.encryption_keys
    assert second.hash_key == first.hash_key
    assert (instance / "dev-secrets.json").read_text("utf-8") == content
    # Data encrypted "yesterday" can still be read "today".
    assert second.vault().decrypt(first.vault().encrypt("اردو")) == "اردو"


def test_separate_instances_get_separate_secrets(tmp_path: Path) -> None:
    one = Settings.from_env(development_env(tmp_path / "one"))
    two = Settings.from_env(development_env(tmp_path / "two"))

    assert one.secret_key != two.secret_key
    assert one.encryption_keys != two.encryption_keys


def test_missing_intake_env_means_development(instance: Path) -> None:
    settings = Settings.from_env({"INTAKE_INSTANCE_PATH": str(instance)})

    assert settings.environment == "development"
    assert (instance / "dev-secrets.json").is_file()


def test_test_environment_also_generates_secrets(instance: Path) -> None:
    settings = Settings.from_env({"INTAKE_ENV": "test", "INTAKE_INSTANCE_PATH": str(instance)})

    assert settings.environment == "test"
    assert (instance / "dev-secrets.json").is_file()


def test_explicit_environment_values_override_generated_ones(instance: Path) -> None:
    generated = Settings.from_env(development_env(instance))
    explicit_key = Fernet.generate_key().decode()

    settings = Settings.from_env(development_env(
        instance,
        SECRET_KEY="explicit-secret",
        INTAKE_ENCRYPTION_KEYS=explicit_key,
        INTAKE_HASH_KEY="explicit-hash-key-" + "e" * 32,
        DATABASE_URL="sqlite:///explicit.sqlite3",
        PUBLIC_BASE_URL="http://localhost:5000/",
    ))

    assert settings.secret_key == "explicit-secret"
    assert settings.encryption_keys == (explicit_key,)
    assert settings.hash_key == "explicit-hash-key-" + "e" * 32
    assert settings.database_url == "sqlite:///explicit.sqlite3"
    assert settings.public_base_url == "http://localhost:5000"
    assert settings.secret_key != generated.secret_key


def test_one_explicit_value_keeps_the_other_generated_ones(instance: Path) -> None:
    generated = Settings.from_env(development_env(instance))

    settings = Settings.from_env(development_env(instance, SECRET_KEY="explicit-secret"))

    assert settings.secret_key == "explicit-secret"
    assert settings.encryption_keys == generated.encryption_keys
    assert settings.hash_key == generated.hash_key


def test_empty_environment_value_does_not_override_generated_one(instance: Path) -> None:
    generated = Settings.from_env(development_env(instance))

    settings = Settings.from_env(development_env(instance, SECRET_KEY="", INTAKE_HASH_KEY=""))

    assert settings.secret_key == generated.secret_key
    assert settings.hash_key == generated.hash_key


def test_default_database_is_a_sqlite_file_under_the_instance_path(instance: Path) -> None:
    settings = Settings.from_env(development_env(instance))

    assert settings.database_url == f"sqlite:///{(instance / 'intake.sqlite3').resolve()}"
    assert settings.public_base_url == "http://127.0.0.1:8000"


def test_instance_path_argument_is_used_when_environment_has_none(tmp_path: Path) -> None:
    instance = tmp_path / "from-argument"

    settings = Settings.from_env({"INTAKE_ENV": "development"}, instance_path=instance)

    assert settings.instance_path == instance
    assert (instance / "dev-secrets.json").is_file()
    assert settings.database_url == f"sqlite:///{(instance / 'intake.sqlite3').resolve()}"


def test_instance_path_variable_wins_over_argument(tmp_path: Path) -> None:
    settings = Settings.from_env(development_env(tmp_path / "from-env"), instance_path=tmp_path / "arg")

    assert settings.instance_path == tmp_path / "from-env"
    assert not (tmp_path / "arg").exists()


def test_development_with_invalid_fernet_key_raises_vault_error(instance: Path) -> None:
    with pytest.raises(VaultError, match="Fernet"):
        Settings.from_env(development_env(instance, INTAKE_ENCRYPTION_KEYS="not-a-fernet-key"))


# --- bad environment name -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["staging", "Production", "prod"])
def test_unknown_intake_env_raises_settings_error(instance: Path, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"INTAKE_ENV": value, "INTAKE_INSTANCE_PATH": str(instance)})

    assert repr(value) in str(caught.value)
    assert "development, production or test" in str(caught.value)
    assert not instance.exists()


# --- where learned models live --------------------------------------------------------------------


def test_models_live_in_the_instance_directory_by_default(instance: Path) -> None:
    settings = Settings.from_env(development_env(instance))
    assert settings.models_dir == instance / "models"
    assert models_dir_from_env({"INTAKE_INSTANCE_PATH": str(instance)}) == instance / "models"


def test_the_models_directory_can_be_chosen(instance: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    settings = Settings.from_env(development_env(instance, INTAKE_MODELS_DIR=str(chosen)))
    assert settings.models_dir == chosen
    assert models_dir_from_env({"INTAKE_MODELS_DIR": str(chosen)}) == chosen


def test_tagging_is_inline_unless_intake_tagging_says_worker(instance: Path) -> None:
    assert Settings.from_env(development_env(instance)).tagging == "inline"
    assert Settings.from_env(development_env(instance, INTAKE_TAGGING=" Worker ")).tagging == "worker"
    assert Settings.from_env(development_env(instance, INTAKE_TAGGING="inline")).tagging == "inline"


def test_an_unknown_tagging_choice_is_refused_with_the_choices(instance: Path) -> None:
    with pytest.raises(SettingsError, match=r"INTAKE_TAGGING='later': use inline .* or worker"):
        Settings.from_env(development_env(instance, INTAKE_TAGGING="later"))

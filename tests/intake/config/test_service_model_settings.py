"""The [service_model] table of pipeline.toml: shipped defaults, overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import CONFIG_DIR_VARIABLE, ConfigError, load_config
from intake.config.schema import ServiceModelSettings


@pytest.fixture(autouse=True)
def no_config_dir_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_DIR_VARIABLE, raising=False)


def pipeline_toml(directory: Path, table: str) -> Path:
    (directory / "pipeline.toml").write_text(f"[limits]\n\n[service_model]\n{table}\n", "utf-8")
    return directory


def test_the_shipped_settings_put_precision_first() -> None:
    settings = load_config().service_model
    assert settings == ServiceModelSettings()
    assert settings.min_confidence == 0.7
    assert (settings.min_examples, settings.min_examples_per_service) == (200, 20)
    assert settings.path_in(Path("/srv/models")) == Path("/srv/models/service-model.npz")


def test_an_operator_can_change_them(tmp_path: Path) -> None:
    config = load_config(pipeline_toml(tmp_path, 'min_confidence = 0.9\nfile = "services-v2.npz"'))
    assert config.service_model.min_confidence == 0.9
    assert config.service_model.file == "services-v2.npz"
    assert config.service_model.min_examples == 200


@pytest.mark.parametrize(("table", "key"), [
    ("min_confidence = 0.3", "service_model.min_confidence"),
    ("min_confidence = 1.5", "service_model.min_confidence"),
    ("min_examples = 3", "service_model.min_examples"),
    ("min_examples_per_service = 2", "service_model.min_examples_per_service"),
    ('file = "../../etc/model.npz"', "service_model.file"),
    ('file = ".hidden"', "service_model.file"),
    ("threshold = 0.8", "service_model.threshold"),
])
def test_a_bad_value_names_the_file_and_key(tmp_path: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(pipeline_toml(tmp_path, table))
    assert f"pipeline.toml: {key}:" in str(caught.value)

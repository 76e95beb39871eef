"""Taggers and the learned service model's file: read when there is one, read again when it
changes, and a broken one never stops tagging."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from intake.config import Config
from intake.config.schema import ServiceModelSettings
from intake.pipeline import Taggers
from intake.taggers.service_model import ServiceModel
from tests.intake.taggers.synthetic_services import HELD_OUT, examples

SMALL = ServiceModelSettings(min_examples=20, min_examples_per_service=10)


@pytest.fixture(scope="module")
def model() -> ServiceModel:
    texts, labels = examples()
    return ServiceModel.train(texts, labels, SMALL)


def test_no_path_and_no_model_means_no_model(config: Config) -> None:
    assert Taggers(config).service_model is None


def test_a_model_given_directly_is_used(config: Config, model: ServiceModel) -> None:
    assert Taggers(config, service_model=model).service_model is model


def test_no_file_yet_means_no_model(config: Config, tmp_path: Path) -> None:
    taggers = Taggers(config, service_model_path=tmp_path / "models" / "service-model.npz")
    assert taggers.service_model is None


def test_a_saved_model_is_read_once_with_the_configured_bar(
        config: Config, model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    model.save(path)
    taggers = Taggers(config, service_model_path=path)
    loaded = taggers.service_model
    assert loaded is not None and loaded.services == model.services
    assert loaded.min_confidence == config.service_model.min_confidence
    assert taggers.service_model is loaded  # not read again while the file is unchanged


def test_a_retrained_model_is_picked_up_and_a_removed_one_dropped(
        config: Config, model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    model.save(path)
    taggers = Taggers(config, service_model_path=path)
    first = taggers.service_model
    texts, labels = examples(("gp", "pharmacy", "dental"))
    ServiceModel.train(texts, labels, SMALL).save(path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # a different stamp, however fast the disk
    second = taggers.service_model
    assert second is not None and second is not first
    assert second.services == ("dental", "gp", "pharmacy")
    path.unlink()
    assert taggers.service_model is None


def test_a_broken_file_is_logged_once_and_tagging_goes_on_without_it(
        config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "service-model.npz"
    path.write_bytes(b"not a model")
    taggers = Taggers(config, service_model_path=path)
    with caplog.at_level(logging.WARNING):
        assert taggers.service_model is None
        assert taggers.service_model is None
    warnings = [r for r in caplog.records if "without the learned service model" in r.getMessage()]
    assert len(warnings) == 1 and "intake train services" in warnings[0].getMessage()
    assert [hit.key for hit in taggers.services.find(HELD_OUT["gp"][0] + " at the GP")] == ["gp"]

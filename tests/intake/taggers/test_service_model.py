"""The learned service model: right on clear text, silent on anything else, and a file that is
read back exactly or refused with a clear message. Synthetic data only."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

from intake.config.schema import ServiceModelSettings
from intake.taggers.service_model import (
    CHAR_FEATURES,
    FORMAT_VERSION,
    NOT_LEARNED,
    TAGGER,
    WORD_FEATURES,
    ModelFileError,
    NGrams,
    NotEnoughData,
    ServiceModel,
    learnable_services,
)
from tests.intake.taggers.synthetic_services import HELD_OUT, OFF_TOPIC, TRAINING, examples

TRAINED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SMALL = ServiceModelSettings(min_examples=20, min_examples_per_service=10)
HELD_OUT_CASES = [(service, text) for service, texts in HELD_OUT.items() for text in texts]
ALL_HELD_OUT = [text for _, text in HELD_OUT_CASES]


@pytest.fixture(scope="module")
def model() -> ServiceModel:
    texts, labels = examples()
    return ServiceModel.train(texts, labels, SMALL, now=TRAINED_AT)


@pytest.mark.parametrize(("service", "text"), HELD_OUT_CASES)
def test_predicts_the_service_of_text_it_has_not_seen(
        model: ServiceModel, service: str, text: str) -> None:
    prediction = model.predict(text)
    assert prediction is not None
    assert prediction.service == service
    assert SMALL.min_confidence <= prediction.probability < 1.0


def test_names_the_known_words_that_weighed_most(model: ServiceModel) -> None:
    prediction = model.predict("The hygienist said my gums need more treatment")
    assert prediction is not None
    assert 1 <= len(prediction.words) <= 3
    assert set(prediction.words) <= {"hygienist", "gums", "treatment", "my gums", "the hygienist",
                                     "more treatment"}


@pytest.mark.parametrize("text", [*OFF_TOPIC, "ok", "", "12345"])
def test_abstains_on_text_about_none_of_the_services(model: ServiceModel, text: str) -> None:
    assert model.predict(text) is None


def test_abstains_below_the_confidence_bar() -> None:
    texts, labels = examples()
    strict = ServiceModel.train(texts, labels, SMALL.model_copy(update={"min_confidence": 1.0}))
    assert strict.predict_many(ALL_HELD_OUT) == [None] * len(ALL_HELD_OUT)


def test_predict_many_agrees_with_predict(model: ServiceModel) -> None:
    texts = [*ALL_HELD_OUT, *OFF_TOPIC]
    assert model.predict_many(texts) == [model.predict(text) for text in texts]
    assert model.predict_many([]) == []


def test_records_what_it_was_trained_on(model: ServiceModel) -> None:
    assert model.services == ("dental", "gp", "optometry", "pharmacy")
    assert model.example_counts == {service: 15 for service in TRAINING}
    assert model.examples == 60
    assert model.trained_at == TRAINED_AT
    assert model.sklearn_version == sklearn.__version__
    assert model.format_version == FORMAT_VERSION
    assert model.tagger == TAGGER == "service-model@1"
    assert model.min_confidence == SMALL.min_confidence


def test_services_with_too_few_examples_are_never_predicted() -> None:
    texts, labels = examples(("gp", "pharmacy", "dental"))
    few = TRAINING["optometry"][:5]
    model = ServiceModel.train([*texts, *few], [*labels, *["optometry"] * 5], SMALL)
    assert model.services == ("dental", "gp", "pharmacy")
    assert NOT_LEARNED in model.classes
    assert model.example_counts["optometry"] == 5
    predictions = model.predict_many([*TRAINING["optometry"], *HELD_OUT["optometry"]])
    assert all(p is None or p.service != "optometry" for p in predictions)


def test_labels_never_predicted_only_teach_it_to_abstain() -> None:
    texts, labels = examples()
    labels = ["other" if label == "optometry" else label for label in labels]
    model = ServiceModel.train(texts, labels, SMALL, never_predict={"other"})
    assert "other" not in model.services and "other" not in model.classes
    assert [model.predict(text) for text in HELD_OUT["optometry"]] == [None, None]
    prediction = model.predict(HELD_OUT["gp"][0])
    assert prediction is not None and prediction.service == "gp"


def test_one_service_against_all_the_others_is_enough() -> None:
    texts, labels = examples(("gp", "pharmacy"))
    labels = [label if label == "gp" else "other" for label in labels]
    model = ServiceModel.train(texts, labels, SMALL, never_predict={"other"})
    assert model.classes == (NOT_LEARNED, "gp") and model.services == ("gp",)
    prediction = model.predict(HELD_OUT["gp"][0])
    assert prediction is not None and prediction.service == "gp"
    assert [model.predict(text) for text in HELD_OUT["pharmacy"]] == [None, None]


def test_training_is_deterministic() -> None:
    texts, labels = examples()
    first = ServiceModel.train(texts, labels, SMALL, now=TRAINED_AT)
    second = ServiceModel.train(texts, labels, SMALL, now=TRAINED_AT)
    probe = [*ALL_HELD_OUT, *OFF_TOPIC]
    assert np.array_equal(first.probabilities(probe), second.probabilities(probe))
    assert first.metadata == second.metadata


# --- not enough data -------------------------------------------------------------------------


def test_too_few_examples_in_all_is_refused_with_the_counts() -> None:
    texts, labels = examples()
    with pytest.raises(NotEnoughData) as caught:
        ServiceModel.train(texts, labels, SMALL.model_copy(update={"min_examples": 100}))
    assert caught.value.needed == 40
    assert caught.value.counts == {service: 15 for service in TRAINING}
    message = str(caught.value)
    assert "at least 40 more are needed" in message
    assert "There are 60 in all, and training needs 100." in message
    assert "dental 15, gp 15, optometry 15, pharmacy 15" in message


def test_no_service_with_enough_examples_is_refused_saying_how_many_more() -> None:
    texts = [*TRAINING["gp"][:8], *TRAINING["pharmacy"][:7], *TRAINING["dental"][:6]]
    labels = ["gp"] * 8 + ["pharmacy"] * 7 + ["dental"] * 6
    with pytest.raises(NotEnoughData) as caught:
        ServiceModel.train(texts, labels, SMALL)
    # gp needs 2 more and pharmacy 3 more (or gp 2 more, the others already make 13 together).
    assert caught.value.needed == 2
    assert "At least one service needs 10 examples" in str(caught.value)
    assert "gp 8, pharmacy 7, dental 6" in str(caught.value)


def test_one_service_alone_is_refused_because_there_is_nothing_to_tell_it_from() -> None:
    texts, labels = examples(("gp",))
    with pytest.raises(NotEnoughData) as caught:
        ServiceModel.train([*texts, *texts], [*labels, *labels], SMALL)
    assert caught.value.needed == 10
    assert "as many again of other services" in str(caught.value)


def test_learnable_services_ignores_labels_never_predicted() -> None:
    counts = {"gp": 12, "pharmacy": 10, "other": 30, "dental": 9}
    assert learnable_services(counts, SMALL, never_predict={"other"}) == ("gp", "pharmacy")
    with pytest.raises(NotEnoughData):
        learnable_services({"other": 60}, SMALL, never_predict={"other"})


# --- the file --------------------------------------------------------------------------------


def test_a_saved_model_reads_back_the_same(model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "models" / "service-model.npz"
    model.save(path)
    loaded = ServiceModel.load(path)
    probe = [*ALL_HELD_OUT, *OFF_TOPIC]
    assert np.allclose(loaded.probabilities(probe), model.probabilities(probe))
    assert loaded.predict_many(probe) == model.predict_many(probe)
    assert (loaded.services, loaded.example_counts, loaded.examples, loaded.trained_at,
            loaded.sklearn_version, loaded.classes) == (
        model.services, model.example_counts, model.examples, model.trained_at,
        model.sklearn_version, model.classes)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["service-model.npz"]


def test_the_configured_bar_applies_to_a_loaded_model(model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    model.save(path)
    strict = ServiceModel.load(path, SMALL.model_copy(update={"min_confidence": 1.0}))
    assert strict.min_confidence == 1.0
    assert strict.predict(HELD_OUT["gp"][0]) is None
    assert ServiceModel.load(path).min_confidence == SMALL.min_confidence


def test_a_model_from_another_format_version_is_refused(model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    metadata = json.loads(str(arrays["metadata"]))
    arrays["metadata"] = np.array(json.dumps({**metadata, "format_version": 99}))
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ModelFileError) as caught:
        ServiceModel.load(path)
    assert "format 99" in str(caught.value) and f"reads format {FORMAT_VERSION}" in str(caught.value)
    assert "intake train services" in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"PK\x03\x04truncated"])
def test_an_unreadable_file_is_refused_with_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "service-model.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as caught:
        ServiceModel.load(path)
    assert str(path) in str(caught.value) and "intake train services" in str(caught.value)


def test_a_half_written_file_is_refused(model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    model.save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError):
        ServiceModel.load(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such file"):
        ServiceModel.load(tmp_path / "nothing.npz")


def test_a_file_whose_weights_do_not_fit_is_refused(model: ServiceModel, tmp_path: Path) -> None:
    path = tmp_path / "service-model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["coef"] = arrays["coef"][:, :10]
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ModelFileError, match="damaged"):
        ServiceModel.load(path)


@pytest.mark.parametrize("params", [WORD_FEATURES, CHAR_FEATURES])
def test_ngrams_weigh_text_exactly_as_scikit_learns_tfidf(params: dict[str, Any]) -> None:
    texts, _ = examples()
    ngrams = NGrams.learn(params, texts)
    expected = TfidfVectorizer(**{**params, "ngram_range": tuple(params["ngram_range"])}).fit_transform(texts)
    assert np.allclose(ngrams.matrix(texts).toarray(), expected.toarray())
    assert ngrams.matrix([]).shape == (0, len(ngrams.terms))

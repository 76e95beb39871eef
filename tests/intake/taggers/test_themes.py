"""The learned theme model: several themes or none per text, only themes with enough examples,
the same model from the same data, and a file read back exactly or refused with a clear message.
Synthetic data only."""

from __future__ import annotations

import json
import stat
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from intake.taggers.themes import FORMAT_VERSION, ThemeModel, ThemeModelError, ThemeSettings
from tests.intake.taggers.synthetic_themes import THEMES, labelled, names

TRAINED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SMALL = ThemeSettings(min_examples=5)
UNSEEN = [
    ("The soup was cold", {"food-and-drink"}),
    ("The ambulance driver came late", {"transport"}),
    ("Staff were kind and friendly", {"staff-manner"}),
    ("Kind nurses and tasty meals", {"staff-manner", "food-and-drink"}),
]


def train(settings: ThemeSettings = SMALL, **options: object) -> ThemeModel:
    rows = labelled()
    return ThemeModel.train([text for text, _ in rows], [themes for _, themes in rows], settings,
                            now=TRAINED_AT, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def model() -> ThemeModel:
    return train(names=names(), descriptions={"transport": "Getting to and from care.",
                                              "unknown-theme": "Not in the data."})


@pytest.mark.parametrize(("text", "expected"), UNSEEN)
def test_predicts_the_themes_of_text_it_has_not_seen(
        model: ThemeModel, text: str, expected: set[str]) -> None:
    predictions = model.predict(text)
    assert {p.label for p in predictions} == expected
    scores = [p.score for p in predictions]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < score < 1.0 for score in scores)


def test_names_the_known_words_that_weighed_most(model: ThemeModel) -> None:
    [prediction] = model.predict("The soup was cold")
    assert 1 <= len(prediction.words) <= 3
    assert "cold" in prediction.words
    assert set(prediction.words) <= {"the", "soup", "was", "cold", "the soup", "soup was", "was cold"}


@pytest.mark.parametrize("text", ["Nothing to add", "", "12345", "xyzzy plugh"])
def test_gives_no_theme_to_text_about_none(model: ThemeModel, text: str) -> None:
    assert model.predict(text) == []


def test_gives_at_most_max_themes() -> None:
    capped = train(ThemeSettings(min_examples=5, max_themes=1))
    [only] = capped.predict("Kind nurses and tasty meals and the ambulance driver")
    assert only.label in THEMES


def test_never_proposes_a_theme_below_min_score(model: ThemeModel) -> None:
    text = "The driver was rude"
    assert [p.label for p in model.predict(text)] == ["transport"]
    strict = train(ThemeSettings(min_examples=5, min_score=0.99))
    assert np.array_equal(strict.margins([text]), model.margins([text]))
    assert strict.predict(text) == []


def test_learns_only_themes_with_enough_examples(model: ThemeModel) -> None:
    assert model.labels == tuple(sorted(THEMES))
    assert model.metadata["not_learned"] == ["parking"]
    assert model.metadata["example_counts"]["parking"] == 2
    assert model.predict("Nowhere to park the car") == []


def test_seeds_help_but_do_not_count_towards_min_examples() -> None:
    seeded = train(seeds=[("Nowhere to park", "parking")] * 10 + [("Hot meals", "food-and-drink")])
    assert "parking" not in seeded.labels
    assert seeded.metadata["seeds"] == 1  # only seeds of learned themes are used


def test_keeps_names_and_descriptions_of_learned_themes_only(model: ThemeModel) -> None:
    assert model.name("transport") == "Transport to/ from services"
    assert model.name("not-a-theme") == "not-a-theme"
    assert model.description("transport") == "Getting to and from care."
    assert model.description("food-and-drink") is None
    assert "parking" not in model.names and "unknown-theme" not in model.descriptions


def test_records_what_it_was_trained_on(model: ThemeModel) -> None:
    metadata = model.metadata
    assert metadata["format_version"] == FORMAT_VERSION
    assert metadata["examples"] == len(labelled())
    assert metadata["trained_at"] == TRAINED_AT.isoformat()
    assert metadata["regularisation"] in SMALL.regularisation
    assert set(metadata["cross_validated_macro_f1"]) == {str(c) for c in SMALL.regularisation}
    assert metadata["settings"] == json.loads(json.dumps(asdict(SMALL)))


def test_the_same_data_gives_the_same_model(model: ThemeModel) -> None:
    again = train(names=names())
    texts = [text for text, _ in UNSEEN]
    assert np.array_equal(again.margins(texts), model.margins(texts))
    assert again.predict("The soup was cold") == model.predict("The soup was cold")


def test_probabilities_follow_the_margins(model: ThemeModel) -> None:
    texts = [text for text, _ in UNSEEN]
    margins, probabilities = model.margins(texts), model.probabilities(texts)
    assert probabilities.shape == margins.shape == (len(texts), len(model.labels))
    for column in range(len(model.labels)):
        order = np.argsort(margins[:, column])
        assert np.all(np.diff(probabilities[order, column]) >= 0)
    assert model.margins([]).shape == (0, len(model.labels))


def test_refuses_to_train_without_a_theme_to_learn() -> None:
    with pytest.raises(ThemeModelError, match="No theme has the 500 labelled examples"):
        train(ThemeSettings(min_examples=500))
    with pytest.raises(ValueError, match="2 texts but 1 label sets"):
        ThemeModel.train(["a", "b"], [{"x"}])


def test_saves_and_loads_the_same_model(model: ThemeModel, tmp_path: Path) -> None:
    path = tmp_path / "models" / "themes.npz"
    model.save(path)
    loaded = ThemeModel.load(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert loaded.labels == model.labels
    assert loaded.metadata == model.metadata
    assert loaded.settings == model.settings and loaded.language == "en"
    assert loaded.trained_at == TRAINED_AT
    for text, _ in UNSEEN:
        assert loaded.predict(text) == model.predict(text)
    assert [p.name for p in tmp_path.joinpath("models").iterdir()] == ["themes.npz"]


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ThemeModelError, match=r"no such file\. Run `intake train themes"):
        ThemeModel.load(tmp_path / "themes.npz")


def test_a_damaged_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "themes.npz"
    path.write_bytes(b"not a model at all")
    with pytest.raises(ThemeModelError, match=r"cannot be read as a theme model.*intake train themes"):
        ThemeModel.load(path)


def _rewrite(source: Path, target: Path, **changes: object) -> Path:
    with np.load(source, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    metadata = json.loads(str(arrays["metadata"]))
    for key, value in changes.items():
        if key in arrays:
            arrays[key] = value  # type: ignore[assignment]
        else:
            metadata[key] = value
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(target, **arrays)  # type: ignore[arg-type]
    return target


def test_another_format_version_is_refused(model: ThemeModel, tmp_path: Path) -> None:
    model.save(tmp_path / "themes.npz")
    path = _rewrite(tmp_path / "themes.npz", tmp_path / "old.npz", format_version=0)
    with pytest.raises(ThemeModelError, match="in format 0, and this version of Involve Intake "
                                              f"reads format {FORMAT_VERSION}"):
        ThemeModel.load(path)


def test_another_kind_of_model_is_refused(model: ThemeModel, tmp_path: Path) -> None:
    model.save(tmp_path / "themes.npz")
    path = _rewrite(tmp_path / "themes.npz", tmp_path / "service.npz", kind="service")
    with pytest.raises(ThemeModelError, match="is not a theme model"):
        ThemeModel.load(path)


def test_weights_that_do_not_fit_the_vocabulary_are_refused(model: ThemeModel, tmp_path: Path) -> None:
    model.save(tmp_path / "themes.npz")
    path = _rewrite(tmp_path / "themes.npz", tmp_path / "cut.npz", threshold=np.zeros(1))
    with pytest.raises(ThemeModelError, match="is damaged"):
        ThemeModel.load(path)

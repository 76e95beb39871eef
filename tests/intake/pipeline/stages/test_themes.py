"""Behaviour of the themes stage: with no theme model it does nothing; with one it proposes the
model's themes for English (or undetermined) text, with the words behind them; a model file that
cannot be read leaves the whole pipeline running without it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from intake.config import Config
from intake.message import IncomingMessage
from intake.pipeline import Draft, PipelineContext, Taggers, TagProposal, run
from intake.pipeline.stages.themes import MODEL_FILE, STAGE, TAGGER
from intake.taggers.themes import ThemeModel, ThemePrediction, ThemeSettings
from tests.conftest import FIXED_NOW
from tests.intake.taggers.synthetic_themes import labelled, names


@dataclass
class FakeThemeModel:
    """Stands in for ThemeModel: the same answer for every text, and a record of the questions."""

    answer: list[ThemePrediction]
    language: str = "en"
    asked: list[str] = field(default_factory=list)

    def predict(self, text: str) -> list[ThemePrediction]:
        self.asked.append(text)
        return self.answer


FOOD = ThemePrediction("food-and-drink", 0.8765, ("cold", "the food"))
STAFF = ThemePrediction("staff-manner", 0.61, ())


def context_with(config: Config, model: object | None) -> PipelineContext:
    return PipelineContext(config=config, taggers=Taggers(config, theme_model=model),  # type: ignore[arg-type]
                           now=FIXED_NOW)


def themes(context: PipelineContext, text: str, language: str | None = None) -> list[TagProposal]:
    draft = Draft(message=IncomingMessage("web", "m-1", text), text=text)
    if language:
        draft = draft.with_tags(TagProposal("language", language, 0.99, "auto", "language@2"))
    return list(STAGE(draft, context).tags_of("theme"))


def test_without_a_model_the_stage_does_nothing(config: Config) -> None:
    assert themes(context_with(config, None), "The food was cold") == []


def test_proposes_the_model_themes_with_their_evidence(config: Config) -> None:
    model = FakeThemeModel([FOOD, STAFF])
    assert themes(context_with(config, model), "The food was cold", "en") == [
        TagProposal("theme", "food-and-drink", 0.88, "auto", TAGGER, evidence="cold, the food"),
        TagProposal("theme", "staff-manner", 0.61, "auto", TAGGER, evidence=None),
    ]
    assert model.asked == ["The food was cold"]
    assert TAGGER == "themes@1"


def test_a_model_that_sees_no_theme_adds_nothing(config: Config) -> None:
    assert themes(context_with(config, FakeThemeModel([])), "Nothing to add", "en") == []


@pytest.mark.parametrize(("language", "asked"), [("en", True), ("und", True), (None, True),
                                                  ("pl", False), ("ur", False)])
def test_asks_the_model_only_about_text_in_its_language(
        config: Config, language: str | None, asked: bool) -> None:
    model = FakeThemeModel([FOOD])
    found = themes(context_with(config, model), "Jedzenie było zimne", language)
    assert bool(found) is asked and bool(model.asked) is asked


def test_blank_text_is_not_asked_about(config: Config) -> None:
    model = FakeThemeModel([FOOD])
    assert themes(context_with(config, model), "   ", "en") == []
    assert model.asked == []


@pytest.fixture(scope="module")
def model() -> ThemeModel:
    rows = labelled()
    return ThemeModel.train([text for text, _ in rows], [labels for _, labels in rows],
                            ThemeSettings(min_examples=5), names=names())


def test_the_pipeline_tags_themes_from_a_saved_model(config: Config, model: ThemeModel,
                                                     tmp_path: Path) -> None:
    model.save(tmp_path / MODEL_FILE)
    taggers = Taggers(config, theme_model_path=tmp_path / MODEL_FILE)
    draft = run(IncomingMessage("web", "m-1", "The ambulance driver came late"),
                PipelineContext(config=config, taggers=taggers, now=FIXED_NOW))
    assert [(tag.value, tag.source, tag.tagger) for tag in draft.tags_of("theme")] == [
        ("transport", "auto", TAGGER)]
    assert "themes@1" in draft.stage_versions


def test_a_broken_model_file_logs_a_warning_and_the_pipeline_runs_without_it(
        config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / MODEL_FILE
    path.write_bytes(b"half a model")
    taggers = Taggers(config, theme_model_path=path)
    with caplog.at_level(logging.WARNING):
        draft = run(IncomingMessage("web", "m-1", "My GP surgery never answers the phone"),
                    PipelineContext(config=config, taggers=taggers, now=FIXED_NOW))
    assert draft.tags_of("theme") == ()
    assert [tag.value for tag in draft.tags_of("service")] == ["gp"]
    assert any("Tagging without the theme model" in r.getMessage() and "intake train themes"
               in r.getMessage() for r in caplog.records)


def test_no_model_file_means_no_themes_and_no_warning(
        config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    taggers = Taggers(config, theme_model_path=tmp_path / "models" / MODEL_FILE)
    with caplog.at_level(logging.WARNING):
        assert taggers.theme_model is None
    assert not caplog.records

"""`intake train themes` as an administrator runs it: held-out figures first, then the model saved
where the pipeline reads it. The command object is invoked directly (the lead registers it in the
`train` group); synthetic files in the real layouts only, and no database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from intake.cli.train_themes import themes
from intake.pipeline.stages.themes import MODEL_FILE
from intake.taggers.themes import ThemeModel
from tests.intake.taggers.synthetic_themes import write_framework, write_phase1, write_v6


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    write_framework(folder / "framework_v7_20230925.csv")
    return write_v6(folder / "v6_dev.csv")


@pytest.fixture
def models(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "models"


def run(models: Path, *args: str) -> Result:
    return CliRunner().invoke(themes, list(args), env={"INTAKE_MODELS_DIR": str(models)})


def test_prints_held_out_figures_then_saves_the_model(data: Path, models: Path) -> None:
    result = run(models, "--data", str(data))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "182 comments" in out and "4 left out" in out and "10 with no theme" in out
    assert "framework_v7_20230925.csv (5 examples)" in out
    assert out.index("Held out:") < out.index("macro F1") < out.index("Saved to")
    assert "Food & drink" in out and "not learned (too few examples): 1 themes" in out
    model = ThemeModel.load(models / MODEL_FILE)
    assert model.labels == ("food-and-drink", "staff-manner-and-personal-attributes",
                            "transport-to-from-services")
    assert model.metadata["examples"] == 182  # all rows, not only the training four-fifths
    assert model.metadata["seeds"] == 5
    assert model.name("food-and-drink") == "Food & drink"
    assert model.description("food-and-drink") == "Anything about meals and drinks."
    assert [p.label for p in model.predict("The ambulance driver came late")] == [
        "transport-to-from-services"]


def test_dry_run_saves_nothing(data: Path, models: Path) -> None:
    result = run(models, "--data", str(data), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "macro F1" in result.output and "Dry run: nothing saved." in result.output
    assert not (models / MODEL_FILE).exists()


def test_also_measures_phase1_when_given(data: Path, models: Path, tmp_path: Path) -> None:
    phase1 = write_phase1(tmp_path / "phase1.csv")
    result = run(models, "--data", str(data), "--phase1", str(phase1), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Phase 1" in result.output and "accuracy" in result.output
    assert result.output.index("Held out:") < result.output.index("Phase 1")


def test_min_examples_decides_which_themes_are_learned(data: Path, models: Path) -> None:
    result = run(models, "--data", str(data), "--min-examples", "4")
    assert result.exit_code == 0, result.output
    assert "parking" in ThemeModel.load(models / MODEL_FILE).labels


def test_a_file_in_another_layout_is_a_clear_error(tmp_path: Path, models: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,text\n1,hello\n", "utf-8")
    result = run(models, "--data", str(path))
    assert result.exit_code == 1
    assert "not in the v6 format" in result.output and "Check the file given" in result.output
    assert not models.exists()


def test_too_few_examples_is_a_clear_error(data: Path, models: Path) -> None:
    result = run(models, "--data", str(data), "--min-examples", "1000")
    assert result.exit_code == 1
    assert "No theme has the 1000 labelled examples" in result.output


def test_data_is_required_and_must_exist(models: Path, tmp_path: Path) -> None:
    assert "Missing option '--data'" in run(models).output
    result = run(models, "--data", str(tmp_path / "absent.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output


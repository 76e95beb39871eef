"""`intake benchmark tagging` on tiny made-up inputs (never the shared corpora): which sections run
or are skipped, the tables it prints and the figures it writes as JSON.

The figures themselves are measured by running the benchmark; here only their shape is checked.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from intake.cli import benchmarking, main
from intake.evaluation import language
from intake.evaluation.synthetic import CASES_DIR
from intake.taggers.service_model import ServiceModelSettings

LANGUAGE_CASES = [  # iso639_1, kind, text: two languages, every kind
    ("en", "sentence", "The nurse explained everything and the ward was clean."),
    ("pl", "sentence", "Pielęgniarka wszystko wyjaśniła i oddział był czysty."),
    ("en", "word_pair", "friendly staff"),
    ("pl", "word_pair", "miły personel"),
    ("en", "word", "appointment"),
    ("pl", "word", "wizyta"),
]


def benchmark(*args: str) -> Result:
    result = CliRunner().invoke(main, ["benchmark", "tagging", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def case_count(name: str) -> int:
    lines = (CASES_DIR / name).read_text("utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.startswith("#"))


def write_language_cases(folder: Path, cases: list[tuple[str, str, str]]) -> Path:
    path = folder / "langid" / "dev_cases.tsv"
    path.parent.mkdir(parents=True)
    path.write_text("iso639_1\tkind\ttext\n" + "".join("\t".join(c) + "\n" for c in cases), "utf-8")
    return path


@pytest.fixture
def no_memory_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory figure starts two fresh Python processes: not needed to check the output."""
    monkeypatch.setattr(language, "resident_memory", lambda _path: None)


def test_machine_names_the_architecture_cores_and_python() -> None:
    described = benchmarking.machine()
    assert described.startswith(f"{platform.machine()}, {os.cpu_count()} cores, ")
    assert f"Python {platform.python_version()}" in described
    assert described.endswith(f"{platform.system()} {platform.release()}")


def test_without_the_shared_data_only_the_synthetic_cases_run(tmp_path: Path) -> None:
    figures_path = tmp_path / "figures.json"
    result = benchmark("--data", str(tmp_path / "shared"), "--no-themes", "--json", str(figures_path))

    assert result.exit_code == 0
    out = result.output
    assert out.startswith(f"Machine: {benchmarking.machine()}\n")
    assert f"skipped: {tmp_path / 'shared' / 'langid' / 'dev_cases.tsv'} not found" in out
    assert f"skipped: {tmp_path / 'shared' / 'feedback_themes' / 'v6_dev.csv'} not found" in out
    assert "== Themes" not in out
    assert out.rstrip().endswith(f"Figures written to {figures_path}")
    header = next(line for line in out.splitlines() if line.startswith("tagger "))
    assert header.split() == ["tagger", "cases", "exact", "precision", "recall", "F1", "texts/s"]
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split()[:1] in (["needs"], ["safety"], ["privacy"]) and len(line.split()) == 7}
    assert rows["needs"][1] == str(case_count("needs.tsv"))
    assert rows["safety"][1] == str(case_count("safety.tsv"))
    assert rows["privacy"][1] == str(case_count("privacy.tsv"))

    figures: dict[str, Any] = json.loads(figures_path.read_text("utf-8"))
    assert set(figures) == {"machine", "language", "services", "needs_safety_privacy"}
    assert figures["language"] == figures["services"] == {}
    synthetic = figures["needs_safety_privacy"]
    assert set(synthetic) == {"needs", "safety", "privacy"}
    for name, file in (("needs", "needs.tsv"), ("safety", "safety.tsv"), ("privacy", "privacy.tsv")):
        assert synthetic[name]["cases"] == case_count(file)
        assert set(synthetic[name]) == {"cases", "exact", "precision", "recall", "f1",
                                        "texts_per_second", "misses"}
        assert 0.0 <= synthetic[name]["exact"] <= 1.0
        assert all(isinstance(miss, str) for miss in synthetic[name]["misses"])


def test_themes_without_their_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    figures_path = tmp_path / "figures.json"
    result = benchmark("--data", str(tmp_path), "--json", str(figures_path))
    assert result.exit_code == 0
    assert "== Themes (NHS patient-experience framework) ==" in result.output
    assert f"skipped: {tmp_path / 'feedback_themes' / 'v6_dev.csv'} not found" in result.output
    assert "phase 1" not in result.output
    assert json.loads(figures_path.read_text("utf-8"))["themes"] == {}


def test_language_cases_are_tabled_by_kind_half_and_language(
        tmp_path: Path, no_memory_probe: None) -> None:
    cases = write_language_cases(tmp_path, LANGUAGE_CASES)
    figures_path = tmp_path / "figures.json"

    result = benchmark("--data", str(tmp_path), "--no-themes", "--json", str(figures_path))

    assert result.exit_code == 0
    out = result.output.splitlines()
    assert f"6 cases from {cases}" in out
    assert out[out.index(f"6 cases from {cases}") + 1].split() == ["kind", "ours", "langdetect",
                                                                    "target"]
    for kind, target in (("sentence", "99"), ("word_pair", "97"), ("word", "88")):
        [row] = [line for line in out if line.startswith(f"{kind} ")]
        assert row.split()[-1].startswith(target)
    assert any(line.startswith("  en ") for line in out) and any(line.startswith("  pl ") for line in out)
    assert not any(line.startswith("memory") for line in out)
    figures = json.loads(figures_path.read_text("utf-8"))["language"]
    assert figures["cases"] == 6
    assert set(figures["ours"]) == set(figures["langdetect"]) == {"sentence", "word_pair", "word"}
    assert set(figures["per_language"]) == {f"{code}/{kind}" for code in ("en", "pl")
                                            for kind in ("sentence", "word_pair", "word")}
    assert set(figures["ours_by_half"]) == {f"{half}/{kind}" for half in
                                            ("tuning (odd)", "held out (even)")
                                            for kind in ("sentence", "word_pair", "word")}
    assert figures["memory_mb"] is None
    assert figures["texts_per_second"]["ours"] > 0


def test_a_sample_that_leaves_out_a_kind_still_prints_the_table(
        tmp_path: Path, no_memory_probe: None) -> None:
    write_language_cases(tmp_path, [c for c in LANGUAGE_CASES if c[1] != "word"])
    result = benchmark("--data", str(tmp_path), "--no-themes")
    assert result.exit_code == 0
    assert "4 cases from" in result.output


def write_service_comments(folder: Path) -> Path:
    """300 made-up comments for three of the trusts' service types (the model needs 200 to train)."""
    path = folder / "feedback_themes" / "v6_dev.csv"
    path.parent.mkdir(parents=True)
    kinds = [("See and Convey", "The ambulance crew arrived quickly and the paramedic was calm"),
             ("111", "The 111 call handler listened and booked an out of hours doctor"),
             ("PTS - Patient Transport", "The patient transport driver collected me late for dialysis")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Comment ID", "Trust", "Service type 1", "FFT answer"])
        for number in range(300):
            service, text = kinds[number % 3]
            writer.writerow([f"c-{number}", "Trust A", service, f"{text} (visit {number})"])
        writer.writerow(["c-blank", "Trust A", "111", ""])            # no comment: left out
        writer.writerow(["c-other", "Trust A", "Podiatry", "Lovely"])  # unknown type: left out
    return path


def test_service_comments_are_split_trained_and_tabled(tmp_path: Path) -> None:
    write_service_comments(tmp_path)
    figures_path = tmp_path / "figures.json"

    result = benchmark("--data", str(tmp_path), "--no-themes", "--json", str(figures_path))

    assert result.exit_code == 0, result.output
    summary = re.search(r"^(\d+) comments with a known service \((\d+) to train, (\d+) held out\)",
                        result.output, re.M)
    assert summary is not None, result.output
    total, train, held_out = (int(n) for n in summary.groups())
    assert total == train + held_out == 300  # the blank comment and the unknown type left out
    assert held_out > 0 and train >= 200
    figures = json.loads(figures_path.read_text("utf-8"))["services"]
    default = f"learned model @{ServiceModelSettings().min_confidence:.2f}"
    assert list(figures) == ["keywords", default, "keywords, then model", "learned model @0.50",
                             "learned model @0.60", "learned model @0.80", "learned model @0.90"]
    for name, figure in figures.items():
        assert set(figure) == {"precision", "coverage", "recall", "texts_per_second"}, name
        assert 0.0 <= figure["recall"] <= figure["coverage"] <= 1.0
    table = result.output.split("== Service ==")[1].split("\n\n")[0].splitlines()
    assert table[2].split() == ["tagger", "precision", "coverage", "recall", "texts/s"]
    assert [line[:22].rstrip() for line in table[3:]] == list(figures)


def test_sample_keeps_every_nth_language_case(tmp_path: Path, no_memory_probe: None) -> None:
    cases = write_language_cases(tmp_path, LANGUAGE_CASES)
    result = benchmark("--data", str(tmp_path), "--no-themes", "--sample", "2")
    assert result.exit_code == 0
    assert f"3 cases from {cases}" in result.output.splitlines()
    per_language = result.output.split("per language")[1].split("\n\n")[0]
    assert "  en " in per_language and "  pl " not in per_language  # cases 0, 2, 4 are English

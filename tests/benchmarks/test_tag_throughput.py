"""`benchmarks.tag_throughput`: the texts it measures (synthetic, or a CSV's "FFT answer" column
cycled to the count asked for) and a tiny run's report. Its rates are never asserted."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from benchmarks.tag_throughput import SYNTHETIC, main, rate, texts

NUMBER = r"\d+(?:\.\d+)?"


def write_answers(path: Path, answers: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Question", "FFT answer"])
        writer.writeheader()
        writer.writerows({"Question": "What was good?", "FFT answer": a} for a in answers)
    return path


def test_synthetic_texts_are_numbered_samples_and_the_same_every_run() -> None:
    made = texts(None, 500)
    assert len(made) == 500 and made == texts(None, 500)
    for text in made:
        sample, _, digit = text.rpartition(" ")
        assert sample in SYNTHETIC and digit in set("123456789")
    assert {text.rpartition(" ")[0] for text in made} == set(SYNTHETIC)
    assert texts(None, 0) == []


def test_csv_answers_are_cycled_to_the_count_and_blanks_skipped(tmp_path: Path) -> None:
    data = write_answers(tmp_path / "answers.csv", ["Kind staff", "", "Long wait, two hours"])
    assert texts(data, 5) == ["Kind staff", "Long wait, two hours", "Kind staff",
                              "Long wait, two hours", "Kind staff"]
    assert texts(data, 1) == ["Kind staff"]


def test_rate_is_per_second_and_infinite_for_no_time() -> None:
    assert rate(300, 1.5) == 200.0
    assert rate(10, 0.0) == float("inf")


def test_a_tiny_run_prints_every_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = write_answers(tmp_path / "answers.csv",
                         ["The nurse was kind", "My GP never answers the phone", "",
                          "Lekarz rodzinny nie odbiera telefonu"])
    monkeypatch.setattr(sys, "argv", ["tag_throughput", "--data", str(data), "--lines", "12"])
    main()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("machine: ")
    assert lines[1] == "texts: answers.csv, median length 29 characters"  # lengths 18, 29, 36, four each
    assert re.fullmatch(rf"pipeline in process: +{NUMBER} texts/s \(12 texts, 0 rejected as empty "
                        r"or too long\)", lines[2]), lines[2]
    assert re.fullmatch(rf"langdetect alone: +{NUMBER} texts/s \(baseline, same texts\)", lines[3])
    assert re.fullmatch(rf"ratio pipeline/baseline: +{NUMBER}", lines[4])
    assert re.fullmatch(rf"`intake tag` on a pipe: +{NUMBER} texts/s \(12 lines in {NUMBER} s, "
                        r"start-up included\)", lines[5]), lines[5]

"""A model kept in a file: read once, read again when the file changes, and never a reason for
intake to stop (no file or a bad file means no model, with a warning)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from intake.taggers.model_file import ModelFile


def load(path: Path) -> str:
    text = path.read_text("utf-8")
    if text.startswith("broken"):
        raise ValueError(f"{path} is damaged")
    return text


def touch(path: Path, text: str, tick: int) -> None:
    path.write_text(text, "utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))


def test_no_file_means_no_model(tmp_path: Path) -> None:
    assert ModelFile(tmp_path / "absent.npz", load, "test model").get() is None


def test_reads_the_file_once_and_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    touch(path, "first", 1)
    reads: list[str] = []

    def counting(p: Path) -> str:
        reads.append(p.name)
        return load(p)

    file = ModelFile(path, counting, "test model")
    assert file.get() == file.get() == "first"
    assert reads == ["model.npz"]
    touch(path, "second", 2)
    assert file.get() == "second"
    path.unlink()
    assert file.get() is None


def test_a_bad_file_logs_a_warning_until_it_is_replaced(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "model.npz"
    touch(path, "broken", 1)
    file = ModelFile(path, load, "test model")
    with caplog.at_level(logging.WARNING, logger="intake.taggers.model_file"):
        assert file.get() is None
        assert file.get() is None
    assert [r.getMessage() for r in caplog.records] == [
        f"Tagging without the test model: {path} is damaged"]
    touch(path, "fixed", 2)
    assert file.get() == "fixed"

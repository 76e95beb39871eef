"""The array file the language tables are cached in: what is written is read back, as read-only
views of one memory map, and a damaged file is refused rather than misread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from intake.taggers.language.arrays import ALIGN, BadArrayFile, read_arrays, write_arrays

ARRAYS = {
    "keys": np.array([3, 1, 2**63 + 5], dtype=np.uint64),
    "table": np.arange(12, dtype=np.float16).reshape(4, 3),
    "grams": np.array(["a", " ab", "żółw"], dtype="<U4"),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "lists": np.array([0, 1, 255], dtype=np.uint8),
}


def test_what_is_written_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "tables.arrays"
    write_arrays(path, ARRAYS)
    read = read_arrays(path)
    assert list(read) == list(ARRAYS)
    for name, array in ARRAYS.items():
        assert read[name].dtype == array.dtype and read[name].shape == array.shape
        assert np.array_equal(read[name], array)
    assert [p.name for p in tmp_path.iterdir()] == ["tables.arrays"], "no temporary file left"


def test_arrays_are_aligned_read_only_views_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tables.arrays"
    write_arrays(path, ARRAYS)
    keys = read_arrays(path)["keys"]
    assert not keys.flags.owndata and not keys.flags.writeable
    assert keys.flags.aligned and keys.ctypes.data % ALIGN == 0
    with pytest.raises(ValueError):
        keys[0] = 7


@pytest.mark.parametrize("content", [b"", b"INTAKE", b"PK\x03\x04 a zip file, not ours" * 4])
def test_a_file_that_is_not_an_array_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tables.arrays"
    path.write_bytes(content)
    with pytest.raises(BadArrayFile):
        read_arrays(path)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tables.arrays"
    write_arrays(path, ARRAYS)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 70])
    with pytest.raises(BadArrayFile):
        read_arrays(path)

"""Named numpy arrays in one file, read back memory-mapped.

The language tables are read-only and the same in every process (the gunicorn master, its
workers, ``intake worker``, commands). Memory-mapped, they live once in the page cache: a process
holds only the pages it reads, shares them with every other process, and the kernel can drop them
under pressure, where arrays read into each process's heap (as ``np.load`` of an ``.npz`` does)
are private copies. ``np.savez`` cannot be mapped (its members are not aligned), hence this
small format: a magic line, the length of a JSON header, the header (each array's dtype, shape
and offset), then the arrays, each aligned to 64 bytes.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
from pathlib import Path

import numpy as np

MAGIC = b"INTAKE-ARRAYS 1\n"
ALIGN = 64


class BadArrayFile(ValueError):
    """The file is not a complete array file (truncated, empty or something else)."""


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` atomically (a reader never sees half a file)."""
    contiguous = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    header: dict[str, tuple[str, list[int], int]] = {}
    offset = 0
    for name, array in contiguous.items():
        header[name] = (array.dtype.str, list(array.shape), offset)
        offset = _aligned(offset + array.nbytes)
    encoded = json.dumps(header).encode()
    start = _aligned(len(MAGIC) + 8 + len(encoded))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        try:
            handle.write(MAGIC + len(encoded).to_bytes(8, "little") + encoded)
            for name, array in contiguous.items():
                handle.seek(start + header[name][2])
                handle.write(array.tobytes())
            handle.truncate(start + offset)
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of ``path``, read-only views of one shared memory map. Raises OSError or
    BadArrayFile."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < len(MAGIC) + 8:
            raise BadArrayFile(f"{path} is too short to be an array file")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if mapped[:len(MAGIC)] != MAGIC:
        raise BadArrayFile(f"{path} is not an array file")
    length = int.from_bytes(mapped[len(MAGIC):len(MAGIC) + 8], "little")
    try:
        header = json.loads(mapped[len(MAGIC) + 8:len(MAGIC) + 8 + length])
    except ValueError as exc:
        raise BadArrayFile(f"{path} has an unreadable header") from exc
    start = _aligned(len(MAGIC) + 8 + length)
    return {name: _view(mapped, start, size, dtype, shape, offset)
            for name, (dtype, shape, offset) in header.items()}


def _view(mapped: mmap.mmap, start: int, size: int, dtype: str, shape: list[int],
          offset: int) -> np.ndarray:
    kind = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        return np.empty(shape, dtype=kind)
    if start + offset + count * kind.itemsize > size:
        raise BadArrayFile("an array runs past the end of the file (truncated?)")
    return np.frombuffer(mapped, dtype=kind, count=count, offset=start + offset).reshape(shape)

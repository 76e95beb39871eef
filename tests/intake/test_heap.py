"""release_freed_memory: glibc's malloc_trim where there is one, a no-op elsewhere."""

from __future__ import annotations

import pytest

from intake import heap


def test_freed_memory_is_handed_back_where_glibc_allows() -> None:
    assert heap.release_freed_memory() in (True, False)


def test_without_glibc_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)
    assert heap.release_freed_memory() is False

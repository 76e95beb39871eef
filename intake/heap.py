"""Hand the heap's freed pages back to the system, for long-running processes.

Building the taggers allocates far more than it keeps (files parsed, temporary lists); freed,
that memory stays resident in the C heap for the life of the process unless it is trimmed. The
gunicorn master trims before it forks (so no worker starts with those pages) and ``intake
worker`` after each cycle (it builds the taggers the first time it closes a conversation).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import lru_cache


def release_freed_memory() -> bool:
    """glibc's ``malloc_trim(0)``; True when it gave pages back. A no-op without glibc."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # the C library the interpreter is linked with
    except (OSError, AttributeError):
        return None

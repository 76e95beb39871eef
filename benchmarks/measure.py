"""Small measuring helpers the benchmarks share: percentiles and a process's memory."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.95 for p95): a value that was measured, not an
    interpolation between two."""
    if not values:
        raise ValueError("no values to take a percentile of")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


@dataclass(frozen=True)
class ProcessMemory:
    """Resident memory of one process, in MiB. ``rss`` counts pages shared with the gunicorn
    master or sibling workers in full; ``pss`` shares them out fairly; ``uss`` is what the
    process alone holds (what ending it would free)."""

    rss: float
    pss: float
    uss: float


def process_memory(pid: int) -> ProcessMemory:
    """Read from /proc (Linux): smaps_rollup for PSS and the private pages."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return ProcessMemory(rss=fields.get("Rss", 0) / 1024, pss=fields.get("Pss", 0) / 1024,
                         uss=private / 1024)

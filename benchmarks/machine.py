"""What every benchmark prints first: the machine and how busy it was, since figures from a shared,
noisy machine mean little without them (and ratios measured in the same run mean more)."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    processor: str
    cores: int
    memory_gib: float
    load_average: tuple[float, float, float]
    python: str
    system: str

    def line(self) -> str:
        one, five, fifteen = self.load_average
        return (f"machine: {self.processor}, {self.cores} cores, {self.memory_gib:.0f} GiB, "
                f"{self.python}, {self.system}; load average {one:.2f} {five:.2f} {fifteen:.2f}")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _processor() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def describe() -> Machine:
    """The machine as it is now (the load average is read at the call: call it again at the end
    of a run to show whether something else was busy meanwhile)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return Machine(processor=_processor(), cores=os.cpu_count() or 1, memory_gib=_memory_gib(),
                   load_average=(load[0], load[1], load[2]),
                   python=f"{platform.python_implementation()} {platform.python_version()}",
                   system=f"{platform.system()} {platform.release()} {platform.machine()}")

"""`benchmarks.machine`: the machine line every benchmark prints first, read from /proc (with a
fallback off Linux) and the load average read at each call."""

from __future__ import annotations

import dataclasses
import os
import platform
from pathlib import Path

import pytest

from benchmarks import machine
from benchmarks.machine import Machine, describe

EXAMPLE = Machine(processor="Example CPU @ 2.00GHz", cores=2, memory_gib=7.6,
                  load_average=(0.5, 1.234, 2.0), python="CPython 3.12.3",
                  system="Linux 6.1.0 x86_64")


def fake_proc(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """Make the module read /proc/<name> from ``directory`` instead."""
    real_path = machine.Path
    monkeypatch.setattr(machine, "Path", lambda name: directory / real_path(name).name)


def test_the_line_has_every_field_rounded_for_reading() -> None:
    assert EXAMPLE.line() == ("machine: Example CPU @ 2.00GHz, 2 cores, 8 GiB, CPython 3.12.3, "
                              "Linux 6.1.0 x86_64; load average 0.50 1.23 2.00")


def test_as_dict_holds_the_same_fields_for_json() -> None:
    assert EXAMPLE.as_dict() == {"processor": "Example CPU @ 2.00GHz", "cores": 2,
                                 "memory_gib": 7.6, "load_average": (0.5, 1.234, 2.0),
                                 "python": "CPython 3.12.3", "system": "Linux 6.1.0 x86_64"}


def test_a_description_cannot_be_changed_afterwards() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        EXAMPLE.cores = 4  # type: ignore[misc]


def test_describe_reports_this_interpreter_and_cores() -> None:
    found = describe()
    assert found.cores == (os.cpu_count() or 1)
    assert found.python == f"{platform.python_implementation()} {platform.python_version()}"
    assert found.system.startswith(platform.system()) and found.system.endswith(platform.machine())
    assert found.processor
    if Path("/proc/meminfo").exists():
        assert found.memory_gib > 0


def test_processor_and_memory_are_read_from_proc(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text(
        "processor\t: 0\nvendor_id\t: Example\nmodel name\t: Example CPU: Mark 2 @ 3.10GHz\n"
        "processor\t: 1\nmodel name\t: Example CPU: Mark 2 @ 3.10GHz\n", encoding="utf-8")
    (tmp_path / "meminfo").write_text("MemTotal:       16777216 kB\nMemFree:         1048576 kB\n",
                                      encoding="utf-8")
    fake_proc(monkeypatch, tmp_path)
    found = describe()
    assert found.processor == "Example CPU: Mark 2 @ 3.10GHz"  # split at the first colon only
    assert found.memory_gib == 16.0


def test_without_proc_the_processor_comes_from_platform_and_memory_is_zero(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_proc(monkeypatch, tmp_path)  # an empty directory: no cpuinfo, no meminfo
    monkeypatch.setattr(platform, "processor", lambda: "")
    monkeypatch.setattr(platform, "machine", lambda: "riscv64")
    found = describe()
    assert found.processor == "riscv64"
    assert found.memory_gib == 0.0


def test_cpuinfo_without_a_model_name_falls_back_to_platform(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nBogoMIPS\t: 50.00\n", encoding="utf-8")
    fake_proc(monkeypatch, tmp_path)
    monkeypatch.setattr(platform, "processor", lambda: "Example ARM core")
    assert describe().processor == "Example ARM core"


def test_the_load_average_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = iter([(0.25, 0.5, 0.75), (1.5, 1.0, 0.5)])
    monkeypatch.setattr(os, "getloadavg", lambda: next(loads))
    before, after = describe(), describe()
    assert before.load_average == (0.25, 0.5, 0.75)
    assert after.load_average == (1.5, 1.0, 0.5)
    assert after.line().endswith("load average 1.50 1.00 0.50")


def test_without_a_load_average_it_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "getloadavg")
    assert describe().load_average == (0.0, 0.0, 0.0)

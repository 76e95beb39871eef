import os

import pytest

from benchmarks.machine import describe
from benchmarks.measure import percentile, process_memory


def test_percentile_is_a_measured_value_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0, 1.0, 3.0], 0.5) == 3.0


def test_percentile_refuses_nothing_and_bad_fractions() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_process_memory_of_this_process_is_plausible() -> None:
    memory = process_memory(os.getpid())
    assert 5 < memory.rss < 4096
    assert 0 < memory.uss <= memory.pss <= memory.rss


def test_machine_line_names_cores_and_load() -> None:
    machine = describe()
    assert machine.cores >= 1
    assert f"{machine.cores} cores" in machine.line()
    assert "load average" in machine.line()

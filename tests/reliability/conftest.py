"""The reliability section reports what it tried, not only that it passed: duplicate deliveries
sent, faults injected, hostile inputs generated, and the records lost or duplicated (always 0).

Tests add to the tally with the ``reliability_tally`` fixture; the figures are printed at the end
of the run and written to ``test-artifacts/reliability.json`` for docs/reliability.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability.json"

# What each figure means, in the order they are printed.
FIGURES = {
    "duplicate_deliveries": "deliveries of an already-delivered message (retries, concurrent)",
    "concurrent_requests": "requests sent at the same time to a real server",
    "faults_injected": "crashes, outages and killed workers injected",
    "hostile_inputs": "hostile inputs generated (fuzzed bodies, payloads, encodings)",
    "records_checked": "messages whose stored record was checked afterwards",
    "records_lost": "messages lost (must be 0)",
    "records_duplicated": "messages stored twice (must be 0)",
    "server_errors": "500 responses (must be 0)",
}

_TALLY: Counter[str] = Counter()


class Tally:
    """Adds to the run's figures; unknown names are refused so a typo cannot hide a figure."""

    def add(self, figure: str, count: int = 1) -> None:
        if figure not in FIGURES:
            raise KeyError(f"unknown reliability figure {figure!r}; known: {', '.join(FIGURES)}")
        _TALLY[figure] += count


@pytest.fixture
def reliability_tally() -> Tally:
    return Tally()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLY:
        return
    terminalreporter.section("reliability figures")
    for name, meaning in FIGURES.items():
        terminalreporter.write_line(f"{_TALLY[name]:>9,}  {meaning}")
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps({name: _TALLY[name] for name in FIGURES}, indent=2) + "\n")

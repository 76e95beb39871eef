"""`benchmarks.memory` runs end to end with tiny settings (SQLite, a few requests, a small
outbox batch) and prints RSS, PSS and USS for every process it promises. Only the report's shape
is checked: memory is measured by running the benchmark, never asserted in a test."""

from __future__ import annotations

import re
import subprocess
import sys

from benchmarks.served import ROOT

MB = r"(\d+\.\d) MB"
FIGURES = re.compile(rf"RSS +{MB} +PSS +{MB} +USS +{MB}")


def test_the_report_has_rss_pss_and_uss_for_each_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--database", "sqlite", "--workers", "1",
         "--threads", "2", "--turns", "10", "--forms", "1", "--staff-pages", "1", "--outbox", "3",
         "--no-import-steps"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "load average" in lines[0]
    assert "WEB_CONCURRENCY=1 WEB_THREADS=2" in lines[1]
    assert re.match(r"warm-up: \d+/10 SMS turns answered, 1/1 web forms sent, "
                    r"1/1 staff sign-ins", lines[2]), lines[2]
    measured = {}
    for line in lines:
        found = FIGURES.search(line)
        if found:
            rss, pss, uss = (float(value) for value in found.groups())
            assert 0 < uss <= pss <= rss, line
            measured[line[:40].strip()] = line
    assert set(measured) == {"gunicorn master", "gunicorn web worker 1",
                             "intake worker (after sending 3)"}
    assert "target < 200 MB: " in measured["gunicorn web worker 1"]
    assert "target < 200 MB: " in measured["intake worker (after sending 3)"]
    assert lines[-1].startswith("after: machine: ")

"""The bulk-import benchmark runs end to end with tiny settings and reports what it should. Its
timings are never asserted: they depend on the machine."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.bulk_import import COLUMNS, write_survey

ROOT = Path(__file__).resolve().parents[2]


def test_the_synthetic_survey_is_varied_and_made_up(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    write_survey(path, 400)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 400 and tuple(rows[0]) == COLUMNS
    comments = [row["Comment"] for row in rows]
    assert len({len(c) for c in comments}) > 50                    # varied lengths
    assert any(not c.isascii() for c in comments)                  # other languages and scripts
    assert any(row["Language"] for row in rows) and any(row["Service"] for row in rows)
    phones = [p for c in comments for p in re.findall(r"\b0\d{3,4} ?\d{5,6}\b", c)]
    assert phones and all(re.fullmatch(r"07700 900\d{3}", p) for p in phones)  # Ofcom's drama range
    write_survey(tmp_path / "again.csv", 400)
    assert (tmp_path / "again.csv").read_bytes() == path.read_bytes()   # the same every run


def test_a_tiny_run_on_sqlite_reports_every_figure(tmp_path: Path) -> None:
    report = tmp_path / "bulk.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bulk_import", "--rows", "300", "--databases", "sqlite",
         "--baseline-sample", "100", "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "load average" in lines[0]
    assert any(line.startswith("baseline, pure pipeline in process") for line in lines)
    assert any(line.startswith("sqlite") and "rows/s" in line and "ratio to baseline" in line
               for line in lines)
    assert any(line.startswith("sqlite") and "start-up (header only)" in line and "steady" in line
               and "rows per CPU second" in line for line in lines)
    assert any("import again" in line and "added 0, recognised 300 as imported" in line
               for line in lines)
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["rows"] == 300 and figures["target_rows_per_second"] == 500
    assert figures["baseline_rows_per_second"] > 0
    [sqlite] = figures["databases"]
    assert sqlite["database"] == "sqlite"
    assert sqlite["first"]["imported"] == 300 and sqlite["first"]["already"] == 0
    assert sqlite["again"]["imported"] == 0 and sqlite["again"]["already"] == 300
    assert sqlite["stored"]["feedback"] == sqlite["stored"]["processed"] == 300
    assert sqlite["stored"]["without_language_tag"] == 0
    assert sqlite["first"]["rows_per_second"] > 0 and sqlite["ratio_to_baseline"] > 0
    assert sqlite["start_up"]["imported"] == 0 and sqlite["first"]["cpu_seconds"] > 0
    assert sqlite["steady_rows_per_second"] > 0 and sqlite["steady_cpu_ratio_to_baseline"] > 0
    assert figures["baseline_rows_per_cpu_second"] > 0

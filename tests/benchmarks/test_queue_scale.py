"""The queue-at-scale benchmark runs end to end with a tiny database (PostgreSQL only: it
generates rows on the server) and reports every figure it promises. Timings are never asserted."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from benchmarks import queue_scale
from tests.conftest import POSTGRES_URL, postgres_available

pytestmark = pytest.mark.postgres


def test_a_tiny_run_reports_baselines_pages_and_the_report(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    if not postgres_available():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    server = make_url(POSTGRES_URL).set(database="postgres").render_as_string(hide_password=False)
    name = f"involve_bench_test_{uuid.uuid4().hex[:8]}"
    options = ["--server", server, "--database", name, "--rows", "1500"]
    try:
        # Every group estimated (--exact-up-to 0), so the estimates' accuracy is reported.
        results = queue_scale.main([*options, "--requests", "2", "--report-runs", "1",
                                    "--exact-up-to", "0", "--json", str(tmp_path / "figures.json")])
        again = queue_scale.main([*options, "--reuse", "--requests", "1", "--report-runs", "1"])
    finally:
        queue_scale.main([*options, "--drop"])
    assert results is not None and again is not None
    assert json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))["rows"] == 1500
    assert results["database"]["counts"]["feedback"] == 1500
    assert results["database"]["revision"] == again["database"]["revision"]
    assert again["database"]["reused"] is True and "counts" not in again["database"]
    assert set(results["baselines"]) == {"SELECT 1", "primary-key look-up",
                                         "SELECT count(*) FROM feedback"}
    assert set(results["pages"]) == {name for name, _ in queue_scale.PAGES}
    for figures in results["pages"].values():
        assert {"p50", "p95", "p99", "n", "statements", "sql_ms"} <= set(figures)
        assert figures["n"] == 2 and figures["p50"] <= figures["p95"] <= figures["p99"]
    assert set(results["estimates"]) == set(results["pages"])
    everything = results["estimates"]["everything, first page"]
    assert everything["total_estimated"] and everything["exact_total"] == 1500
    assert "service" in everything["estimated"]
    assert everything["values_bounded"] >= everything["bounds_exceeded"] >= 0
    report = results["report"]
    assert report["items"] == 1500
    assert {"summary", "over_time", "channels", "services", "languages", "needs",
            "reach"} <= set(report["tables"])
    printed = capsys.readouterr().out
    assert "load average" in printed and "queue pages" in printed and "report over" in printed
    assert "estimated counts against exact ones" in printed

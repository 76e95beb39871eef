"""The exposition: this process's counts when it is alone; in multiprocess mode (gunicorn's
workers) the sum of every process's counts, whichever process renders them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from intake.observability.metrics import HTTP_REQUESTS, exposition

ROOT = Path(__file__).resolve().parents[3]
COUNT = """
import sys
from intake.observability.metrics import MESSAGES_RECEIVED, STAGE_SECONDS
for _ in range(int(sys.argv[1])):
    MESSAGES_RECEIVED.labels(channel="sms", duplicate="false").inc()
    STAGE_SECONDS.labels(stage="language").observe(0.002)
"""
RENDER = ("import sys; from intake.observability.metrics import exposition; "
          "sys.stdout.write(exposition().decode())")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def python(code: str, *args: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


def test_alone_the_exposition_is_this_processes_counts() -> None:
    labels = {"endpoint": "metrics-test", "method": "GET", "status": "200"}
    HTTP_REQUESTS.labels(**labels).inc()
    text = exposition().decode()
    assert samples(text)[("intake_http_requests_total", tuple(sorted(labels.items())))] >= 1
    assert "process_resident_memory_bytes" in text
    assert "_created" not in text


def test_the_counts_of_every_process_add_up(tmp_path: Path) -> None:
    """What two gunicorn workers counted, as a third process renders it."""
    directory = tmp_path / "metrics"
    python(COUNT, "3", directory=directory)  # the directory is made on first use
    python(COUNT, "4", directory=directory)
    rendered = samples(python(RENDER, directory=directory))
    assert rendered[("intake_messages_received_total", (("channel", "sms"), ("duplicate", "false")))] == 7
    assert rendered[("intake_pipeline_stage_seconds_count", (("stage", "language"),))] == 7
    assert rendered[("intake_pipeline_stage_seconds_bucket", (("le", "0.0025"), ("stage", "language")))] == 7
    assert len(list(directory.glob("*.db"))) == 4  # a counter and a histogram file per process

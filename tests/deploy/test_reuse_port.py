"""A listening socket per web worker (gunicorn's ``reuse_port``), under real gunicorn with
deploy/gunicorn.conf.py, with workers stopped under load (tests/deploy/worker_churn.py):

* where the kernel hands a stopping worker's waiting connections to another
  (``net.ipv4.tcp_migrate_req=1``), the default turns it on and no request is lost, bar a rare
  reset (``RARE_RESETS``);
* where it does not, the default leaves one shared socket and no request is lost;
* forcing it on there (what ``intake check-config`` refuses) loses requests: why the default
  asks the kernel first.

Each run is in a network namespace of its own, so the setting is this test's alone; making one
needs root (``unshare -n``), as CI has. Elsewhere the tests are skipped (intake/port_sharing.py's
unit tests still run)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.deploy.worker_churn import WORKERS
from tests.network_namespace import run_isolated

SECONDS = 8.0
# With migration, one connection was reset in about 550 worker stops (32 runs of 8 s on 7
# December; none in 117 stops with one shared socket), against 59 to 90 in every run without
# it, most likely a race in the kernel's hand-over (docs/performance.md, "A rare reset as a
# worker stops"). One is allowed, so CI does not fail on it; more is a fault.
RARE_RESETS = 1


def churn(directory: Path, migrate: str, reuse_port: str) -> dict[str, Any]:
    done = run_isolated([sys.executable, "-m", "tests.deploy.worker_churn", str(directory), migrate,
                         reuse_port, str(SECONDS)], timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_where_the_kernel_migrates_each_worker_listens_and_stopping_workers_loses_nothing(
        tmp_path: Path) -> None:
    run = churn(tmp_path, migrate="1", reuse_port="")
    assert run["listening_sockets"] == WORKERS
    assert run["workers_stopped"] >= 10
    assert set(run["failed"]) <= {"ConnectionResetError"}, run["failed"]
    assert sum(run["failed"].values()) <= RARE_RESETS, run["failed"]
    assert set(run["answered"]) == {"200"} and run["answered"]["200"] > 500


def test_where_it_does_not_the_workers_share_one_socket_and_lose_nothing(tmp_path: Path) -> None:
    run = churn(tmp_path, migrate="0", reuse_port="")
    assert run["listening_sockets"] == 1
    assert run["workers_stopped"] >= 10
    assert run["failed"] == {}
    assert set(run["answered"]) == {"200"}


def test_a_socket_per_worker_without_migration_loses_connections(tmp_path: Path) -> None:
    """What the default avoids: a stopping worker's waiting connections are reset."""
    run = churn(tmp_path, migrate="0", reuse_port="1")
    assert run["listening_sockets"] == WORKERS
    assert run["workers_stopped"] >= 10
    # Many, so the rare reset allowed with migration cannot hide a hand-over that is not done.
    assert run["failed"].get("ConnectionResetError", 0) > 10 * RARE_RESETS

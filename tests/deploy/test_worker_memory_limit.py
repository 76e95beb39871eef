"""Workers replaced on memory, under real gunicorn with deploy/gunicorn.conf.py: a worker over
WEB_WORKER_MEMORY_LIMIT_MB is replaced between requests and no request fails; with the default
limit the same traffic replaces no worker (a replacement costs a busy server its tail latency,
docs/performance.md). SQLite keeps the test free of PostgreSQL: memory does not depend on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.server_gunicorn import get, migrated_sqlite_env, running_deployed

REQUESTS = 130  # two memory checks and more (one every MEMORY_CHECK_EVERY = 50 requests)


def health_checks(base_url: str) -> list[int]:
    return [get(f"{base_url}/healthz", seconds=10).status for _ in range(REQUESTS)]


@pytest.mark.parametrize(("limit", "replaced"), [("1", True), (None, False)],
                         ids=["over-the-limit", "default-limit"])
def test_a_worker_is_replaced_only_when_its_memory_passes_the_limit(
        tmp_path: Path, limit: str | None, replaced: bool) -> None:
    # Empty means the default, whatever the developer's own shell has set.
    env = migrated_sqlite_env(tmp_path, WEB_WORKER_MEMORY_LIMIT_MB=limit or "", WEB_MAX_REQUESTS="")
    with running_deployed(env, tmp_path / "gunicorn.log") as server:
        assert health_checks(server.base_url) == [200] * REQUESTS
        log = server.output()
    over = log.count("over WEB_WORKER_MEMORY_LIMIT_MB=")
    boots = log.count("Booting worker")
    if replaced:
        # Checked at requests 50 and 100 of each worker's life: replaced at least twice.
        assert over >= 2 and log.count("Autorestarting worker") >= 2
        assert boots >= 3
    else:
        assert over == 0 and "Autorestarting worker" not in log
        assert boots == 1

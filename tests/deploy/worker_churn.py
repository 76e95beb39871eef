"""Stop gunicorn's web workers one after another under load and count what was lost.

Run by tests/deploy/test_reuse_port.py inside a network namespace of its own (``unshare -n``),
so it may set ``net.ipv4.tcp_migrate_req`` without touching the machine's:

    python -m tests.deploy.worker_churn DIRECTORY MIGRATE WEB_REUSE_PORT SECONDS

gunicorn runs as deploy/ starts it (deploy/gunicorn.conf.py, the real app, SQLite). Clients ask
for ``/healthz`` on a new connection each time (so connections keep arriving in the listening
sockets' queues) while a worker is stopped gracefully every STOP_EVERY seconds, as a
replacement on memory or a deploy stops one. Prints one JSON object: the listening sockets on
the port, the answers, the failures by kind, the workers stopped, the slowest answer.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from intake.port_sharing import MIGRATE_REQUESTS
from tests.reliability.server_gunicorn import migrated_sqlite_env, running_deployed

CLIENTS = 16
WORKERS = 3
STOP_EVERY = 0.5
LISTEN = "0A"  # the LISTEN state in /proc/net/tcp


def listening_sockets(port: int) -> int:
    """How many sockets listen on the port (one shared, or one per worker with reuse_port)."""
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == LISTEN)


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def churn(directory: Path, reuse_port: str, seconds: float) -> dict[str, object]:
    env = migrated_sqlite_env(directory, LOG_LEVEL="warning", WEB_CONCURRENCY=str(WORKERS),
                              WEB_THREADS="4", WEB_REUSE_PORT=reuse_port)
    port = int(env["PORT"])
    answered, failures, lock = Counter[int](), Counter[str](), threading.Lock()
    slowest = [0.0]
    with running_deployed(env, directory / "gunicorn.log") as server:
        booted = time.monotonic() + 30
        while len(workers_of(server.process.pid)) < WORKERS and time.monotonic() < booted:
            time.sleep(0.1)
        time.sleep(0.5)  # a worker makes its own socket as it starts
        sockets = listening_sockets(port)
        deadline = time.monotonic() + seconds

        def client() -> None:
            while time.monotonic() < deadline:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                started = time.monotonic()
                try:
                    connection.request("GET", "/healthz", headers={"Connection": "close"})
                    status = connection.getresponse().status
                except (OSError, http.client.HTTPException) as error:
                    with lock:
                        failures[type(error).__name__] += 1
                else:
                    with lock:
                        answered[status] += 1
                        slowest[0] = max(slowest[0], time.monotonic() - started)
                finally:
                    connection.close()

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        stopped = 0
        while time.monotonic() < deadline - 1:
            time.sleep(STOP_EVERY)
            workers = workers_of(server.process.pid)
            if workers:
                os.kill(random.choice(workers), signal.SIGTERM)  # a graceful stop
                stopped += 1
        for thread in threads:
            thread.join()
    return {"listening_sockets": sockets, "answered": dict(answered), "failed": dict(failures),
            "workers_stopped": stopped, "slowest_answer_ms": round(slowest[0] * 1000)}


def main() -> None:
    directory, migrate, reuse_port, seconds = sys.argv[1:5]
    MIGRATE_REQUESTS.write_text(migrate)
    print(json.dumps(churn(Path(directory), reuse_port, float(seconds))))


if __name__ == "__main__":
    main()

"""Stop gunicorn's web workers one after another under load and count what was lost.

Run by tests/deploy/test_reuse_port.py inside a network namespace of its own (``unshare -n``),
so it may set ``net.ipv4.tcp_migrate_req`` without touching the machine's:

    python -m tests.deploy.worker_churn DIRECTORY MIGRATE WEB_REUSE_PORT SECONDS

gunicorn runs as deploy/ starts it (deploy/gunicorn.conf.py, the real app, SQLite). Clients ask
for ``/healthz`` on a new connection each time (so connections keep arriving in the listening
sockets' queues) while a worker is stopped gracefully every STOP_EVERY seconds, as a
replacement on memory or a deploy stops one: one at a time, each once the one before has been
replaced. Prints one JSON object: the listening sockets on
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
STOP_EVERY = 0.25
REPLACED_WITHIN = 5.0   # seconds to wait for a stopped worker's replacement
STARTED_AFTER = 0.5     # seconds a worker has run before it may be stopped
LISTEN = "0A"  # the LISTEN state in /proc/net/tcp


def listening_sockets(port: int) -> int:
    """How many sockets listen on the port (one shared, or one per worker with reuse_port)."""
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == LISTEN)


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def running_seconds(pid: int) -> float:
    """How long process ``pid`` has run (0 if it has exited)."""
    try:
        started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return uptime - started / os.sysconf("SC_CLK_TCK")


def replaced(master: int, stopped: int, port: int, sockets: int) -> bool:
    """Whether worker ``stopped`` has exited and every worker, its replacement too, listens."""
    workers = workers_of(master)
    return stopped not in workers and len(workers) == WORKERS and listening_sockets(port) == sockets


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
        stopped, last = 0, 0
        while time.monotonic() < deadline - 1:
            time.sleep(STOP_EVERY)
            # One worker at a time, as production replaces them: the last one stopped has
            # exited and its replacement listens before the next is stopped (on a busy machine
            # a replacement can take longer than STOP_EVERY to start, and stopping the others
            # meanwhile could leave no socket for the kernel to hand connections to).
            waited = time.monotonic() + REPLACED_WITHIN
            while time.monotonic() < min(waited, deadline - 1) and not replaced(
                    server.process.pid, last, port, sockets):
                time.sleep(0.02)
            # Only a worker that has started: one just forked still has the master's signal
            # handlers, which take a SIGTERM as the master's own and drop it (gunicorn's).
            started = [pid for pid in workers_of(server.process.pid)
                       if running_seconds(pid) >= STARTED_AFTER]
            if started and time.monotonic() < deadline - 1:
                last = random.choice(started)
                os.kill(last, signal.SIGTERM)  # a graceful stop
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

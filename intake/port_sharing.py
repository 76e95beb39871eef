"""Whether gunicorn's web workers each listen on a socket of their own (``SO_REUSEPORT``).

With one socket shared by every worker, whichever idle worker wakes first accepts a burst of new
connections and keeps them (keep-alive: nginx's upstream pool, a load balancer), so one or two
workers can end up serving everything, each bound to one core by its interpreter lock, while the
others idle. A socket per worker lets the kernel spread connections evenly: on 2 cores at 200
webhooks a second on PostgreSQL, every run kept up and the p99 was lower in 4 of 5 pairs, where
one shared socket fell behind in 3 (docs/performance-history.md, "A listening socket per worker";
flat-out throughput did not rise). Its
cost: when a worker stops (replaced on memory, or on
a deploy), the connections still waiting in its socket are reset, and an SMS sent down one is
lost, unless Linux hands them to another worker's socket, which it does with
``net.ipv4.tcp_migrate_req=1`` (Linux 5.14 and later; per network namespace, so a container can
set it: deploy/docker-compose.yml, deploy/sysctl).

So ``WEB_REUSE_PORT=auto`` (the default) turns it on exactly when the kernel migrates; ``1``
or ``0`` decide regardless (``intake check-config`` refuses ``1`` without migration).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

REUSE_PORT_VARIABLE = "WEB_REUSE_PORT"
MIGRATE_REQUESTS = Path("/proc/sys/net/ipv4/tcp_migrate_req")
ON, OFF, AUTO = ("1", "true", "yes", "on"), ("0", "false", "no", "off"), "auto"


def kernel_migrates(path: Path | None = None) -> bool | None:
    """Whether the kernel hands a closed listening socket's waiting connections to another socket
    of its ``SO_REUSEPORT`` group; None where it cannot say (not Linux, or older than 5.14)."""
    try:
        return (path or MIGRATE_REQUESTS).read_text().strip() == "1"
    except OSError:
        return None


def chosen(env: Mapping[str, str]) -> str:
    """The setting as written, normalised: unset or blank is ``auto``."""
    return (env.get(REUSE_PORT_VARIABLE) or "").strip().lower() or AUTO


def reuse_port(env: Mapping[str, str], migrates: bool | None) -> bool:
    """gunicorn's ``reuse_port`` for this environment. Raises ValueError for a value that is
    neither a yes, a no nor ``auto``, so gunicorn refuses to start with it."""
    value = chosen(env)
    if value == AUTO:
        return migrates is True
    if value in ON:
        return True
    if value in OFF:
        return False
    raise ValueError(f"{REUSE_PORT_VARIABLE}={env.get(REUSE_PORT_VARIABLE)}: use auto (the "
                     "default: on when the kernel migrates a stopping worker's connections), "
                     "1 or 0.")

"""gunicorn settings for the web app: `gunicorn -c deploy/gunicorn.conf.py webhooks.wsgi:app`.

One file for the container and for systemd on a VM; what differs between them comes from the
environment (every name is explained in deploy/.env.example). Sized for this app: a copy of an
SMS that races the first delivery waits up to ``bot.chat.REPLAY_WAIT_SECONDS`` (10 s) on a
thread for the first one's answer, so workers have several threads and generous timeouts.
"""

from __future__ import annotations

import gc
import glob
import ipaddress
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from intake.observability.logs import logging_config
from intake.port_sharing import kernel_migrates
from intake.port_sharing import reuse_port as _reuse_port

MAX_DEFAULT_WORKERS = 8  # each worker holds the language and service models (~200 MB)


def _default_workers() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


# Inside a container every interface (the port is published on the host's 127.0.0.1 only);
# on a VM the systemd unit sets BIND_HOST=127.0.0.1 so only nginx reaches it.
bind = [f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{int(os.environ.get('PORT', '8000'))}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or _default_workers())
# Threads (gthread worker): a replay wait of up to 10 s blocks one thread, not the process.
threads = int(os.environ.get("WEB_THREADS") or 4)
# More than REPLAY_WAIT_SECONDS plus the pipeline's own time; Twilio gives up after 15 s anyway.
timeout = int(os.environ.get("WEB_TIMEOUT") or 30)
# On restart, requests in flight (a replay wait included) finish before the worker stops.
graceful_timeout = 30
# Seconds an idle connection is kept. Whatever sends gunicorn requests must let go of an idle
# one first (nginx here: 4 s), or a request it sends as gunicorn closes the connection is reset
# unread: nginx answers 502, and the SMS is never stored. Behind a load balancer that connects
# to gunicorn directly, set WEB_KEEPALIVE above its idle timeout (AWS's ALB: 60 s).
keepalive = int(os.environ.get("WEB_KEEPALIVE") or 5)
# The app opens no database connection while it is built, so workers can share one import.
preload_app = True
# A worker is replaced when its memory has grown past WEB_WORKER_MEMORY_LIMIT_MB (see
# post_request), not after a count of requests: replacing workers every 1,000 requests put
# PostgreSQL's p99 at 200 SMS a second at 80-168 ms in four runs, against 30-51 ms with the
# same workers kept (docs/performance-history.md, "Workers replaced on memory"). The count is still
# there for an operator who wants it (WEB_MAX_REQUESTS), spread out so workers started
# together are not replaced together.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS") or 0)
max_requests_jitter = max_requests // 2
WORKER_MEMORY_LIMIT_MB = int(os.environ.get("WEB_WORKER_MEMORY_LIMIT_MB") or 300)
MEMORY_CHECK_EVERY = 50  # requests; reading /proc/self/statm costs microseconds
# A listening socket per worker, so the kernel spreads connections over the workers instead
# of one or two idle ones taking them all; only where the kernel hands a stopping worker's
# waiting connections to another (net.ipv4.tcp_migrate_req=1), unless WEB_REUSE_PORT says
# (intake.port_sharing). Compose sets that for the web container; on a VM, deploy/sysctl.
reuse_port = _reuse_port(os.environ, kernel_migrates())
# Heartbeat files in memory: a container's disk-backed /tmp can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn >= 25.1 opens a control socket in $HOME by default; the service does not use it.
control_socket_disable = True

# Only the proxy may say the request came over https (X-Forwarded-Proto) or from whom
# (X-Forwarded-For). nginx on the same machine: 127.0.0.1,::1 (gunicorn's own default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

# Logs to stdout/stderr (journald or docker keep them). The access log has no client address,
# no query string, no referrer and no user agent: addresses and search terms are personal data.
# LOG_FORMAT=json (the default in production) makes every line, the app's and gunicorn's, one
# JSON object; the access line then has the fields method, path, status, bytes, duration_ms and
# request_id only, whatever access_log_format says (intake.observability.logs).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
logconfig_dict = logging_config(os.environ, gunicorn=True)

# GET /metrics: each worker process writes its counts to files in this directory and a scrape
# sums them (prometheus-client's multiprocess mode). Set here, before the preloaded app imports
# prometheus-client. The systemd unit and Compose may set their own; emptied at each start.
_METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"involve-intake-metrics-{int(os.environ.get('PORT', '8000'))}"))
os.makedirs(_METRICS_DIR, exist_ok=True)


def _trusted(networks: Iterable[str]) -> Callable[[str], bool]:
    """Whether a peer address is one of ``forwarded_allow_ips`` (as gunicorn reads that list:
    addresses or networks, ``*`` for any; a Unix socket has no address and is trusted)."""
    listed = [item.strip() for item in networks if item.strip()]
    if "*" in listed:
        return lambda _address: True
    parsed = [ipaddress.ip_network(item, strict=False) for item in listed]

    def trusted(address: str) -> bool:
        if not address:
            return True
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in parsed)

    return trusted


def client_address_from_proxy(app: Callable[..., Any],
                              allowed: str | Iterable[str]) -> Callable[..., Any]:
    """The app sees the person's address (for per-address rate limits) instead of the proxy's.
    Only for requests from a trusted proxy, and only the address that proxy added last, so a
    client cannot choose its own address by sending X-Forwarded-For."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    fixed = ProxyFix(app, x_for=1, x_proto=0, x_host=0, x_port=0, x_prefix=0)
    trusted = _trusted(allowed.split(",") if isinstance(allowed, str) else [str(a) for a in allowed])

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if trusted(environ.get("REMOTE_ADDR", "")):
            return fixed(environ, start_response)
        return app(environ, start_response)

    return application


def post_worker_init(worker: Any) -> None:
    worker.wsgi = client_address_from_proxy(worker.wsgi, worker.cfg.forwarded_allow_ips)


def resident_megabytes(statm: str = "/proc/self/statm") -> float | None:
    """This process's resident memory (RSS, as ``ps`` counts it, in MiB), or None where the
    system has no /proc (the web server runs on Linux; a laptop uses ``intake serve``)."""
    try:
        with open(statm) as stats:
            pages = int(stats.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Every MEMORY_CHECK_EVERY requests, a worker whose resident memory is over
    WEB_WORKER_MEMORY_LIMIT_MB is handed to gunicorn's own max_requests path: its next request
    is its last (answered, its connection closed), the requests it holds finish, and the
    master starts a fresh worker. So memory stays bounded however long a worker lives, and a
    busy server is not interrupted by replacements nothing called for. Workers measure
    164-193 MB after a realistic warm-up (docs/performance.md, section 4); the mapped word
    tables and the bounded word cache can add some 60 MB over a long life, so the default
    of 300 MB is reached only by growth no cache explains."""
    if worker.nr % MEMORY_CHECK_EVERY:
        return
    resident = resident_megabytes()
    if resident is None or resident <= WORKER_MEMORY_LIMIT_MB or worker.max_requests <= worker.nr:
        return
    worker.log.info("Worker holds %.0f MB, over WEB_WORKER_MEMORY_LIMIT_MB=%d: replacing it",
                    resident, WORKER_MEMORY_LIMIT_MB)
    worker.max_requests = worker.nr


def pre_fork(server: Any, worker: Any) -> None:
    """Everything the preloaded app made (configuration, the language and service models) is
    moved out of the garbage collector's sight before each worker is forked, so a worker's full
    collections no longer walk it. Measured in-process on the queue page (186,000 such objects):
    a full collection paused a request for about 90 ms every so often; frozen, the slowest of 30
    pages went from 164 to 81 ms. Measured through gunicorn: workers' memory (RSS, PSS, USS) and
    SMS webhook throughput were the same with and without it (docs/performance.md)."""
    gc.freeze()


def on_starting(server: Any) -> None:
    """Counts left by an earlier run would be added to this one's: start from none. (The
    preloaded app has made no count yet: every metric has labels, and files are written only
    when a labelled value is first used, in a worker.)"""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server: Any, worker: Any) -> None:
    """A worker stopped (replaced for its memory or after WEB_MAX_REQUESTS, or killed): its
    counts stay in the sum, and any live gauge of its own is dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

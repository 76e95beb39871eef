"""Run a command in a network namespace of its own (``unshare -n``), loopback up, so it may set
per-namespace sysctls such as ``net.ipv4.tcp_migrate_req`` without touching the machine's.
Needs root, as CI has: elsewhere the calling test is skipped. Without the programs themselves
(util-linux's unshare, iproute2's ip) it is skipped on a developer's machine and fails in CI,
where .ci/run installs them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import missing_program

ROOT = Path(__file__).resolve().parents[1]


def _ip() -> str | None:
    """iproute2's ip: root's PATH has it, another user's may not."""
    found = shutil.which("ip")
    return found or next((str(p) for p in (Path("/usr/sbin/ip"), Path("/sbin/ip")) if p.exists()),
                         None)


@cache
def _usable() -> bool:
    trial = subprocess.run(["unshare", "-n", str(_ip()), "link", "set", "lo", "up"],
                           capture_output=True, check=False)
    return trial.returncode == 0


def run_isolated(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``command`` (from the project's root) in a new network namespace; its output captured."""
    ip = _ip()
    if shutil.which("unshare") is None or ip is None:
        missing_program("unshare and ip (Debian: util-linux, iproute2) make a network namespace")
    if not _usable():
        pytest.skip("making a network namespace needs root (unshare -n)")
    return subprocess.run(["unshare", "-n", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh",
                           *command], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)

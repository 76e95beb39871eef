"""intake.port_sharing: a listening socket per web worker only where the kernel hands a stopping
worker's waiting connections to another, unless WEB_REUSE_PORT decides; and the kernel behaviour
that rests on, shown on plain sockets (tests/deploy/test_reuse_port.py shows it under gunicorn)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from intake.port_sharing import AUTO, REUSE_PORT_VARIABLE, chosen, kernel_migrates, reuse_port
from tests.network_namespace import run_isolated


@pytest.mark.parametrize(("content", "expected"), [("1\n", True), ("0\n", False), ("2\n", False)])
def test_the_kernel_setting_is_read_as_it_is(tmp_path: Path, content: str, expected: bool) -> None:
    setting = tmp_path / "tcp_migrate_req"
    setting.write_text(content)
    assert kernel_migrates(setting) is expected


def test_a_kernel_without_the_setting_cannot_say(tmp_path: Path) -> None:
    assert kernel_migrates(tmp_path / "absent") is None


@pytest.mark.parametrize("unset", [{}, {REUSE_PORT_VARIABLE: ""}, {REUSE_PORT_VARIABLE: "auto"},
                                   {REUSE_PORT_VARIABLE: " AUTO "}])
def test_by_default_each_worker_listens_alone_only_where_the_kernel_migrates(
        unset: dict[str, str]) -> None:
    assert reuse_port(unset, migrates=True) is True
    assert reuse_port(unset, migrates=False) is False
    assert reuse_port(unset, migrates=None) is False


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("on", True), ("Yes", True),
                                                  ("true", True), ("0", False), ("off", False),
                                                  ("no", False), ("FALSE", False)])
def test_the_setting_decides_whatever_the_kernel_does(value: str, expected: bool) -> None:
    for migrates in (True, False, None):
        assert reuse_port({REUSE_PORT_VARIABLE: value}, migrates) is expected


def test_the_setting_is_read_as_written_with_unset_or_blank_as_auto() -> None:
    assert chosen({}) == chosen({REUSE_PORT_VARIABLE: "  "}) == chosen({REUSE_PORT_VARIABLE: "Auto"}) == AUTO
    assert chosen({REUSE_PORT_VARIABLE: " On "}) == "on"


def test_anything_else_is_refused_with_the_values_allowed() -> None:
    with pytest.raises(ValueError, match=r"WEB_REUSE_PORT=sometimes: use auto .*, 1 or 0"):
        reuse_port({REUSE_PORT_VARIABLE: "sometimes"}, migrates=True)


# The premise, on the kernel this runs on: two SO_REUSEPORT listeners, connections waiting in
# both, one closed. Run in a network namespace of its own (root only) to set the sysctl.
PREMISE = textwrap.dedent("""
    import json, socket, sys
    open("/proc/sys/net/ipv4/tcp_migrate_req", "w").write(sys.argv[1])
    def listener(port=0):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        return sock
    first = listener()
    port = first.getsockname()[1]
    second = listener(port)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    first.close()
    second.settimeout(0.5)
    taken = 0
    try:
        while True:
            second.accept()[0].close()
            taken += 1
    except TimeoutError:
        pass
    print(json.dumps({"connections": len(clients), "taken_by_the_other": taken}))
""")


def premise(migrate: str) -> dict[str, int]:
    done = run_isolated([sys.executable, "-c", PREMISE, migrate], timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_linux_hands_a_closed_sockets_waiting_connections_to_another_only_when_told() -> None:
    migrated, reset = premise("1"), premise("0")
    assert migrated["taken_by_the_other"] == migrated["connections"]
    # Without it, those the kernel had put in the closed socket's queue are gone (reset).
    assert reset["taken_by_the_other"] < reset["connections"]

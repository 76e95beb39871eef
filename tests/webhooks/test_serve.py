"""`intake serve` as a newcomer runs it: a real server on a real port with the embedded default."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30.0) -> tuple[int, dict]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_with_the_embedded_default(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "INTAKE_ENV", "SECRET_KEY", "INTAKE_ENCRYPTION_KEYS",
                          "INTAKE_HASH_KEY", "INTAKE_INSTANCE_PATH", "INTAKE_CONFIG_DIR"}}
    server = subprocess.Popen(
        [sys.executable, "-c", "from intake.cli import main; main()", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and body["status"] == "ok"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert (tmp_path / "instance" / "intake.sqlite3").is_file()
    assert (tmp_path / "instance" / "dev-secrets.json").is_file()
    assert f"http://127.0.0.1:{port}/healthz" in output
    assert "Added demo tracker item" in output and "Added demo consultation" in output

"""gunicorn configuration for the reliability tests (``gunicorn -c tests/reliability/server_hooks.py``).

Only a hook: each worker leaves a file named after its pid once the app is loaded, so a test
can wait until every worker is ready before it fires concurrent requests at them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    ready = os.environ.get("RELIABILITY_READY_DIR")
    if ready:
        Path(ready, str(os.getpid())).touch()

"""What every real-browser test shares: the app on a real port, Debian's Chromium, and browser
profiles that can reach nothing but the test server (this machine's network is closed)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@contextmanager
def serving(app: Flask, name: str) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


def isolated_context(browser: Any, base_url: str, *, viewport: dict[str, int], action_ms: int,
                     navigation_ms: int, **options: object) -> Any:
    """A fresh browser profile (its own cookies) that can reach only the test server.

    Chromium logs every Content-Security-Policy refusal to the console; they are collected in
    ``context.csp_violations`` so a test can require none (nothing the pages need is blocked).
    """
    context = browser.new_context(viewport=viewport, **options)
    violations: list[str] = []
    context.on("console", lambda message: violations.append(f"{message.location.get('url')}: {message.text}")
               if "Content Security Policy" in message.text else None)
    context.csp_violations = violations
    context.set_default_timeout(action_ms)
    context.set_default_navigation_timeout(navigation_ms)
    allowed = base_url + "/"
    context.route(re.compile(r".*"), lambda route: route.continue_()
                  if route.request.url.startswith(allowed) else route.abort())
    return context

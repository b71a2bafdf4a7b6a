"""The headless browser and the live server the browser tests drive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from playwright.sync_api import ConsoleMessage, Page
from werkzeug.serving import make_server

#: Playwright drives the system's Chromium (it cannot download its own here).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def serving(app: Flask, port: int) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` behind Werkzeug's threaded server; its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def csp_violations(page: Page) -> list[str]:
    """A list that fills with every Content-Security-Policy violation ``page`` reports
    (Chromium writes each one on the console)."""
    found: list[str] = []

    def _seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", _seen)
    return found

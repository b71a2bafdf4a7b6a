"""Error reports: the Sentry SDK sends a failing request's event to a loopback ingest
endpoint, and no phone number, email address or postal code is in what arrives."""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from flask import Flask, request

from callmp.config import ConfigError
from callmp.ops import error_reports

PHONE = "613-555-0142"
EMAIL = "sam.lee@example.org"
POSTAL_CODE = "K1A 0B1"

#: Each way the three could be written in what arrives.
FORBIDDEN = [
    PHONE,
    "6135550142",
    "+16135550142",
    "613%2D555",
    "555-0142",
    EMAIL,
    "sam.lee%40example.org",
    "sam.lee",
    POSTAL_CODE,
    "K1A0B1",
    "K1A+0B1",
    "K1A%200B1",
]


class Ingest(ThreadingHTTPServer):
    """A loopback stand-in for Sentry's ingest: keeps each envelope's decompressed bytes."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _IngestHandler)
        self.envelopes: list[bytes] = []
        self.paths: list[str] = []

    @property
    def dsn(self) -> str:
        """A DSN pointing at this server (project 1)."""
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/1"


class _IngestHandler(BaseHTTPRequestHandler):
    server: Ingest

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding:
            raise AssertionError(f"unexpected Content-Encoding {encoding}")
        self.server.paths.append(self.path)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def ingest(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ingest]:
    """The ingest stand-in, reached directly (no proxy from the environment)."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    server = Ingest()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_client_before_or_after() -> Iterator[None]:
    """No test starts with a reporting client, and none leaves one behind."""
    assert not sentry_sdk.get_client().is_active()
    yield
    error_reports.close()
    assert not sentry_sdk.get_client().is_active()


def wait_for_event(server: Ingest, seconds: float = 10.0) -> bytes:
    """The first envelope holding an error event."""
    sentry_sdk.flush(timeout=seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for envelope in server.envelopes:
            if b'"type":"event"' in envelope:
                return envelope
        time.sleep(0.05)
    raise AssertionError(f"no event arrived: {server.envelopes!r}")


def test_a_failing_request_is_reported_without_personal_data(
    make_app: Callable[..., Flask], ingest: Ingest
) -> None:
    app = make_app(SENTRY_DSN=ingest.dsn, SENTRY_ENVIRONMENT="test", PROPAGATE_EXCEPTIONS=False)
    assert sentry_sdk.get_client().is_active()

    def fail() -> str:
        """A view that logs, then fails quoting what the supporter typed."""
        form = request.form
        logging.getLogger("callmp.test").warning("about to fail for %s", form["email"])
        raise RuntimeError(
            f"could not call {form['phone']} for {form['email']} at {form['postal_code']}"
        )

    app.add_url_rule("/test-only/fail", "test_only_fail", fail, methods=["POST"])
    client = app.test_client()
    client.set_cookie("remember", EMAIL)
    response = client.post(
        f"/test-only/fail?phone={PHONE}&postal_code={POSTAL_CODE}",
        data={"phone": PHONE, "email": EMAIL, "postal_code": POSTAL_CODE},
        headers={"X-Supporter": EMAIL, "Referer": f"http://localhost/?email={EMAIL}"},
    )
    assert response.status_code == 500

    envelope = wait_for_event(ingest)
    assert ingest.paths[0] == "/api/1/envelope/"
    # It is this request's event: the error, its scrubbed message, the URL's path.
    assert b"RuntimeError" in envelope
    assert b"could not call [phone] for [email] at [postal code]" in envelope
    assert b"about to fail for [email]" in envelope  # the log line, as a breadcrumb
    assert b"/test-only/fail" in envelope
    assert b'"environment":"test"' in envelope
    for each in FORBIDDEN:
        assert each.lower().encode() not in envelope.lower(), each
    assert b"remember" not in envelope  # the cookie's name either


def test_without_a_dsn_nothing_is_started(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    assert app.config["SENTRY_DSN"] == ""
    assert not sentry_sdk.get_client().is_active()


def test_scrubbing_drops_bodies_cookies_queries_and_users() -> None:
    event: Any = {
        "message": f"call {PHONE}",
        "user": {"ip_address": "203.0.113.5", "email": EMAIL},
        "request": {
            "method": "POST",
            "url": f"https://calls.example.org/c/x?postal_code={POSTAL_CODE}",
            "query_string": f"phone={PHONE}",
            "data": {"email": EMAIL},
            "cookies": {"session": "abc"},
            "headers": {"Referer": f"https://x.example/?email={EMAIL}"},
            "env": {"REMOTE_ADDR": "203.0.113.5"},
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "httplib",
                    "data": {"url": f"https://api.twilio.com/x?To={PHONE}", "http.query": "x"},
                },
                {"category": "log", "message": f"sent to {EMAIL} in {POSTAL_CODE}"},
            ]
        },
        "extra": {"submitted": [PHONE, {"email": EMAIL}]},
    }
    scrubbed: Any = error_reports.scrub_event(event)
    assert scrubbed["request"] == {"method": "POST", "url": "https://calls.example.org/c/x"}
    assert "user" not in scrubbed
    assert scrubbed["message"] == "call [phone]"
    crumbs = scrubbed["breadcrumbs"]["values"]
    assert "data" not in crumbs[0]
    assert crumbs[1]["message"] == "sent to [email] in [postal code]"
    assert scrubbed["extra"] == {"submitted": ["[phone]", {"email": "[email]"}]}
    breadcrumb: Any = {
        "type": "http",
        "url": f"https://api.twilio.com/x?To={PHONE}",
        "message": EMAIL,
    }
    crumb = error_reports.scrub_breadcrumb(breadcrumb)
    assert crumb == {"type": "http", "url": "https://api.twilio.com/x", "message": "[email]"}


def test_a_trace_rate_outside_zero_to_one_is_refused(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="SENTRY_TRACES_SAMPLE_RATE"):
        make_app(SENTRY_TRACES_SAMPLE_RATE=1.5)

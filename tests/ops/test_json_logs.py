"""JSON log lines: one object per line, with the request id, and no personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import pytest
from flask import Flask

from callmp.ops import json_logs
from callmp.views.ops import CLOCK_KEY

PHONE = "+1 613 555 0123"
EMAIL = "jane.doe@example.org"
POSTAL_CODE = "K1A 0B1"
PERSONAL = ("613", "555 0123", "555-0123", "jane", "example.org", "K1A", "0B1")


@pytest.fixture
def json_app(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, io.StringIO]]:
    """An app logging JSON into a buffer; its handler leaves the root logger afterwards."""
    app = make_app(LOG_FORMAT="json")
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, json_logs.JsonFormatter)
    )
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    ticks = count()
    app.extensions[CLOCK_KEY] = lambda: next(ticks) * 0.25  # each reading 250 ms later
    try:
        yield app, buffer
    finally:
        logging.getLogger().removeHandler(handler)


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_access_line_carries_request_id_method_path_status_duration(
    json_app: tuple[Flask, io.StringIO],
) -> None:
    app, buffer = json_app
    app.test_client().get("/healthz?lang=fr", headers={"X-Request-ID": "req-1"})
    (line,) = [entry for entry in _lines(buffer) if entry["logger"] == "callmp.access"]
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert line["duration_ms"] == 250.0
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")


def test_error_lines_hold_no_phone_email_or_postal_code(
    json_app: tuple[Flask, io.StringIO],
) -> None:
    app, buffer = json_app
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom/<who>")
    def boom(who: str) -> str:
        raise RuntimeError(f"cannot reach {PHONE} or {EMAIL} at {POSTAL_CODE} for {who}")

    response = app.test_client().get(f"/boom/{EMAIL}", headers={"X-Request-ID": "req-2"})
    assert response.status_code == 500
    lines = _lines(buffer)
    error = next(entry for entry in lines if entry["level"] == "ERROR")
    assert "RuntimeError: cannot reach [phone] or [email] at [postal code]" in error["exception"]
    assert {entry["request_id"] for entry in lines} == {"req-2"}
    access = next(entry for entry in lines if entry["logger"] == "callmp.access")
    # "/" may be part of an address, so the whole path goes: privacy before detail
    assert (access["path"], access["status"]) == ("[email]", 500)
    text = buffer.getvalue()
    assert not [value for value in PERSONAL if value.lower() in text.lower()]


def test_formatter_scrubs_extra_fields_and_keeps_numbers() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "to %s", (PHONE,), None)
    record.path = f"/letters/{POSTAL_CODE}"
    record.status = 404
    line = json.loads(json_logs.JsonFormatter().format(record))
    assert (line["message"], line["path"], line["status"]) == (
        "to [phone]",
        "/letters/[postal code]",
        404,
    )
    assert line["request_id"] is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("a b", False),
        ("", False),
        (None, False),
    ],
)
def test_request_ids_are_short_and_safe(given: str | None, kept: bool) -> None:
    assert (json_logs.valid_request_id(given) is not None) is kept


def test_install_replaces_its_own_handler() -> None:
    root = logging.getLogger()
    level = root.level
    first = json_logs.install("INFO", io.StringIO())
    second = json_logs.install("INFO", io.StringIO())
    try:
        assert first not in root.handlers
        assert second in root.handlers
    finally:
        root.removeHandler(second)
        root.setLevel(level)


#: A letter's confirmation token and a call's id, as links carry them.
TOKEN = "Zq9tokenLetterConfirm.sig"
CALL_ID = "Zq9callPublicId"


def test_access_lines_show_no_confirmation_token_or_call_id(
    json_app: tuple[Flask, io.StringIO],
) -> None:
    app, buffer = json_app
    client = app.test_client()
    client.get(f"/c/some-campaign/emails/confirm/{TOKEN}")
    client.get(f"/c/some-campaign/calls/{CALL_ID}")
    client.get(f"/api/v1/calls/{CALL_ID}")
    paths = [entry["path"] for entry in _lines(buffer) if entry["logger"] == "callmp.access"]
    assert paths == [
        "/c/some-campaign/emails/confirm/[token]",
        "/c/some-campaign/calls/[public_id]",
        "/api/v1/calls/[public_id]",
    ]
    text = buffer.getvalue()
    assert "Zq9" not in text

"""Structured logs: one JSON object per line, with the request id; no Flask here.

The web layer sets the request's id (``request_id``) and adds ``method``, ``path``,
``status`` and ``duration_ms`` to its access line. The message, traceback and stack are
scrubbed with the record (``log_privacy.scrub_record``); every other string that reaches
the line is scrubbed here (``log_privacy.scrub``): a path or a header value is not a
message, so the record's scrubbing does not see it. The time, level and logger name are
ours and are written as they are.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from callmp import log_privacy

#: The id of the request being handled, set by the web layer; empty outside requests.
request_id: ContextVar[str] = ContextVar("callmp_request_id", default="")

#: An id we accept from a trusted proxy's ``X-Request-ID``: short, safe characters.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

#: The key, in a request's WSGI environ, of its path as access lines may show it
#: (capability tokens replaced): the app sets it, gunicorn's access line reads it.
LOG_PATH_KEY = "callmp.log_path"

#: Extra record attributes copied to the line when present.
FIELDS = ("method", "path", "status", "duration_ms")

_MARK = "_callmp_json"


def valid_request_id(candidate: str | None) -> str | None:
    """``candidate`` when it is a short id of safe characters, else None."""
    if candidate and _SAFE_ID.fullmatch(candidate):
        return candidate
    return None


def new_request_id() -> str:
    """A fresh random request id: 32 hex digits (128 random bits, as a UUID's text without
    its dashes and version digits, at a fifth of the cost)."""
    return secrets.token_hex(16)


def _clean(value: Any) -> Any:
    """``value`` scrubbed when it is a string; numbers and None as they are."""
    return log_privacy.scrub(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON: time, level, logger, message, request id, ..."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line."""
        # Message, traceback and stack scrubbed (once per record, whoever formats it).
        log_privacy.scrub_record(record)
        given = request_id.get()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": log_privacy.scrub(given) if given else None,
        }
        values = record.__dict__
        for name in FIELDS:
            if name in values:
                line[name] = _clean(values[name])
        if record.exc_info and not record.exc_text:  # ``exc_info=True`` with no exception
            record.exc_text = log_privacy.scrub(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line)


def install(level: str | int, stream: IO[str] | None = None) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr) as JSON lines; returns the handler.

    Replaces a JSON handler installed before and the plain handler ``basicConfig`` adds,
    so each record is written once; other handlers (pytest's, gunicorn's) stay.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _MARK, False) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(log_privacy.PrivacyFilter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    return handler

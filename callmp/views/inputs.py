"""Untrusted input in one place: bounded ids in URLs, body sizes, unstorable text, JSON bodies.

- ``<int:...>`` in every route is ``IdConverter``: ASCII digits only, at most 18 of them
  (below 2**63), so an id the database cannot hold is a 404, never an overflow.
- Bodies are capped: ``MAX_CONTENT_LENGTH`` for the app (1 MiB unless configured) and
  ``JSON_MAX_BYTES`` for JSON bodies and the API; a larger one is a 413.
- A NUL character anywhere in the path, the query or a form is a 400: PostgreSQL cannot
  store it, and no field of ours needs it.
- ``json_object`` reads a JSON body for the API: an object, not too deep, with no NUL or
  lone surrogate in its strings, else None (the view answers "Send a JSON object.").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Request, abort, request
from werkzeug.routing import IntegerConverter, Map

from callmp.numbers import ID_DIGITS

#: The default cap on any request body, in bytes (``MAX_CONTENT_LENGTH`` overrides it).
MAX_BODY_BYTES = 1024 * 1024
#: The cap on a JSON body (and any body sent to the API), in bytes.
JSON_MAX_BYTES = 64 * 1024
#: How deep a JSON body may nest objects and lists.
JSON_MAX_DEPTH = 8


class IdConverter(IntegerConverter):
    """``<int:name>``: 1 to 18 ASCII digits (``\\d`` would take Arabic and other digits)."""

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        if signed:
            raise ValueError("ids are never negative")
        super().__init__(map, fixed_digits, min, 10**ID_DIGITS - 1 if max is None else max)


def init_inputs(app: Flask) -> None:
    """Install the id converter, the body limits and the NUL check (before any blueprint)."""
    app.url_map.converters["int"] = IdConverter
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(_limit_and_check)


def _limit_and_check() -> None:
    """Cap JSON and API bodies; refuse a NUL character in the path, query or form."""
    current: Request = request._get_current_object()  # type: ignore[attr-defined]
    if current.is_json or current.path.startswith("/api/"):
        current.max_content_length = min(
            JSON_MAX_BYTES, current.max_content_length or JSON_MAX_BYTES
        )
    texts: list[Iterable[str]] = []
    if current.view_args:
        texts.append(str(value) for value in current.view_args.values())
    if current.args:
        texts.append(part for pair in current.args.items(multi=True) for part in pair)
    if current.method == "POST":
        texts.append(part for pair in current.form.items(multi=True) for part in pair)
    if any("\x00" in text for group in texts for text in group):
        abort(400)


def _storable(value: Any, depth: int = 0) -> bool:
    """True when ``value`` nests at most ``JSON_MAX_DEPTH`` deep and its text can be stored."""
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict | list):
        if depth >= JSON_MAX_DEPTH:
            return False
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        return all(_storable(item, depth + 1) for item in items)
    return True


def json_object() -> dict[str, Any] | None:
    """The request's JSON body when it is an object we can use, else None.

    None for a body that is not JSON, is broken or nested too deep to parse (Python's
    parser raises ``RecursionError``), is not an object, nests deeper than
    ``JSON_MAX_DEPTH`` or holds a NUL or a lone surrogate. Too big a body is a 413.
    """
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    if not isinstance(body, dict) or not _storable(body):
        return None
    return body

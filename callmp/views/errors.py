"""Error pages: JSON under /api/, HTML elsewhere; never a stack trace to the visitor.

A database too busy to take a write in time (SQLite's "database is locked", PostgreSQL's
lock and serialization failures) is a 503 with ``Retry-After``: nothing was saved and the
client is told to send it again. Values the database refuses (``DataError``: a number out
of range, text it cannot store) are a 400.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from flask import (
    Flask,
    Response,
    current_app,
    got_request_exception,
    jsonify,
    render_template,
    request,
)
from flask_babel import force_locale, gettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from callmp.views import inputs, rate_limits

log = logging.getLogger(__name__)

#: How long a client should wait before sending again what a busy database refused.
RETRY_AFTER_S = 5
#: SQLSTATEs of PostgreSQL's "try again" errors: lock timeout, serialization, deadlock.
_RETRY_SQLSTATES = {"55P03", "40001", "40P01"}
#: SQLite's messages for a database another connection holds.
_LOCKED = ("database is locked", "database table is locked", "database is busy")


def is_busy(error: DBAPIError) -> bool:
    """True when the database refused only because it was busy: sending again may work."""
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    return any(text in str(error.orig).lower() for text in _LOCKED)


def _messages() -> dict[int, str]:
    """Plain-language messages for the status codes we answer with."""
    return {
        400: gettext("Something in the request was not right. Please check and try again."),
        403: gettext("You are not allowed to do that."),
        404: gettext("We couldn't find that page."),
        405: gettext("That action isn't available here."),
        413: gettext("That is too much to send at once. Please shorten it and try again."),
        429: gettext("Too many requests. Please wait a little and try again."),
        500: gettext("Something went wrong on our side. Please try again in a moment."),
        503: gettext(
            "We are very busy right now and could not save this. "
            "Nothing was sent: please try again in a few seconds."
        ),
    }


def _api_callers_language() -> str | None:
    """The ``lang`` an API request's JSON body asks for, as the API itself honours it."""
    if not request.path.startswith("/api/"):
        return None
    body = inputs.json_object()
    lang = body.get("lang") if body is not None else None
    return lang if isinstance(lang, str) and lang in current_app.config["LOCALES"] else None


def _respond(code: int, message: str | None = None) -> tuple[Response | str, int]:
    """An error answer in the form the client expects."""
    text = message or _messages().get(code) or _messages()[500]
    if request.path.startswith("/api/"):
        return jsonify(error=text), code
    return render_template("error.html", code=code, message=text), code


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError) -> tuple[Response | str, int]:
        return _respond(
            400,
            gettext(
                "This form has expired or was sent from another site. Please go back, "
                "reload the page and try again."
            ),
        )

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_error: RateLimitExceeded) -> tuple[Response, int]:
        page, code = _respond(429)
        response = app.make_response((page, code))
        response.headers["Retry-After"] = str(rate_limits.retry_after(app))
        return response, code

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response | str, int]:
        code = error.code or 500
        # Werkzeug's default descriptions are English and technical; use ours.
        return _respond(code)

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError) -> tuple[Response | str, int]:
        if is_busy(error):
            # Only the kind of error: its text may carry the statement's parameters.
            log.warning("database busy on %s %s: asked to retry", request.method, request.path)
            lang = _api_callers_language()
            with force_locale(f"{lang}_CA") if lang else nullcontext():
                page, code = _respond(ServiceUnavailable.code)
            response = app.make_response((page, code))
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response, code
        if isinstance(error, DataError):
            log.warning("value refused by the database on %s %s", request.method, request.path)
            return _respond(400)
        return _unexpected(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response | str, int]:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        # This handler keeps Flask from announcing the error; announce it ourselves, so
        # error reporting (callmp/ops/error_reports.py) gets the exception with its trace.
        app_object = current_app._get_current_object()  # type: ignore[attr-defined]
        got_request_exception.send(
            app_object, _async_wrapper=app_object.ensure_sync, exception=error
        )
        return _respond(InternalServerError.code)

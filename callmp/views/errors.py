"""Error pages: JSON under /api/, HTML elsewhere; never a stack trace to the visitor."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    """Plain-language messages for the status codes we answer with."""
    return {
        400: gettext("Something in the request was not right. Please check and try again."),
        403: gettext("You are not allowed to do that."),
        404: gettext("We couldn't find that page."),
        405: gettext("That action isn't available here."),
        429: gettext("Too many requests. Please wait a little and try again."),
        500: gettext("Something went wrong on our side. Please try again in a moment."),
    }


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

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response | str, int]:
        code = error.code or 500
        # Werkzeug's default descriptions are English and technical; use ours.
        return _respond(code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response | str, int]:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(InternalServerError.code)

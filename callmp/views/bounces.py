"""The bounce webhook: a mail provider (or a relay's pipe) POSTs each DSN it receives.

``POST /hooks/bounces`` with ``Authorization: Bearer <CALLMP_BOUNCE_WEBHOOK_TOKEN>`` and
the raw DSN as the body (``message/rfc822``) or as the form field or file ``message``.
Without the setting the route is a 404; a wrong token a 401. Not a browser form: no
CSRF token, the bearer token is the protection. Garbage gets a 4xx, never a 500.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request

from callmp.letters.dsn import MAX_BYTES, DsnError
from callmp.letters.service import MailService
from callmp.views.context import services

bp = Blueprint("bounces", __name__)

#: The form field (or file) a provider may put the DSN in.
FIELD = "message"


def _authorized(expected: str) -> bool:
    """Whether the request carries the bearer token (compared in constant time)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def _dsn_bytes() -> bytes | None:
    """The DSN in the body or in the ``message`` form field; None when there is none."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get(FIELD)
        if upload is not None:
            return upload.stream.read(MAX_BYTES + 1)
        text = request.form.get(FIELD)
        return text.encode("utf-8", "surrogateescape") if text else None
    return request.get_data(cache=False) or None


@bp.post("/hooks/bounces")
def receive() -> tuple[Response, int]:
    """Apply one DSN: the letter it names is marked bounced and its supporter told."""
    expected = str(current_app.config.get("BOUNCE_WEBHOOK_TOKEN") or "")
    if not expected:
        abort(404)
    if not _authorized(expected):
        response = jsonify(error="unauthorized")
        response.headers["WWW-Authenticate"] = 'Bearer realm="bounces"'
        return response, 401
    if (request.content_length or 0) > MAX_BYTES:
        return jsonify(error="too large"), 413
    raw = _dsn_bytes()
    if raw is None:
        return jsonify(error="no message"), 400
    if len(raw) > MAX_BYTES:
        return jsonify(error="too large"), 413
    service: MailService = services().mail
    try:
        result = service.bounce(raw)
    except DsnError:
        return jsonify(error="not a delivery status notification"), 422
    if result.message_id is None:
        return jsonify(status="ignored"), 200
    return jsonify(status="bounced", notices=len(result.notices)), 200

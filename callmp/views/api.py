"""JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext

from callmp import lookup, postal, web
from callmp.forms import translate_postal_error
from callmp.views import presenters

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/lookup", methods=["GET", "POST"])
def lookup_postal_code() -> tuple[Response, int]:
    """Ridings and members for a postal code (query string, form or JSON body)."""
    body = request.get_json(silent=True) if request.method == "POST" else None
    raw = (body or {}).get("postal_code") if isinstance(body, dict) else None
    raw = raw if raw is not None else request.values.get("postal_code")
    if raw is not None and not isinstance(raw, str):
        raw = None
    try:
        result = web.lookup_postal_code(raw)
    except postal.PostalCodeError as error:
        return jsonify(error=translate_postal_error(error), reason=error.reason), 400
    locale = presenters.locale_code()
    payload = {
        "postal_code": result.postal_code,
        "certain": result.certain,
        "match": str(result.match),
        "notice": gettext(result.notice) if result.notice else None,
        "ridings": [presenters.candidate_json(c, locale) for c in result.candidates],
    }
    if result.match == lookup.Match.unknown:
        payload["error"] = payload["notice"]
        return jsonify(payload), 404
    return jsonify(payload), 200

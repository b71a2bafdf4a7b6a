"""CORS on the JSON API for the sites a campaign's partners list, and no other.

A partner's own page may call the API from a browser: its ``Origin`` is echoed in
``Access-Control-Allow-Origin`` when a partner of the campaign the request names (its
``slug``) lists it; the routes that name no campaign (the postal lookup, a call's status)
accept any partner's site. No credentials are ever allowed (the API reads no cookie) and
there is no wildcard, except on the public counter, which keeps its own ``*``. Any other
origin gets no CORS header at all, so the browser keeps the answer from the page.

Flask-CORS takes a fixed list or patterns at start-up; these origins are data that leads
change, so they are read here, once per content revision (partners' edits bump it), and
kept per process like the other per-revision values.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from callmp.partners.origins import origins_by_campaign
from callmp.views import context

#: How long a browser may keep a preflight's answer (seconds; Chromium caps it at 7200).
PREFLIGHT_MAX_AGE = 600
#: The only request header a partner's page needs beyond the simple ones.
ALLOWED_HEADERS = "Content-Type"


def _by_campaign() -> dict[int, frozenset[str]]:
    """Allowed origins per campaign id at this request's content revision."""
    found: dict[int, frozenset[str]] = context.services().running.derived.get(
        context.content_revision(), ("cors-origins",), lambda: origins_by_campaign(context.db())
    )
    return found


def allowed(origin: str) -> bool:
    """Whether this request's campaign (or, for routes naming none, any campaign) has a
    partner that lists ``origin``."""
    if not origin or origin == "null":
        return False
    slug = (request.view_args or {}).get("slug")
    by_campaign = _by_campaign()
    if slug is None:
        return any(origin in origins for origins in by_campaign.values())
    campaign = context.running_campaign(str(slug))
    return campaign is not None and origin in by_campaign.get(campaign.id, frozenset())


def _add_headers(response: Response) -> Response:
    """The CORS headers of an allowed origin's request or preflight."""
    response.vary.add("Origin")
    if response.headers.get("Access-Control-Allow-Origin") == "*":
        return response  # the public counter: readable from anywhere already
    origin = request.headers.get("Origin", "")
    if not allowed(origin):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    asked = request.headers.get("Access-Control-Request-Method")
    if request.method == "OPTIONS" and asked:
        rule = request.url_rule
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}) if rule else []
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def init_cors(bp: Blueprint) -> None:
    """Answer CORS requests and preflights on ``bp``'s routes (Flask answers OPTIONS)."""
    bp.after_request(_add_headers)

"""Security headers on every response, as Flask-Talisman writes them.

The pages load nothing from other sites (MPs' photos too are served by the app, from
its photo folder), and have no inline scripts, event handlers or style attributes:
scripts and styles come from /static only.

Our headers are the same on every response (only an embedded page's frame-ancestors
differ, see ``_allow_partners``), so Talisman writes them once per process, on a probe
app over HTTP and over HTTPS (``talisman_headers``), and one hook copies them onto each
response: Talisman's own hooks would re-read its per-view options and rebuild the same
strings on every request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from flask import Flask, Request, Response, request
from flask_talisman import Talisman

from callmp.views import embed, partner_dashboard

#: Who may show our pages in a frame: nobody, except an embedded campaign page, which its
#: partners' origins may frame (``_allow_partners`` rewrites this one directive).
FRAME_ANCESTORS = "'none'"

_FRAME_DIRECTIVE = re.compile(r"frame-ancestors [^;]*")

CONTENT_SECURITY_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": FRAME_ANCESTORS,
}

#: Browser features no page of ours uses.
PERMISSIONS_POLICY: dict[str, str] = {
    feature: "()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "bluetooth",
        "hid",
        "midi",
        "magnetometer",
        "gyroscope",
        "accelerometer",
        "display-capture",
        "browsing-topics",
    )
}

#: HSTS lasts a year once a browser saw the site over HTTPS (only sent over HTTPS).
HSTS_SECONDS = 365 * 24 * 3600


def talisman_options(session_cookie_secure: bool) -> dict[str, Any]:
    """Flask-Talisman's settings for our app."""
    return {
        # The proxy or the platform redirects to HTTPS; we only say "stay on HTTPS".
        "force_https": False,
        "strict_transport_security": True,
        "strict_transport_security_max_age": HSTS_SECONDS,
        "strict_transport_security_include_subdomains": False,
        # Keep the cookie settings of callmp/config.py and views/security.py.
        "session_cookie_secure": session_cookie_secure,
        "session_cookie_http_only": True,
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "frame_options": "DENY",
        # same-origin, not no-referrer: Flask-WTF checks the Referer of every form sent
        # over HTTPS, so our own pages must still send it to us.
        "referrer_policy": "same-origin",
        "permissions_policy": PERMISSIONS_POLICY,
        "x_content_type_options": True,
        # The old XSS auditor header is gone from browsers and could do harm.
        "x_xss_protection": False,
    }


#: A header as (name, value); Talisman's, in the order it sets them.
Header = tuple[str, str]


@cache
def talisman_headers(secure: bool) -> tuple[Header, ...]:
    """The headers Talisman sets on a response over HTTPS (``secure``) or HTTP.

    Asked once per process of a probe app that has Talisman and one empty page: what it
    answers beyond a plain Flask answer's own headers is Talisman's.
    """
    probe, plain = Flask(__name__), Flask(__name__)
    Talisman(probe, **talisman_options(session_cookie_secure=False))
    for each in (probe, plain):
        each.add_url_rule("/", "probe", lambda: "")
    base_url = "https://probe.invalid" if secure else "http://probe.invalid"
    own = {name.lower() for name, _ in _answer(plain, base_url)}
    return tuple(
        (name, value) for name, value in _answer(probe, base_url) if name.lower() not in own
    )


def _answer(app: Flask, base_url: str) -> Iterator[Header]:
    response = app.test_client().get("/", base_url=base_url)
    response.close()
    yield from response.headers.items()


def init_headers(app: Flask) -> None:
    """Content-Security-Policy, frame, type-sniffing, referrer and permissions headers on
    every response; HSTS over HTTPS only."""
    # What Talisman's initialisation and its request hook do to the cookie settings.
    probe = Flask(__name__)
    Talisman(probe, **talisman_options(session_cookie_secure=False))
    for key in ("SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_HTTPONLY"):
        app.config[key] = probe.config[key]
    if app.config["SESSION_COOKIE_SECURE"] and not app.debug:
        app.config["SESSION_COOKIE_SECURE"] = True
    talisman_names()  # asked now: gunicorn's workers inherit it from a preloading master
    app.after_request(_security_headers)


@cache
def talisman_names() -> frozenset[str]:
    """The names (lower case) of the headers Talisman sets over HTTP or HTTPS."""
    return frozenset(
        name.lower() for name, _ in (*talisman_headers(False), *talisman_headers(True))
    )


#: Headers some blueprints' pages set over the security headers.
LAST_WORD: dict[str, tuple[Header, ...]] = {
    partner_dashboard.bp.name: partner_dashboard.PRIVATE_HEADERS,
}


def _security_headers(response: Response) -> Response:
    """Talisman's headers (HSTS over HTTPS only), the partners' frame-ancestors, then the
    headers of a blueprint that has the last word (``LAST_WORD``)."""
    current: Request = request._get_current_object()  # type: ignore[attr-defined]
    headers = response.headers
    ours = talisman_headers(current.is_secure)
    if talisman_names().isdisjoint(name.lower() for name, _ in headers.items()):
        headers.extend(ours)  # none set yet (nearly always): appended, as setting each would
    else:
        for name, value in ours:
            headers[name] = value
    _allow_partners(response)
    for name, value in LAST_WORD.get(current.blueprint or "", ()):
        headers[name] = value
    return response


def _allow_partners(response: Response) -> Response:
    """An embedded campaign page: its partners' origins (and only they) may frame it."""
    origins = embed.frame_ancestors()
    policy = response.headers.get("Content-Security-Policy")
    if origins is None or policy is None:
        return response
    response.headers["Content-Security-Policy"] = _FRAME_DIRECTIVE.sub(
        f"frame-ancestors {origins}", policy
    )
    # Browsers obey frame-ancestors over X-Frame-Options, but older ones know only DENY.
    del response.headers["X-Frame-Options"]
    # Each embedded page carries a visitor's own state token in its links.
    response.headers["Cache-Control"] = "no-store"
    return response

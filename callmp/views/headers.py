"""Security headers on every response, set by Flask-Talisman.

The pages load nothing from other sites (MPs' photos too are served by the app, from
its photo folder), and have no inline scripts, event handlers or style attributes:
scripts and styles come from /static only.
"""

from __future__ import annotations

import re

from flask import Flask, Response
from flask_talisman import Talisman

from callmp.views import embed

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


def init_headers(app: Flask) -> None:
    """Content-Security-Policy, frame, type-sniffing, referrer and permissions headers on
    every response; HSTS over HTTPS only."""
    # Registered before Talisman so that it runs after it (Flask runs them in reverse).
    app.after_request(_allow_partners)
    Talisman(
        app,
        # The proxy or the platform redirects to HTTPS; we only say "stay on HTTPS".
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=HSTS_SECONDS,
        strict_transport_security_include_subdomains=False,
        # Keep the cookie settings of callmp/config.py and views/security.py.
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        # same-origin, not no-referrer: Flask-WTF checks the Referer of every form sent
        # over HTTPS, so our own pages must still send it to us.
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
        # The old XSS auditor header is gone from browsers and could do harm.
        x_xss_protection=False,
    )


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

"""Reverse proxies: which forwarded headers the app believes, and what follows from the scheme.

``CALLMP_PROXY_HOPS`` says how many proxies stand in front of the app. With ``n`` hops,
werkzeug's ``ProxyFix`` takes the client address, scheme and host from the ``n``-th
value from the right of ``X-Forwarded-For``/``-Proto``/``-Host`` (each trusted proxy
appends or sets its own, so what a client wrote further left is never read). With 0
hops every forwarded header is a client's claim and is ignored.

After that decision the ``X-Forwarded-*`` headers are removed from what the app sees,
so no library reads them on its own: Flask-Talisman, for one, sends HSTS when the raw
``X-Forwarded-Proto`` says https, whoever wrote it.

The WSGI server must not decide the scheme from these headers either: gunicorn
believes ``X-Forwarded-Proto`` from ``forwarded_allow_ips`` (loopback by default) and
from any Unix-socket peer. The app cannot undo that (it cannot tell gunicorn's own TLS
from a header it believed), so the deployment sets ``secure_scheme_headers = {}`` and
``CALLMP_PROXY_HOPS`` stays the one place forwarded headers are trusted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from callmp.signing import CheapURLSafeTimedSerializer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask.wrappers import Response

#: The forwarded headers (as WSGI environ keys) no part of the app may read raw.
FORWARDED_KEYS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_FORWARDED_PROTOCOL",
    "HTTP_FORWARDED",
)


class DropForwarded:
    """WSGI middleware that removes the forwarded headers before the app sees them."""

    def __init__(self, app: WSGIApplication, keys: Iterable[str] = FORWARDED_KEYS) -> None:
        self.app = app
        self.keys = tuple(keys)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Call the app without the forwarded headers."""
        for key in self.keys:
            environ.pop(key, None)
        return self.app(environ, start_response)


def trusted_proxies(app: WSGIApplication, hops: int) -> WSGIApplication:
    """``app`` behind ``hops`` trusted proxies: their headers applied, then removed."""
    if hops < 0:
        raise ValueError("CALLMP_PROXY_HOPS must be 0 or more")
    inner = DropForwarded(app)
    if hops == 0:
        return inner
    return ProxyFix(inner, x_for=hops, x_proto=hops, x_host=hops)


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON that Flask's tagged serializer would leave untagged:
    exact strings, numbers, booleans, None, lists and dicts of them, no key a tag could
    be (tags start with a space). Tuples, bytes, Markup, dates and the like are not."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(
            type(key) is str and not key.startswith(" ") and _plain(item)
            for key, item in value.items()
        )
    return False


class PlainFirstTaggedJSON(TaggedJSONSerializer):
    """Flask's session serializer, writing plain JSON data (a visitor's session: ids,
    the last lookup, a referral) with one kept encoder instead of tagging each value.

    The text is what Flask's would be (compact, keys sorted, ASCII), and is read back by
    Flask's ``loads``; anything that needs a tag goes through Flask's ``dumps``.
    """

    _encoder = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=True)

    def dumps(self, value: Any) -> str:
        """The session's JSON text."""
        if _plain(value):
            return self._encoder.encode(value)
        return super().dumps(value)


class SchemeSessionInterface(SecureCookieSessionInterface):
    """Session cookies marked Secure when the setting says so or the request came over HTTPS.

    Behind a TLS-terminating proxy the request is HTTPS once ``ProxyFix`` believed the
    proxy's ``X-Forwarded-Proto``; a cookie issued there never travels in clear text.

    The cookie is Flask's (same salt, key derivation, digest, tagged JSON, signature and
    age check), signed and read by one serializer per secret key instead of a new one per
    request, without zlib for a short session (see ``callmp.signing``).
    """

    serializer = PlainFirstTaggedJSON()

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's signing serializer for the app's keys, made once per set of keys."""
        if not app.secret_key:
            return None
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
        keys = (*fallbacks, app.secret_key)  # itsdangerous signs with the last one
        found = self._serializers.get(keys)
        if found is None:
            found = self._serializers[keys] = CheapURLSafeTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return found

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """A new empty session when the request has no session cookie (most requests of
        supporters' pages and every API or webhook call); else Flask's reading of it.

        Flask builds the signing serializer first, then finds no cookie to check.
        """
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's ``save_session``. When it writes the cookie of a response that varies
        on nothing yet (a first visit's page), the same cookie and ``Vary: Cookie`` are
        set directly: Flask parses and rewrites the Vary header twice."""
        if not session or not self.should_set_cookie(app, session) or "Vary" in response.headers:
            super().save_session(app, session, response)
            return
        serializer = self.get_signing_serializer(app)
        assert serializer is not None  # a session is written only with a secret key
        response.set_cookie(
            self.get_cookie_name(app),
            serializer.dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )
        response.headers["Vary"] = "Cookie"

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is HTTPS."""
        configured: Any = app.config["SESSION_COOKIE_SECURE"]
        return bool(configured) or request.is_secure


def init_proxies(app: Flask) -> None:
    """Trust ``PROXY_HOPS`` proxies' forwarded headers, and only theirs."""
    hops = int(app.config["PROXY_HOPS"])
    app.wsgi_app = trusted_proxies(app.wsgi_app, hops)  # type: ignore[method-assign,assignment]
    app.session_interface = SchemeSessionInterface()

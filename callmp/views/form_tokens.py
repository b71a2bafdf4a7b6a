"""Signed form tokens for the supporters' forms: CSRF protection and the flow's state
without the session cookie.

Inside a partner's iframe the browser blocks (or partitions) our cookie, so a token kept
in the session cannot be checked and what the session remembers (the referral code, the
last lookup) is lost. A supporter's form therefore carries one signed, time-limited token
(itsdangerous, the app's secret key, a salt of its own) that proves we rendered the form
for this campaign recently, and holds the flow's state: the referral dict and the lookup's
ridings and match — never a postal code or a phone number, which stay in POST bodies only.

Supporters have no login, so a token bound to no session is what a forged POST lacks: it
must come from a page we served within ``FORM_MAX_AGE``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired
from werkzeug.exceptions import HTTPException
from wtforms import Form, ValidationError
from wtforms.csrf.core import CSRF, CSRFTokenField

from callmp.i18n import N_
from callmp.signing import CheapURLSafeTimedSerializer

#: How long a page's forms may be sent: long enough to write a letter at leisure.
FORM_MAX_AGE = 12 * 3600

#: The salts: a form token is never accepted as a state link, nor the other way round.
FORM_SALT = "callmp.public-form"
STATE_SALT = "callmp.flow-state"

#: What a supporter reads when the token is missing, wrong or too old.
EXPIRED = N_("This form expired or could not be checked. Please send it again.")

#: ``g`` key of the state carried by the request's valid token (see ``carried_state``).
_CARRIED = "carried_form_state"


def _serializer(salt: str) -> CheapURLSafeTimedSerializer:
    return _kept_serializer(str(current_app.config["SECRET_KEY"]), salt)


@lru_cache(maxsize=16)
def _kept_serializer(secret: str, salt: str) -> CheapURLSafeTimedSerializer:
    """The serializer for ``secret`` and ``salt``, made once (pages issue a token each)."""
    return CheapURLSafeTimedSerializer(secret, salt=salt)


def current_slug() -> str:
    """The campaign slug of the current request's route, or ""."""
    return str((request.view_args or {}).get("slug", ""))


def issue(slug: str, state: dict[str, Any], salt: str = FORM_SALT) -> str:
    """A signed token for campaign ``slug`` holding ``state`` (no personal data)."""
    return str(_serializer(salt).dumps({"c": slug, "s": state}))


def read(token: str, slug: str, salt: str = FORM_SALT) -> dict[str, Any] | None:
    """The state of a valid, unexpired token issued for ``slug``; None otherwise."""
    try:
        found = _serializer(salt).loads(token, max_age=FORM_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(found, dict) or found.get("c") != slug:
        return None
    state = found.get("s")
    return state if isinstance(state, dict) else {}


def age(token: str, slug: str, now: float) -> float | None:
    """Seconds since a valid form token for ``slug`` was issued (at ``now``, a Unix time);
    None for a missing, forged or expired token."""
    try:
        found, issued = _serializer(FORM_SALT).loads(
            token, max_age=FORM_MAX_AGE, return_timestamp=True
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(found, dict) or found.get("c") != slug:
        return None
    return float(now - issued.timestamp())


def carried_state() -> dict[str, Any]:
    """The flow state carried by this request's form token or state link (or {})."""
    # Read on each page several times (referral, lookup, signature, embedding): the
    # request's answer is kept on ``g``, and a GET without a state link reads nothing.
    found: dict[str, Any] | None = g.get(_CARRIED)
    if found is None:
        found = g.setdefault(_CARRIED, _read_carried())
    return found


def _read_carried() -> dict[str, Any]:
    """The state of the request's valid form token or state link, else {}."""
    current = request._get_current_object()  # type: ignore[attr-defined]
    posted = _posted_token() if current.method == "POST" else ""
    link = current.args.get("s", "") if current.args else ""
    if not (posted or link):
        return {}
    slug = current_slug()
    if not slug:
        return {}
    state = read(posted, slug) if posted else None
    if state is None and link:
        state = read(link, slug, STATE_SALT)
    return state or {}


def _posted_token() -> str:
    """The form token of a POST, or "" (also when the body is refused: an error page for
    a body too large asks too, and must not fail again)."""
    if request.method != "POST":
        return ""
    try:
        fields = request.form
    except HTTPException:
        return ""
    # Forms with a prefix (the report forms) name it "<prefix>-csrf_token".
    return next((v for k, v in fields.items() if k.rpartition("-")[2] == "csrf_token"), "")


def flow_state() -> dict[str, Any]:
    """The state a new token should carry: what the session or this request holds."""
    # Imported here: context imports this module for its fallbacks.
    from callmp.views import context, embed

    slug = current_slug()
    state: dict[str, Any] = {"embed": True} if embed.embedded() else {}
    referral = context.referral_state(slug)
    if referral:
        state["ref"] = referral
    signature = context.signature_state(slug)
    if signature:
        state["petition"] = signature
    last = context.last_lookup(slug)
    if last:
        state["lookup"] = {k: v for k, v in last.items() if k != "postal_code"}
    return state


class SignedCsrf(CSRF):  # type: ignore[misc]
    """WTForms CSRF with ``issue``/``read`` tokens instead of the session's."""

    def generate_csrf_token(self, csrf_token_field: CSRFTokenField) -> str:
        """A fresh token for this campaign and the visitor's flow state."""
        return issue(current_slug(), flow_state())

    def validate_csrf_token(self, form: Form, field: CSRFTokenField) -> None:
        """Refuse a missing, forged, expired or other campaign's token."""
        if not field.data or read(str(field.data), current_slug()) is None:
            raise ValidationError(EXPIRED)


def token_failed(form: Any) -> bool:
    """Whether ``form`` was refused for its token (so the page shows ``EXPIRED``)."""
    field = getattr(form, "csrf_token", None)
    return bool(field is not None and field.errors)


def state_link() -> str:
    """A state token for links (``?s=``): the flow state without the session."""
    return issue(current_slug(), flow_state(), STATE_SALT)

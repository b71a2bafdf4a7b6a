"""Twilio's webhooks: the call flow (answer, menu, dial result), status news and the fallback.

Every route checks ``X-Twilio-Signature`` with the SDK's ``RequestValidator`` against the
URL Twilio requested: the configured public URL plus the raw path and query as received
(Flask's ``request.url`` re-escapes characters and would break valid signatures). Forged
or unsigned requests get 403. The signature is the protection here, not CSRF.

Twilio signs the URL followed by the sorted form keys and values run together, with each
key's distinct values once. So a captured request can be re-split (``CallSid`` +
``CallStatus`` read as one longer ``CallSid``) or sent with a field twice under the same
signature. After the signature, each route therefore takes only the query keys it gave
Twilio, each once, the form fields it reads at most once each, and a well-formed
``CallSid``; anything else is a 400.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.engine import Connection
from twilio.request_validator import RequestValidator

from callmp import numbers
from callmp.calls import call_rows, twiml, webhooks
from callmp.calls.call_rows import CallRow
from callmp.calls.service import CallService
from callmp.calls.telephony import is_call_sid
from callmp.directory.phones import PhoneError, parse_office_phone
from callmp.i18n import translator
from callmp.views.context import services

bp = Blueprint("twilio", __name__)

#: A dialled leg lasts at most 99,999 s (27 h); a longer ``DialCallDuration`` is not one.
MAX_DURATION_DIGITS = 5

F = TypeVar("F", bound=Callable[..., Any])


def _service() -> CallService:
    """The app's call service."""
    service: CallService = services().calls
    return service


def _database() -> Connection:
    """A connection for one webhook's statements, in one transaction the route commits.

    A Core connection, not the request's ORM session: the webhooks read and write with
    Core statements only (``call_rows``), and a session's begin, commit and close cost
    about as much as one of those statements. Closing it (``with``) rolls back what was
    not committed, as the session's teardown did.
    """
    return services().engine.connect()


def _wsgi_text(value: str) -> str:
    """A WSGI environ string (bytes decoded as Latin-1) as the UTF-8 text it was."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def requested_url() -> str:
    """The URL Twilio requested, as it signed it: public base URL + raw path and query."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw = _wsgi_text(raw)
        script = _wsgi_text(environ.get("SCRIPT_NAME", ""))
        if script and raw.startswith(script):
            raw = raw[len(script) :]
    else:
        query = _wsgi_text(environ.get("QUERY_STRING", ""))
        raw = request.path + (f"?{query}" if query else "")
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    return base + raw


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    """Twilio's validator for ``token``, one per process."""
    return RequestValidator(token)


def _valid(token: str, url: str, signature: str) -> bool:
    """True when ``signature`` is Twilio's for ``url`` and the form, as the SDK checks it.

    The SDK's ``validate`` always signs two spellings of the URL (with and without the
    default port). The URL as we rebuild it is the one Twilio signs, so its signature is
    checked first; only when it differs does ``validate`` try both spellings.
    """
    validator = _validator(token)
    own = validator.compute_signature(url, request.form)
    if hmac.compare_digest(own.encode(), signature.encode()):
        return True
    return bool(validator.validate(url, request.form, signature))


def signed(view: F) -> F:
    """Refuse (403) any request not signed by Twilio with our auth token."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        """The view, once the signature checks out."""
        token = str(current_app.config["TWILIO_AUTH_TOKEN"])
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not current_app.config["PUBLIC_URL"] or not signature:
            abort(403)
        if not _valid(token, requested_url(), signature):
            abort(403)
        return view(*args, **kwargs)

    return cast(F, checked)


def expects(
    *, query: frozenset[str] = frozenset(), form: frozenset[str] = frozenset()
) -> Callable[[F], F]:
    """Refuse (400) query keys other than ``query`` or given twice, and ``form`` fields twice."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            """The view, once its parameters are the ones it gave Twilio."""
            args_seen = request.args
            if not set(args_seen) <= query:
                abort(400)
            if any(len(args_seen.getlist(key)) > 1 for key in args_seen):
                abort(400)
            if any(len(request.form.getlist(key)) > 1 for key in form):
                abort(400)
            sid = request.form.get("CallSid", "")
            if "CallSid" in form and sid and not is_call_sid(sid):
                abort(400)
            return view(*args, **kwargs)

        return cast(F, checked)

    return decorate


def _xml(document: str) -> Response:
    """A TwiML response."""
    return Response(document, mimetype="text/xml")


def _call(conn: Connection, public_id: str) -> CallRow:
    """The request named in the URL, or 404."""
    call = call_rows.load(conn, public_id)
    if call is None:
        abort(404)
    return call


def _context(conn: Connection, call: CallRow) -> webhooks.FlowContext:
    """The call flow's context for ``call``."""
    return _service().context_for(conn, call)


def _int_or_none(name: str) -> int | None:
    """A non-negative integer query parameter of at most 3 digits, or None."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 3:
        return None
    return int(value)


def _int_arg(name: str) -> int:
    """A non-negative integer query parameter; a missing or bad one is a 400."""
    value = _int_or_none(name)
    if value is None:
        abort(400)
    return value


def _rule(path: str) -> str:
    """A webhook path of ``calls.webhooks`` as a route: its call is the ``public_id``."""
    return path.format(call="<public_id>")


@bp.post(_rule(webhooks.ANSWER_PATH))
@signed
@expects(form=frozenset({"CallSid"}))
def answer(public_id: str) -> Response:
    """The supporter picked up: intro and menu."""
    call_sid = request.form.get("CallSid", "")
    with _database() as conn:
        call = _call(conn, public_id)
        document = webhooks.answer(conn, call, _context(conn, call), call_sid)
        conn.commit()
    return _xml(document)


@bp.post(_rule(webhooks.GATHER_PATH))
@signed
@expects(query=frozenset({"step"}), form=frozenset({"Digits"}))
def gather(public_id: str) -> Response:
    """A key pressed at a menu."""
    digits = request.form.get("Digits", "")[:4]
    with _database() as conn:
        call = _call(conn, public_id)
        step = _int_arg("step")  # after the call: an unknown call is a 404 first
        document = webhooks.gather(conn, call, _context(conn, call), step, digits)
        conn.commit()
    return _xml(document)


@bp.post(_rule(webhooks.DIAL_PATH))
@signed
@expects(
    query=frozenset({"step", "office"}), form=frozenset({"DialCallStatus", "DialCallDuration"})
)
def dial(public_id: str) -> Response:
    """A <Dial> to an office ended: count it, then move on."""
    form = request.form
    dial_status = form.get("DialCallStatus", "failed")[:20]
    duration = numbers.whole_number(form.get("DialCallDuration", ""), MAX_DURATION_DIGITS)
    step, office = _int_or_none("step"), _int_or_none("office")
    with _database() as conn:
        if step is None or office is None:
            _call(conn, public_id)  # an unknown call is a 404 first
            abort(400)
        # The call and whether this dial is counted already (a replay), in one SELECT.
        found = call_rows.load_dialled(conn, public_id, step, office)
        if found is None:
            abort(404)
        call, seen = found
        document = webhooks.dialled(
            conn,
            call,
            _context(conn, call),
            step=step,
            office=office,
            dial_status=dial_status,
            duration=duration,
            seen=seen,
        )
        conn.commit()
    return _xml(document)


@bp.post(_rule(webhooks.STATUS_PATH))
@signed
@expects(form=frozenset({"CallSid", "CallStatus"}))
def status(public_id: str) -> tuple[str, int]:
    """News about the supporter's leg; recorded once per (call, status)."""
    form = request.form
    call_sid, call_status = form.get("CallSid", ""), form.get("CallStatus", "")
    with _database() as conn:
        call = _call(conn, public_id)
        webhooks.status_changed(conn, call_sid, call_status, call)
        conn.commit()
    return "", 204


@bp.post(webhooks.FALLBACK_PATH)
@signed
@expects(query=frozenset({"lang", "office"}))
def fallback() -> Response:
    """When our answer failed or was too slow: sorry, and the office number. No database."""
    lang = request.args.get("lang", "en")
    number = None
    try:
        number, _extension = parse_office_phone(request.args.get("office", ""))
    except PhoneError:
        number = None
    document = twiml.fallback(
        office_number_spoken=number,
        voice=twiml.voice_for(lang),
        translate=translator(lang),
    )
    return _xml(document)

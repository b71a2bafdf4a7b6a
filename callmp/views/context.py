"""What every view shares: the app's services, the request's database session, languages.

The one home of the web layer's glue: typed access to ``callmp.services.Services``, the
postal lookup with this app's settings, the language, and what the session remembers
for a supporter (the referral code of a share link, the last lookup).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask import Flask, Request, abort, current_app, g, request, session
from flask.sessions import SessionMixin
from flask_babel import Babel
from sqlalchemy.orm import Session

from callmp.db import utcnow
from callmp.directory.lookup import Candidate, LookupResult, Settled, lookup, settle
from callmp.directory.postal_codes import PostalCodeError
from callmp.directory.postal_index import PostalIndex, get_index
from callmp.i18n import TRANSLATIONS_DIR
from callmp.models import Campaign, Riding
from callmp.services import Services
from callmp.stats.share_sources import clean_source
from callmp.views import form_tokens

LANG_SESSION_KEY = "lang"


#: The key of the app's ``Services`` in ``app.extensions``; read it through ``services()``.
SERVICES_KEY = "callmp"


def init_services(app: Flask, built: Services) -> None:
    """Keep ``built`` on ``app``; the request's database session closes at teardown."""
    app.extensions[SERVICES_KEY] = built

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        db_session: Session | None = g.pop("db_session", None)
        if db_session is not None:
            db_session.close()


def services(app: Flask | None = None) -> Services:
    """The services of ``app`` (default: the current app): database, queue, calls, mail."""
    found: Services = (app or current_app).extensions[SERVICES_KEY]
    return found


def db() -> Session:
    """The database session of the current request (created on first use)."""
    if "db_session" not in g:
        g.db_session = services().sessions()
    session: Session = g.db_session
    return session


def content_revision() -> int:
    """The content revision this request sees (read once per request by
    ``running.RevisionReader``, outside the request's session: a request whose page is
    kept needs no session)."""
    if "content_revision" not in g:
        g.content_revision = services().revision.read()
    revision: int = g.content_revision
    return revision


def running_campaign(slug: str) -> Campaign | None:
    """The running campaign ``slug`` (kept per process for this content revision).

    Shared between requests: read it, never change it or add it to a session.
    """
    return services().running.get(db, content_revision(), slug, utcnow())


def cached_ridings(fed_nums: Sequence[int]) -> dict[int, Riding]:
    """Ridings with their members (offices, corrections), kept per process for this
    content revision. Shared between requests: read them, never change them."""
    return services().running.ridings(db, content_revision(), fed_nums)


def riding_candidate(fed_num: int) -> Candidate | None:
    """The riding ``fed_num`` with its member (kept, see ``cached_ridings``), or None."""
    found = cached_ridings([fed_num]).get(fed_num)
    return Candidate(riding=found, member=found.member) if found is not None else None


def campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign with this id, or a 404."""
    campaign = db().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def postal_index() -> PostalIndex:
    """The shipped postal-code tables for this app's data folder."""
    return get_index(services().data_dir)


def select_locale() -> str:
    """``?lang=`` (remembered in the session), else the session, else the browser's choice."""
    config = current_app.config
    current: Request = request._get_current_object()  # type: ignore[attr-defined]
    saved: SessionMixin = session._get_current_object()  # type: ignore[attr-defined]
    locales: tuple[str, ...] = tuple(config["LOCALES"])
    asked = current.args.get("lang")
    if asked in locales:
        saved[LANG_SESSION_KEY] = asked
        language = asked
    elif saved.get(LANG_SESSION_KEY) in locales:
        language = str(saved[LANG_SESSION_KEY])
    else:
        best = current.accept_languages.best_match(locales)
        language = best or str(config["DEFAULT_LOCALE"])
    # Canadian conventions for dates and times ("15 h 40"); translations fall back to "fr".
    return f"{language}_CA"


def init_babel(app: Flask) -> None:
    """Flask-Babel with our locale selector and the package's translations."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_locale)


def lookup_postal_code(raw: str | None, *, count: bool = True) -> LookupResult:
    """Run the postal code lookup with this app's data and thresholds; count its kind
    (unless ``count`` is false: the caller counts)."""
    try:
        result = lookup(
            db(),
            postal_index(),
            raw,
            majority=current_app.config["FSA_MAJORITY_SHARE"],
            min_share=current_app.config["FSA_MIN_SHARE"],
            load=cached_ridings,
        )
    except PostalCodeError:
        if count:
            services().metrics.lookup("invalid")
        raise
    if count:
        services().metrics.lookup(str(result.match))
    return result


def settle_riding(
    raw: str | None,
    pick: int | None,
    *,
    code_required: bool,
    pick_must_match: bool,
    known: Candidate | None = None,
) -> Settled:
    """The supporter's riding from the postal code and the pick (see ``lookup.settle``).

    ``known``: the page's riding, already loaded (it is not loaded again).
    """
    return settle(
        db(),
        postal_index(),
        raw,
        pick,
        code_required=code_required,
        pick_must_match=pick_must_match,
        majority=current_app.config["FSA_MAJORITY_SHARE"],
        min_share=current_app.config["FSA_MIN_SHARE"],
        known=known,
        load=cached_ridings,
    )


_REFERRAL = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def clean_referral(raw: str) -> str:
    """A referral code as given on a share link (``?ref=``), or "" when it isn't one."""
    raw = raw.strip()
    return raw if _REFERRAL.fullmatch(raw) else ""


#: Session keys: the share link's referral code (per campaign), the last lookup and the
#: petition signature of this visitor's flow (the action ladder's first step).
REFERRAL_KEY = "ref"
LOOKUP_KEY = "lookup"
SIGNATURE_KEY = "petition"


def remember_referral() -> None:
    """A campaign link's ``?ref=`` code and ``&src=`` share channel are kept so the
    contacts they bring are credited (either may come alone)."""
    current: Request = request._get_current_object()  # type: ignore[attr-defined]
    args = current.args
    if not args:  # most requests: nothing to remember
        return
    slug = (current.view_args or {}).get("slug")
    code = clean_referral(args.get("ref", ""))
    source = clean_source(args.get("src"))
    if slug and (code or source):
        session[REFERRAL_KEY] = {"slug": slug, "code": code, "src": source}


def referral_state(slug: str) -> dict[str, Any]:
    """The referral dict for campaign ``slug``: the session's, else the one the request's
    signed form token or state link carries (embedded pages get no cookie), else {}."""
    saved = session.get(REFERRAL_KEY)
    if isinstance(saved, dict) and saved.get("slug") == slug:
        return dict(saved)
    carried = form_tokens.carried_state().get("ref")
    if isinstance(carried, dict) and carried.get("slug") == slug:
        return dict(carried)
    return {}


def referral_for(slug: str) -> str:
    """The referral code remembered for campaign ``slug``, or ""."""
    return str(referral_state(slug).get("code", ""))


def share_source_for(slug: str) -> str:
    """The share channel remembered for campaign ``slug`` (one of ``SOURCES``), or ""."""
    return clean_source(str(referral_state(slug).get("src", "")))


def remember_lookup(slug: str, result: LookupResult) -> None:
    """Keep a lookup made on campaign ``slug``: its postal code, how sure, its ridings."""
    session[LOOKUP_KEY] = {
        "slug": slug,
        "postal_code": result.postal_code,
        "match": str(result.match),
        "ridings": [c.riding.fed_num for c in result.candidates],
        "shares": [c.share for c in result.candidates],
    }


def last_lookup(slug: str) -> dict[str, Any] | None:
    """The session's last lookup when it was made on this campaign."""
    last = session.get(LOOKUP_KEY)
    if isinstance(last, dict) and last.get("slug") == slug:
        return last
    # Without a cookie: the ridings and match a signed token carries (no postal code).
    carried = form_tokens.carried_state().get("lookup")
    if isinstance(carried, dict) and carried.get("slug") == slug:
        return {**carried, "postal_code": None}
    return None


def remember_signature(slug: str, public_id: str) -> None:
    """Keep the signature just made on campaign ``slug``: its next steps are credited to it."""
    session[SIGNATURE_KEY] = {"slug": slug, "sig": public_id}


def signature_state(slug: str) -> dict[str, Any]:
    """The signature dict for campaign ``slug``: the session's, else the one the request's
    signed form token or state link carries, else {}."""
    saved = session.get(SIGNATURE_KEY)
    if isinstance(saved, dict) and saved.get("slug") == slug:
        return dict(saved)
    carried = form_tokens.carried_state().get("petition")
    if isinstance(carried, dict) and carried.get("slug") == slug:
        return dict(carried)
    return {}


def signature_for(slug: str) -> str:
    """The public id of the signature this flow made on campaign ``slug``, or ""."""
    found = signature_state(slug).get("sig")
    return found if isinstance(found, str) else ""


def remember_settled_lookup(slug: str, postal_code: str, fed_num: int, match: str) -> None:
    """Keep a settled riding as the last lookup: the riding and letter pages of the ladder
    then know the postal code (kept in the session only, never in a link) and the riding."""
    session[LOOKUP_KEY] = {
        "slug": slug,
        "postal_code": postal_code,
        "match": match,
        "ridings": [fed_num],
        "shares": [None],
    }

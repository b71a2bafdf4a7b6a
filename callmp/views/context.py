"""Flask glue shared by the views: the request's database session, languages, the index."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, current_app, g, request, session
from flask_babel import Babel
from sqlalchemy.orm import Session, sessionmaker

from callmp.db import make_engine, make_session_factory
from callmp.directory.lookup import LookupResult, Settled, lookup, settle
from callmp.directory.postal_index import PostalIndex, get_index
from callmp.i18n import TRANSLATIONS_DIR

LANG_SESSION_KEY = "lang"


def init_database(app: Flask) -> None:
    """One engine and session factory per app; the request's session closes at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["callmp.engine"] = engine
    app.extensions["callmp.sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        db_session: Session | None = g.pop("db_session", None)
        if db_session is not None:
            db_session.close()


def db() -> Session:
    """The database session of the current request (created on first use)."""
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions["callmp.sessions"]
        g.db_session = factory()
    session: Session = g.db_session
    return session


def postal_index() -> PostalIndex:
    """The shipped postal-code tables for this app's data folder."""
    data_dir: Path = current_app.extensions["callmp.data_dir"]
    return get_index(data_dir)


def select_locale() -> str:
    """``?lang=`` (remembered in the session), else the session, else the browser's choice."""
    locales: tuple[str, ...] = tuple(current_app.config["LOCALES"])
    asked = request.args.get("lang")
    if asked in locales:
        session[LANG_SESSION_KEY] = asked
        language = asked
    elif session.get(LANG_SESSION_KEY) in locales:
        language = str(session[LANG_SESSION_KEY])
    else:
        best = request.accept_languages.best_match(locales)
        language = best or str(current_app.config["DEFAULT_LOCALE"])
    # Canadian conventions for dates and times ("15 h 40"); translations fall back to "fr".
    return f"{language}_CA"


def init_babel(app: Flask) -> None:
    """Flask-Babel with our locale selector and the package's translations."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_locale)


def lookup_postal_code(raw: str | None) -> LookupResult:
    """Run the postal code lookup with this app's data and thresholds."""
    return lookup(
        db(),
        postal_index(),
        raw,
        majority=current_app.config["FSA_MAJORITY_SHARE"],
        min_share=current_app.config["FSA_MIN_SHARE"],
    )


def settle_riding(
    raw: str | None, pick: int | None, *, code_required: bool, pick_must_match: bool
) -> Settled:
    """The supporter's riding from the postal code and the pick (see ``lookup.settle``)."""
    return settle(
        db(),
        postal_index(),
        raw,
        pick,
        code_required=code_required,
        pick_must_match=pick_must_match,
        majority=current_app.config["FSA_MAJORITY_SHARE"],
        min_share=current_app.config["FSA_MIN_SHARE"],
    )


_REFERRAL = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def clean_referral(raw: str) -> str:
    """A referral code as given on a share link (``?ref=``), or "" when it isn't one."""
    raw = raw.strip()
    return raw if _REFERRAL.fullmatch(raw) else ""

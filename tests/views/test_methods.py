"""Only POST reaches a save path: HEAD and OPTIONS, with or without a body, change nothing.

Flask answers HEAD with the GET view and Flask-WTF's CSRF check skips HEAD, so a view
that saves on "anything but GET" saved on a HEAD with no token (the audit found a lead's
HEAD emptying a target's filters, and a HEAD with a body changing an office's phone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callmp.db import Base
from callmp.models import Role, User
from callmp.views.riding_page import CLIENT_KEY
from tests.support.app import engine, log_in, sessions
from tests.support.routes import every_url, url_values

#: Routes that take GET and POST on one view, and why that is safe: they save nothing.
READ_ONLY_GET_AND_POST = {"api.lookup_postal_code"}  # a lookup; nothing is stored


def test_no_view_takes_both_get_and_post(app: Flask) -> None:
    mixed = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if {"GET", "POST"} <= (rule.methods or set())
    }
    assert mixed == READ_ONLY_GET_AND_POST, "split saves into an @bp.post view"


def _snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the whole database is small in tests)."""
    with engine(app).connect() as connection:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in connection.execute(select(table))),
            )
            for table in Base.metadata.sorted_tables
        }


def _body(values: dict[str, Any]) -> dict[str, str]:
    """A form that would change something on any save path it reached."""
    return {
        "postal_code": "K1A 0A6",
        "target": f"phone:{values['office_id']}",
        "value": "+1 613 555 0123",
        "note": "changed by a HEAD request",
        "parties": "",
        "provinces": "",
        "role_en": "Changed",
        "role_fr": "Changé",
        "name": "Changed Name",
        "email": "changed@example.org",
        "password": "a brand new passphrase",
        "current": "correct horse battery staple",
        "new": "a brand new passphrase",
        "role": "organizer",
        "slug": "changed-slug",
        "title_en": "Changed",
        "phone": "+1 613 555 0123",
    }


#: Keys any page view may add: a rendered form's CSRF token, Flask-Login's freshness and
#: session id, and the riding page's visitor id for self-report limits (random, no data).
_REFRESHED = {"csrf_token", "_fresh", "_id", CLIENT_KEY}


def _session_data(client: FlaskClient) -> dict[str, Any]:
    """The client's session, without what any page view may refresh (``_REFRESHED``)."""
    with client.session_transaction() as flask_session:
        return {k: v for k, v in flask_session.items() if k not in _REFRESHED}


def test_head_and_options_change_nothing_on_any_url(
    app: Flask, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.admin)
    client = app.test_client()
    log_in(client, admin)
    with sessions(app)() as session:
        values = url_values(session)
    before = _snapshot(app)
    for _endpoint, _methods, url in every_url(app):
        for method in ("HEAD", "OPTIONS"):
            for body in (None, _body(values)):
                seen_session = _session_data(client)
                response = client.open(url, method=method, data=body)
                response.close()
                what = (method, url, body is not None, response.status_code)
                assert response.status_code < 500, what
                assert _session_data(client) == seen_session, what
                assert _snapshot(app) == before, what
    # Still logged in: nothing above logged the admin out.
    assert client.get("/admin/users").status_code == 200

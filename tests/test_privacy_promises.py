"""The README's privacy promises, checked end to end.

A supporter looks up a postal code, asks to be called, reports a call, writes and confirms
a letter, and uses the JSON API; each flow is also sent bad input, and a database error is
provoked in the middle of a letter. Then:

- no log line (pytest's capture and a stream handler of our own on the root logger, at
  DEBUG) holds the supporter's phone number, email address, name or postal code, in any
  spelling;
- no URL the app answered with or links to (redirects, links, form actions, images)
  holds them;
- no page that someone else sees (another visitor, an organizer's dashboard and exports,
  the counts API) holds them.
"""

from __future__ import annotations

import email
import email.policy
import io
import logging
import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text as sql
from werkzeug.test import TestResponse

from callmp.demo import DEMO_SLUG
from callmp.models import Role, User
from tests.factories import demo_campaign
from tests.support.app import engine, log_in, sessions
from tests.support.html import form_fields, one, parse

NAME = "Apolline Privé"
EMAIL = "apolline.prive@example.org"
PHONE = "613-555-0187"
POSTAL_CODE = "M5V 3L9"
#: Every spelling in which each could leak.
SECRETS = [
    NAME,
    "Apolline",
    EMAIL,
    "apolline.prive",
    EMAIL.replace("@", "%40"),
    PHONE,
    "+16135550187",
    "6135550187",
    "613.555.0187",
    "5550187",
    "555-0187",
    POSTAL_CODE,
    "M5V3L9",
    "M5V+3L9",
    "M5V%203L9",
    "m5v3l9",
]
CAMPAIGN = f"/c/{DEMO_SLUG}"
RIDING = f"{CAMPAIGN}/riding/35100"
LETTER = {
    "name": NAME,
    "email": EMAIL,
    "postal_code": POSTAL_CODE,
    "city": "Toronto",
    "personal_line": "I live here and this matters to my family.",
}


def _leaks(body: str) -> list[str]:
    """The secrets found in ``body`` (case-insensitive)."""
    lowered = body.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


class Recorder:
    """A test client's answers: every URL asked for and answered with, and the bodies."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.urls: list[str] = []

    def _seen(self, url: str, response: TestResponse) -> TestResponse:
        self.urls.append(url)
        if "Location" in response.headers:
            self.urls.append(response.headers["Location"])
        if response.mimetype == "text/html":
            soup = parse(response.data)
            for tag in soup.select("[href], [src], [action]"):
                for attribute in ("href", "src", "action"):
                    if tag.has_attr(attribute):
                        self.urls.append(str(tag[attribute]))
        return response

    def get(self, url: str) -> TestResponse:
        """GET ``url``, recording it."""
        return self._seen(url, self.client.get(url))

    def post(self, url: str, **kwargs: object) -> TestResponse:
        """POST to ``url``, recording it."""
        return self._seen(url, self.client.post(url, **kwargs))


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    """Everything logged anywhere at DEBUG and up, as a handler on the root logger sees it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _plain_text(path: Path) -> str:
    """The plain-text body of the message in the ``.eml`` file at ``path``."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def _form(recorder: Recorder, url: str, selector: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the first form ``selector`` on the page at ``url``."""
    page = recorder.get(url)
    assert page.status_code == 200, url
    form = parse(page.data).select(selector)[0]
    return str(form.get("action") or url), form_fields(form)


def _supporter_flows(recorder: Recorder, outbox: Path) -> list[str]:
    """Every flow a supporter goes through, with bad input on the way; their status pages."""
    status_pages: list[str] = []
    # Lookup, by the campaign page's form (a bad code first).
    action, fields = _form(recorder, CAMPAIGN, "form[method=post]")
    assert recorder.post(action, data={**fields, "postal_code": "M5V 3L"}).status_code == 400
    found = recorder.post(action, data={**fields, "postal_code": POSTAL_CODE})
    assert found.status_code in (302, 303)
    # Call me (a toll-free number first, then the real one).
    action, fields = _form(recorder, RIDING, ".call-me form")
    refused = recorder.post(action, data={**fields, "phone": "1-800-555-0187", "consent": "y"})
    assert refused.status_code == 400
    called = recorder.post(action, data={**fields, "phone": PHONE, "consent": "y"})
    assert called.status_code == 303
    status_pages.append(called.headers["Location"])
    recorder.get(called.headers["Location"])
    # A direct-call report.
    action, fields = _form(recorder, RIDING, "form.report")
    recorder.post(action, data={**fields, "outcome": "left_voicemail"})
    # A letter: a bad address first, then preview, send and confirm.
    write = f"{RIDING}/email"
    action, fields = _form(recorder, write, "form[method=post]")
    bad = recorder.post(action, data={**fields, **LETTER, "email": "apolline@", "action": "send"})
    assert bad.status_code == 400
    preview = recorder.post(action, data={**fields, **LETTER, "action": "preview"})
    assert preview.status_code == 200
    form = one(parse(preview.data), "form[method=post]")
    sent = recorder.post(str(form["action"]), data={**form_fields(form), "action": "send"})
    assert sent.status_code == 303
    status_pages.append(sent.headers["Location"])
    link = next(
        line.strip()
        for path in outbox.glob("*.eml")
        for line in _plain_text(path).splitlines()
        if "/emails/confirm/" in line
    )
    confirm = re.sub(r"^https?://[^/]+", "", link)
    action, fields = _form(recorder, confirm, "main form[method=post]")
    assert recorder.post(action, data=fields).status_code == 303
    # The JSON API, with bad input too.
    api = f"/api/v1/campaigns/{DEMO_SLUG}"
    recorder.post("/api/v1/lookup", json={"postal_code": POSTAL_CODE})
    recorder.post("/api/v1/lookup", json={"postal_code": "M5V 3L"})
    recorder.post(f"{api}/calls", json={"phone": "555-0187", "postal_code": POSTAL_CODE})
    recorder.post(f"{api}/calls", json={"phone": PHONE, "postal_code": "Z5V 3L9"})
    recorder.post(f"{api}/emails", json={**LETTER, "email": "apolline@"})
    recorder.post(f"{api}/emails", data=LETTER)  # not JSON
    recorder.get(f"{api}/counts")
    return status_pages


def _refuse_letters(app: Flask) -> None:
    """Make the database refuse every new letter (a real error, as from a lock or a bug)."""
    with engine(app).begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(
                sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON email_submissions "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        else:
            connection.execute(
                sql(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON email_submissions "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )


def test_no_log_line_url_or_other_persons_page_holds_a_supporters_data(
    make_app: Callable[..., Flask],
    outbox: Path,
    make_user: Callable[..., User],
    root_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    supporter = Recorder(app.test_client())
    status_pages = _supporter_flows(supporter, outbox)

    # A database error in the middle of a letter: a 5xx page, and an error logged.
    _refuse_letters(app)
    action, fields = _form(supporter, f"{RIDING}/email", "form[method=post]")
    second = {**fields, **LETTER, "email": "apolline.prive+2@example.org"}
    preview = supporter.post(action, data={**second, "action": "preview"})
    form = one(parse(preview.data), "form[method=post]")
    failed = supporter.post(str(form["action"]), data={**form_fields(form), "action": "send"})
    assert failed.status_code >= 500
    assert _leaks(failed.get_data(as_text=True)) == []
    assert any(record.levelno >= logging.ERROR for record in caplog.records)

    # What others see: another visitor at the supporter's status pages, an organizer.
    stranger = Recorder(app.test_client())
    others: list[TestResponse] = [stranger.get(url) for url in status_pages]
    staff_client = app.test_client()
    log_in(staff_client, make_user(Role.organizer))
    organizer = Recorder(staff_client)
    with sessions(app)() as session:
        campaign_id = demo_campaign(session).id
    for url in (
        f"/admin/campaigns/{campaign_id}",
        f"/admin/campaigns/{campaign_id}/dashboard",
        f"/admin/campaigns/{campaign_id}/dashboard/offices.csv",
        f"/admin/campaigns/{campaign_id}/dashboard/events.csv",
        f"/api/v1/campaigns/{DEMO_SLUG}/counts",
    ):
        others.append(organizer.get(url))

    for response in others:
        assert response.status_code < 400
        assert _leaks(response.get_data(as_text=True)) == []
    for url in supporter.urls + stranger.urls + organizer.urls:
        assert _leaks(url) == [], url
    assert _leaks(root_log.getvalue()) == []
    assert _leaks(caplog.text) == []
    assert _leaks("\n".join(record.getMessage() for record in caplog.records)) == []

"""The letter API: ``POST /api/v1/campaigns/<slug>/emails`` for partner sites and scripts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from callmp.demo import DEMO_SLUG
from callmp.models import Campaign, EmailMessage, EmailSubmission
from tests.support.app import engine, sessions
from tests.support.statements import statements

API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
SPLIT = "V6B 9Z9"  # unknown code in an area split between ridings
LETTER = {"name": "Sam Lee", "email": "sam.lee@example.org", "postal_code": "K2P 1L4"}


def post(client: FlaskClient, **fields: Any) -> tuple[int, dict[str, Any]]:
    """POST a letter; the status code and JSON body."""
    response = client.post(API, json={**LETTER, **fields})
    return response.status_code, response.json or {}


def stored(app: Flask) -> int:
    """How many submissions are stored."""
    with sessions(app)() as session:
        return int(session.scalar(select(func.count()).select_from(EmailSubmission)) or 0)


def test_a_letter_is_accepted_with_its_id_and_awaits_confirmation(app: Flask) -> None:
    status, body = post(app.test_client())
    assert status == 202
    assert body["status"] == "awaiting_confirmation"
    assert isinstance(body["id"], str) and len(body["id"]) >= 16
    assert len(body["recipients"]) == 2
    assert "sam.lee@example.org" not in str(body)  # the address is never echoed back
    assert stored(app) == 1


def test_without_confirmation_the_letter_is_queued_at_once(app: Flask) -> None:
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    status, body = post(app.test_client(), body="Please act now, {mp_name}.")
    assert (status, body["status"]) == (202, "queued")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"email": "not an address"}, "email"),
        ({"email": ""}, "email"),
        ({"postal_code": "12345"}, "postal_code"),
        ({"postal_code": None}, "postal_code"),
        ({"subject": "Hi\r\nBcc: all@example.org"}, "subject"),
        ({"body": "x" * 9000}, "body"),
        ({"personal_line": "y" * 1001}, "personal_line"),
    ],
)
def test_bad_fields_get_a_400_naming_the_field_and_nothing_is_stored(
    app: Flask, fields: dict[str, Any], field: str
) -> None:
    status, body = post(app.test_client(), **fields)
    assert status == 400
    assert body["field"] == field and body["error"] and field in body["errors"]
    assert stored(app) == 0


def test_every_bad_field_is_reported_at_once(app: Flask) -> None:
    status, body = post(app.test_client(), name="", email="nope", postal_code="Z")
    assert status == 400
    assert set(body["errors"]) == {"name", "email", "postal_code"}


def test_a_split_area_asks_for_the_riding_then_accepts_one_of_its_candidates(
    app: Flask,
) -> None:
    client = app.test_client()
    status, body = post(client, postal_code=SPLIT)
    assert (status, body["reason"], body["field"]) == (400, "choose_riding", "fed_num")
    choices = [r["fed_num"] for r in body["ridings"]]
    assert len(choices) >= 2
    assert post(client, postal_code=SPLIT, fed_num=99999)[0] == 400
    status, body = post(client, postal_code=SPLIT, fed_num=str(choices[1]))
    assert status == 202


def test_a_body_that_is_not_a_json_object_is_refused(app: Flask) -> None:
    client = app.test_client()
    for data in ("[1, 2]", "not json", '"text"'):
        response = client.post(API, data=data, content_type="application/json")
        assert response.status_code == 400
        assert response.json and response.json["reason"] == "not_json"


def test_unknown_campaigns_and_campaigns_without_email_are_404(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/api/v1/campaigns/nope/emails", json=LETTER).status_code == 404
    with sessions(app)() as session:
        session.execute(update(Campaign).values(emails=False))
        session.commit()
    assert client.post(API, json=LETTER).status_code == 404


def test_a_mailto_campaign_says_so(app: Flask) -> None:
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_mailto=True))
        session.commit()
    status, body = post(app.test_client())
    assert (status, body["reason"]) == (409, "mailto_only")
    assert stored(app) == 0


def test_lang_picks_the_language_of_errors_and_of_the_letter(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    client = app.test_client()
    _, english = post(client, name="")
    _, french = post(client, name="", lang="fr")
    assert english["error"] != french["error"]
    status, _ = post(client, lang="fr")
    assert status == 202
    with sessions(app)() as session:
        (submission,) = session.scalars(select(EmailSubmission))
        assert submission.locale == "fr"
        letters = [m for m in submission.messages if m.kind == "letter"]
        assert all(m.locale == "fr" for m in letters)
        greetings = sorted((m.body or "").split("\n")[0] for m in letters)
        # Each by name (no "L'hon."): the demo's minister is a post, which has no gender.
        assert all(g.startswith("Bonjour ") and "hon." not in g for g in greetings)
        assert "Bonjour Lena Metlege Diab," in greetings


def _email_statements(app: Flask, **fields: Any) -> list[str]:
    """The statements on the letter tables while one more letter is answered (202)."""
    client = app.test_client()
    with statements(engine(app)) as seen:
        status, body = post(client, **fields)
    assert status == 202, body
    words = ("email_submissions", "email_messages", "contact_events")
    return [" ".join(sql.split()) for sql in seen if any(word in sql for word in words)]


def _kinds(sqls: list[str]) -> list[str]:
    """Each statement as its verb and first table (``INSERT email_messages``)."""
    kinds = []
    for sql in sqls:
        verb = sql.split()[0].upper()
        table = next(
            w for w in sql.replace("(", " ").split() if w.startswith(("email_", "contact_"))
        )
        kinds.append(f"{verb} {table.split('.')[0]}")
    return kinds


@pytest.mark.parametrize("confirm", [True, False])
def test_a_letter_is_checked_in_one_select_and_stored_in_one_insert_per_table(
    make_app: Callable[..., Flask], tmp_path: Path, confirm: bool
) -> None:
    """Two targets and (with confirmation) the supporter's link: every message of a letter
    goes in one INSERT, its contact events in another, after one SELECT for all the checks
    and the same-words count the answer reports. The queue keeps the jobs (none runs)."""
    app = make_app(QUEUE="sqlite", QUEUE_PATH=str(tmp_path / "queue.db"))
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=confirm))
        session.commit()
    post(app.test_client(), email="first@example.org")  # warm: nothing here is first-time
    sqls = _email_statements(app)
    counted = [] if confirm else ["INSERT contact_events"]
    assert _kinds(sqls) == [
        "SELECT email_submissions",  # the hourly, same-words and duplicate checks
        "INSERT email_submissions",
        "INSERT email_messages",
        *counted,
    ], sqls
    # The letter to each of the two targets, and the link to confirm: one statement.
    messages = sqls[2]
    assert messages.count("?") == (3 if confirm else 2) * messages.split("VALUES")[1].split(")")[
        0
    ].count("?"), messages
    with sessions(app)() as session:
        kinds = session.scalars(
            select(EmailMessage.kind).order_by(EmailMessage.id.desc()).limit(3 if confirm else 2)
        ).all()
    assert sorted(kinds) == (["confirmation", "letter", "letter"] if confirm else ["letter"] * 2)


def test_an_edit_of_the_letter_is_seen_by_the_next_letter(app: Flask) -> None:
    """The draft a letter starts from is kept per process for a content revision: an edit
    of the campaign's text makes new words (no earlier letter has them)."""
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    client = app.test_client()
    assert post(client, email="ana@example.org")[1]["identical"] == 0
    assert post(client, email="ben@example.org")[1]["identical"] == 1
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_body_en="New words, {mp_name}."))
        session.commit()
    assert post(client, email="cy@example.org")[1]["identical"] == 0
    assert post(client, email="di@example.org")[1]["identical"] == 1

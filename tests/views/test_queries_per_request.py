"""Public pages and the API run a fixed number of SQL statements, however many offices.

Each statement is counted on the app's engine; a lazy load per office or per person (the
corrections a page shows beside a number or an address) would make the count grow with
the data, which is what these tests catch.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from callmp.demo import DEMO_SLUG
from callmp.directory import corrections
from callmp.models import Campaign, OfficeKind, Person, User
from callmp.views.context import services
from tests.factories import demo_campaign, make_office, mp
from tests.support.app import call_service, engine
from tests.support.html import parse
from tests.support.statements import statements

SPADINA = 35100  # Chi Nguyen: a Hill office and a Toronto office
SPADINA_CODE = "M5V 3L9"
RIDING_PAGE = f"/c/{DEMO_SLUG}/riding/{SPADINA}"
LOOKUP = "/api/v1/lookup"

#: The most statements each request may run (they must not grow with the data either).
# The content revision: an answer is kept per revision (a new one loads the riding with
# its member, offices and corrections in one more).
LOOKUP_BUDGET = 1
# The content revision (the campaign and its targets are kept per revision); the riding.
RIDING_PAGE_BUDGET = 2


def count(app: Flask, url: str, **query: str) -> int:
    """Statements one GET of ``url`` runs, from a fresh client (no earlier lookup)."""
    client = app.test_client()
    client.get(url, query_string=query)  # connections opened, caches warm
    with statements(engine(app)) as seen:
        response = client.get(url, query_string=query)
    assert response.status_code == 200
    return len(seen)


def test_a_kept_riding_page_opens_no_session(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its campaign, riding and page are kept: it reads the revision on a pooled
    connection, and no ORM session is made for it."""
    count(app, RIDING_PAGE)  # the campaign, the ridings and the page kept
    made: list[Session] = []
    built = services(app)
    real = built.sessions

    def counted(*args: Any, **kwargs: Any) -> Session:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(built, "sessions", counted)
    count(app, RIDING_PAGE)
    assert made == []


def more_offices_all_corrected(session: Session, lead: User, person: Person, n: int) -> None:
    """Give ``person`` ``n`` more offices and correct every office's phone and their email."""
    for position in range(n):
        make_office(
            session,
            person,
            kind=OfficeKind.other,
            position=50 + position,
            label_en=f"Office {position}",
            phone=f"+1613555{150 + position:04d}",
        )
    for office in person.offices:
        corrections.correct(
            session, lead, person, "phone", f"613-555-{170 + office.id:04d}", office=office
        )
    corrections.correct(session, lead, person, "email", f"fixed.{person.id}@parl.gc.ca")


def test_lookup_and_riding_page_queries_do_not_grow_with_offices_and_corrections(
    app: Flask, session: Session, make_user: Callable[..., User]
) -> None:
    lookup_before = count(app, LOOKUP, postal_code=SPADINA_CODE)
    page_before = count(app, RIDING_PAGE)
    assert lookup_before <= LOOKUP_BUDGET
    assert page_before <= RIDING_PAGE_BUDGET

    lead = make_user("lead")
    campaign: Campaign = demo_campaign(session)
    # The minister's offices: those of the demo portfolio's office contact.
    portfolio = campaign.targets[1].portfolio
    assert portfolio is not None and portfolio.office_person is not None
    minister = portfolio.office_person
    member = mp(session, SPADINA)
    more_offices_all_corrected(session, lead, member, 3)
    more_offices_all_corrected(session, lead, minister, 2)
    offices = len(member.offices) + len(minister.offices)
    session.commit()

    assert count(app, LOOKUP, postal_code=SPADINA_CODE) == lookup_before
    assert count(app, RIDING_PAGE) == page_before

    # The corrections loaded with the offices are the ones shown.
    body = app.test_client().get(LOOKUP, query_string={"postal_code": SPADINA_CODE}).get_json()
    shown = body["ridings"][0]["member"]
    assert len(shown["offices"]) == 5
    assert all(office["phone_corrected_on"] for office in shown["offices"])
    assert shown["email_corrected_on"]
    page = parse(app.test_client().get(RIDING_PAGE).data)
    assert len(page.select(".office-status .corrected")) == offices


def riding_loads(
    app: Flask, post: Callable[[FlaskClient], TestResponse], status: int
) -> tuple[int, int]:
    """Statements reading ridings while ``post`` is answered the first time and the second.

    Ridings with their members are kept per process for a content revision: the first
    request loads them, all in one statement (with what any page shows of them), the next
    one none."""
    client = app.test_client()
    loads = []
    for _ in range(2):
        with statements(engine(app)) as seen:
            assert post(client).status_code == status
        loads.append(sum(1 for sql in seen if "FROM ridings" in sql))
    return loads[0], loads[1]


#: Loaded once, then kept.
ONCE = (1, 0)


def phone() -> str:
    """A fictional phone number, another one each time (the limits count per number)."""
    return f"613-555-01{next(_phones):02d}"


_phones = itertools.count(10)


@pytest.fixture
def queued_app(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[[], Flask]:
    """New apps (each with its own per-process caches, as a new process) whose queue keeps
    jobs for a worker (none runs), without CSRF tokens."""
    return lambda: make_app(
        QUEUE="sqlite", QUEUE_PATH=str(tmp_path / "queue.db"), WTF_CSRF_ENABLED=False
    )


def test_a_call_request_loads_the_riding_once(queued_app: Callable[[], Flask]) -> None:
    def api(client: FlaskClient) -> TestResponse:
        body = {"phone": phone(), "postal_code": SPADINA_CODE, "lang": "en"}
        return client.post(f"/api/v1/campaigns/{DEMO_SLUG}/calls", json=body)

    def form(client: FlaskClient) -> TestResponse:
        return client.post(f"{RIDING_PAGE}/call", data={"phone": phone(), "consent": "y"})

    # The lookup, the riding chosen and the call's plan used to load it three times.
    assert riding_loads(queued_app(), api, 202) == ONCE
    assert riding_loads(queued_app(), form, 303) == ONCE


def test_a_letter_loads_the_riding_once(queued_app: Callable[[], Flask]) -> None:
    letters = itertools.count()

    def letter() -> dict[str, str]:
        address = f"sam{next(letters)}@example.org"
        return {"name": "Sam Lee", "email": address, "postal_code": SPADINA_CODE}

    def api(client: FlaskClient) -> TestResponse:
        return client.post(f"/api/v1/campaigns/{DEMO_SLUG}/emails", json={**letter(), "lang": "en"})

    def form(client: FlaskClient) -> TestResponse:
        data = {**letter(), "fed_num": str(SPADINA), "action": "send"}
        return client.post(f"{RIDING_PAGE}/email", data=data)

    assert riding_loads(queued_app(), api, 202) == ONCE
    assert riding_loads(queued_app(), form, 303) == ONCE


def test_a_call_request_commits_once_and_opens_no_queue_database(
    queued_app: Callable[[], Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored as queued in its INSERT, then pushed: no second transaction marks it queued,
    and Huey's SQLite queue keeps its one connection per process (no open per request)."""
    opened: list[object] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        """Count a new connection to a SQLite file outside SQLAlchemy's pool (the queue's)."""
        opened.append(args[0] if args else kwargs.get("database"))
        connection: sqlite3.Connection = real_connect(*args, **kwargs)
        return connection

    def api(client: FlaskClient) -> TestResponse:
        body = {"phone": phone(), "postal_code": SPADINA_CODE, "lang": "en"}
        return client.post(f"/api/v1/campaigns/{DEMO_SLUG}/calls", json=body)

    def form(client: FlaskClient) -> TestResponse:
        return client.post(f"{RIDING_PAGE}/call", data={"phone": phone(), "consent": "y"})

    app = queued_app()
    client = app.test_client()
    assert api(client).status_code == 202  # warm: the queue's connection is open from now on
    huey = call_service(app).huey
    jobs = huey.pending_count()
    commits: list[object] = []

    def committed(connection: object) -> None:
        """Count one COMMIT."""
        commits.append(connection)

    bound = engine(app)
    event.listen(bound, "commit", committed)
    monkeypatch.setattr(sqlite3, "connect", connect)
    try:
        with statements(bound) as seen:
            answered = [api(client).status_code, form(client).status_code, api(client).status_code]
    finally:
        event.remove(bound, "commit", committed)
    assert answered == [202, 303, 202]
    assert len(commits) == 3  # one per request: the request itself
    assert [sql for sql in seen if sql.lstrip().upper().startswith("UPDATE")] == []
    assert opened == []
    assert huey.pending_count() == jobs + 3


def test_a_queued_call_is_answered_queued_without_reading_it_again(
    queued_app: Callable[[], Flask],
) -> None:
    """With a queue that waits for a worker, the API answers the status it just stored;
    only an inline queue (tests, demos) has moved the call on, so only it reads it back."""
    app = queued_app()
    client = app.test_client()
    body = {"phone": phone(), "postal_code": SPADINA_CODE, "lang": "en"}
    url = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
    client.post(url, json=body)  # warm: the campaign and the riding are kept
    with statements(engine(app)) as seen:
        answer = client.post(url, json={**body, "phone": phone()})
    assert answer.status_code == 202
    assert answer.get_json()["status"] == "queued"
    inserted = [sql for sql in seen if sql.lstrip().upper().startswith("INSERT INTO CALL_REQUESTS")]
    assert len(inserted) == 1
    after = seen[seen.index(inserted[0]) + 1 :]
    assert not [sql for sql in after if "FROM call_requests" in sql], after

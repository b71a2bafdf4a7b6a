"""Privacy requests: find a person by keyed hash, show, export and erase; counts stay."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import String, inspect, or_, select

from callmp.db import utcnow
from callmp.letters.records import MailSettings
from callmp.models import (
    AuditEntry,
    CallRequest,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    PetitionSignature,
    Role,
    User,
)
from callmp.models.consent import ConsentRecord
from callmp.petitions import delivery
from tests.factories import demo_campaign, make_signature
from tests.support.app import sessions
from tests.support.dashboard import headline
from tests.support.html import form_fields, one, parse, text
from tests.supporters.helpers import JEANNE, JEANNE_PHONE, email_hash, populate

COUNTS = "/api/v1/campaigns/status-for-all/counts"
SEARCH = "/admin/privacy-requests"
#: What identifies Jeanne anywhere: her address, name, number and words.
HERS = (JEANNE, "Jeanne Roy", JEANNE_PHONE, "I live here.", "Please act.")


def _search(client: FlaskClient, kind: str, value: str) -> bytes:
    page = parse(client.get(SEARCH).data)
    fields = form_fields(one(page, "form.privacy-search"))
    response = client.post(SEARCH, data={**fields, "kind": kind, "value": value})
    assert response.status_code == 200
    return response.get_data()


def _counts(client: FlaskClient) -> dict[str, Any]:
    """The public counts API's answer, without its time."""
    body: dict[str, Any] = client.get(COUNTS).get_json() or {}
    body.pop("as_of", None)
    assert body["total"] > 0
    return body


def _form(page: BeautifulSoup, ending: str) -> Tag:
    """The page's form whose action ends with ``ending``."""
    return next(f for f in page.select("form") if str(f.get("action", "")).endswith(ending))


def _held(app: Flask) -> list[str]:
    """Every text value of every row in the tables that hold supporters' data."""
    values: list[str] = []
    with sessions(app)() as session:
        for model in (
            EmailSubmission,
            EmailMessage,
            PetitionSignature,
            CallRequest,
            ConsentRecord,
            AuditEntry,
        ):
            mapper: Any = inspect(model)
            columns = [
                c for c in mapper.columns if isinstance(c.type, String) or c.type.python_type is str
            ]
            for row in session.execute(select(*columns)).all():
                values.extend(str(v) for v in row if v is not None)
    return values


def test_search_by_email_shows_everything_and_is_audited(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    login_as(Role.admin)
    page = parse(_search(client, "email", " Jeanne.Roy@example.org"))
    assert len(page.select("dl.held.letters")) == 1
    assert len(page.select("dl.held.signatures")) == 1
    assert len(page.select("dl.held.calls")) == 1  # through her call consent
    assert len(page.select("dl.held.consents")) == 3
    assert "I live here." in text(one(page, "dl.held.letters"))
    assert any(
        "I live here." in text(dl) for dl in page.select("dl.held.messages")
    )  # letters' text
    with sessions(app)() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy.search")
        ).all()
        params = entry.params or {}
        assert set(params) == {"kind", "rows"} and params["kind"] == "email"
        assert params["rows"] >= 6


def test_search_by_phone_finds_the_call_and_its_consent(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    login_as(Role.admin)
    page = parse(_search(client, "phone", "613 555 0142"))
    assert len(page.select("dl.held.calls")) == 1
    assert len(page.select("dl.held.consents")) == 1
    assert not page.select("dl.held.letters")


def test_nothing_found_says_so(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    login_as(Role.admin)
    page = parse(_search(client, "email", "nobody@example.org"))
    assert one(page, ".nothing-held")


def test_export_is_a_json_copy(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    login_as(Role.admin)
    page = parse(_search(client, "email", JEANNE))
    form = _form(page, "/export")
    response = client.post(str(form["action"]), data=form_fields(form))
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.data)
    assert [s["personal_line"] for s in data["letters"]] == ["I live here."]
    assert [s["comment"] for s in data["signatures"]] == ["Please act."]
    assert [c["phone"] for c in data["calls"]] == [JEANNE_PHONE]
    assert len(data["consents"]) == 3
    with sessions(app)() as session:
        assert session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy.export")
        ).one()


def test_erase_needs_the_confirmation(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    login_as(Role.admin)
    page = parse(_search(client, "email", JEANNE))
    form = _form(page, "/erase/confirm")
    skipped = client.post("/admin/privacy-requests/erase", data=form_fields(form))
    assert skipped.status_code == 400
    assert JEANNE in _held(app)


def test_erase_removes_every_personal_field_and_the_counts_stay(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = populate(app, client)
    login_as(Role.admin)
    with sessions(app)() as session:
        campaign_id = demo_campaign(session).id
    dashboard = f"/admin/campaigns/{campaign_id}/dashboard"
    before = (_counts(client), headline(client.get(dashboard).data))
    assert any(value in _held(app) for value in HERS)

    page = parse(_search(client, "email", JEANNE))
    form = _form(page, "/erase/confirm")
    confirmation = parse(client.post(str(form["action"]), data=form_fields(form)).data)
    final = one(confirmation, "form.confirm")
    done = client.post(str(final["action"]), data=form_fields(final))
    assert done.status_code == 200

    held = _held(app)
    for value in HERS:
        assert not any(value in v for v in held), value
    after = (_counts(client), headline(client.get(dashboard).data))
    assert after == before
    with sessions(app)() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
        letter = session.get(EmailSubmission, world.jeanne_letter)
        assert letter is not None
        assert (letter.postal_code, letter.city, letter.ip_hmac, letter.email) == ("", "", "", None)
        for consent in session.scalars(
            select(ConsentRecord).where(ConsentRecord.id.in_(world.jeanne_consents))
        ):
            assert (consent.postal_code, consent.email_hmac, consent.phone_hmac) == ("", "", "")
            assert consent.withdrawn_at is not None and consent.purged_at is not None
        signature = session.scalars(
            select(PetitionSignature).where(PetitionSignature.purged_at.is_not(None))
        ).one()
        assert (signature.postal_code, signature.city, signature.ip_hmac) == ("", "", "")
        call = session.scalars(select(CallRequest)).one()
        assert (call.phone, call.ip_hmac, call.transcript) == (None, "", None)
        # Luc's letter, and the others' consents, are untouched.
        assert session.scalars(
            select(EmailSubmission.name).where(EmailSubmission.name == "Luc Martin")
        ).one()
        assert session.scalars(select(ConsentRecord).where(ConsentRecord.purged_at.is_(None))).all()
        # Her address no longer matches anything: no duplicate check, no second search.
        digest = email_hash(app, JEANNE)
        matches = or_(EmailSubmission.email_hmac == digest)
        assert not session.scalars(select(EmailSubmission).where(matches)).all()
    again = parse(_search(client, "email", JEANNE))
    assert one(again, ".nothing-held")
    # Nothing logged on the way named her either.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert JEANNE not in logged and JEANNE_PHONE not in logged


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_bad_input_is_a_400(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], kind: str
) -> None:
    login_as(Role.admin)
    page = parse(client.get(SEARCH).data)
    fields = form_fields(one(page, "form.privacy-search"))
    value = "not a phone" if kind == "phone" else ""
    assert client.post(SEARCH, data={**fields, "kind": kind, "value": value}).status_code == 400


def test_erase_takes_the_signers_line_out_of_delivery_emails_and_keeps_the_others(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        mine = session.scalars(
            select(PetitionSignature).where(PetitionSignature.email == JEANNE)
        ).one()
        mine.share_with_target, mine.city = True, "Ottawa"
        make_signature(session, campaign, name="Omar Aziz", comment="Do it for us.")
        session.flush()
        round_ = delivery.record(
            session, delivery.by_hand(campaign, session), MailSettings(secret="x"), utcnow()
        )
        assert round_ is not None
        session.commit()
        bodies = _delivery_bodies(session)
    assert any("- Please act. (Jeanne Roy, Ottawa)" in body for body in bodies)
    login_as(Role.admin)
    page = parse(_search(client, "email", JEANNE))
    form = _form(page, "/erase/confirm")
    confirmation = parse(client.post(str(form["action"]), data=form_fields(form)).data)
    final = one(confirmation, "form.confirm")
    assert client.post(str(final["action"]), data=form_fields(final)).status_code == 200
    with sessions(app)() as session:
        bodies = _delivery_bodies(session)
    assert bodies and not any("Jeanne Roy" in b or "Please act." in b for b in bodies)
    assert any("- Do it for us." in body for body in bodies)


def _delivery_bodies(session: Any) -> list[str]:
    return [
        message.body or ""
        for message in session.scalars(
            select(EmailMessage).where(EmailMessage.kind == MessageKind.petition_delivery)
        )
    ]

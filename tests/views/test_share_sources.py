"""A share link's ``src`` is remembered with its ``ref`` and recorded on every contact."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import CallRequest, Campaign, Channel, ContactEvent, EmailSubmission, User
from tests.support.html import form_fields, one, parse, text

CAMPAIGN = "/c/status-for-all"
RIDING = f"{CAMPAIGN}/riding/35100"
WRITE = f"{RIDING}/email"
LETTER = {
    "name": "Jane Doe",
    "email": "jane.supporter@example.org",
    "postal_code": "M5V 3L9",
    "city": "Toronto",
    "personal_line": "My neighbour has cared for elders here for eleven years.",
}


def _events(session: Session) -> list[ContactEvent]:
    session.expire_all()
    return list(session.scalars(select(ContactEvent).order_by(ContactEvent.id)))


def _call_me(client: FlaskClient) -> None:
    form = one(parse(client.get(RIDING).data), "section.call-me form")
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    response = client.post(
        f"{RIDING}/call", data={**fields, "phone": "613-555-0142", "consent": "y"}
    )
    assert response.status_code == 303


def _report_direct_call(client: FlaskClient) -> None:
    form = parse(client.get(RIDING).data).select("form.report")[0]
    fields = form_fields(form)
    prefix = next(name for name in fields if name.endswith("-token")).split("-")[0]
    data = {**fields, f"{prefix}-outcome": "talked_to_staff"}
    assert client.post(str(form["action"]).split("#")[0], data=data).status_code == 303


def _send_letter(client: FlaskClient) -> None:
    fields = {**form_fields(one(parse(client.get(WRITE).data), "form[method=post]")), **LETTER}
    preview = parse(client.post(WRITE, data={**fields, "action": "preview"}).data)
    form = one(preview, "form[method=post]")
    sent = client.post(str(form["action"]), data={**form_fields(form), "action": "send"})
    assert sent.status_code == 303


@pytest.mark.parametrize(
    ("act", "channel"),
    [
        (_call_me, Channel.bridged_call),
        (_report_direct_call, Channel.direct_call),
        (_send_letter, Channel.email),
    ],
)
def test_a_new_visitor_from_a_share_link_is_credited_to_its_channel_and_code(
    make_app: Callable[..., Flask],
    session: Session,
    act: Callable[[FlaskClient], None],
    channel: Channel,
) -> None:
    session.execute(update(Campaign).values(email_confirm=False))
    session.commit()
    visitor = make_app().test_client()  # a fresh browser: nothing in its session yet
    assert visitor.get(f"{CAMPAIGN}?ref=union-7&src=whatsapp").status_code == 200
    act(visitor)
    events = _events(session)
    assert events and {e.channel for e in events} == {channel}
    assert {(e.referral, e.share_source) for e in events} == {("union-7", "whatsapp")}


def test_the_call_request_keeps_the_share_source_for_its_later_events(
    client: FlaskClient, session: Session
) -> None:
    client.get(f"{CAMPAIGN}?src=bluesky")
    _call_me(client)
    (call,) = session.scalars(select(CallRequest)).all()
    assert (call.referral, call.share_source) == ("", "bluesky")


@pytest.mark.parametrize("src", ["myspace", "face%20book", "x" * 300, ""])
def test_an_unknown_share_source_is_not_recorded(
    client: FlaskClient, session: Session, src: str
) -> None:
    assert client.get(f"{CAMPAIGN}?ref=flyer&src={src}").status_code == 200
    _report_direct_call(client)
    (event,) = _events(session)
    assert (event.referral, event.share_source) == ("flyer", "")


def test_a_share_source_is_kept_for_its_own_campaign_only(
    client: FlaskClient, session: Session
) -> None:
    client.get("/c/another-campaign?ref=union-7&src=facebook")  # not this campaign
    _report_direct_call(client)
    (event,) = _events(session)
    assert (event.referral, event.share_source) == ("", "")


def test_the_dashboard_lists_contacts_brought_by_shares(
    make_app: Callable[..., Flask],
    client: FlaskClient,
    session: Session,
    login_as: Callable[..., User],
) -> None:
    for src in ("facebook", "facebook", "email"):
        visitor = make_app().test_client()
        visitor.get(f"{CAMPAIGN}?ref=union-7&src={src}")
        _report_direct_call(visitor)
    client.get(f"{CAMPAIGN}?ref=union-7")  # a referral without a share: not in this table
    _report_direct_call(client)
    campaign_id = session.scalars(
        select(Campaign.id).where(Campaign.slug == "status-for-all")
    ).one()
    login_as()
    soup = parse(client.get(f"/admin/campaigns/{campaign_id}/dashboard").data)
    table = one(soup, "table.shares")
    rows = [[text(cell) for cell in row.select("th, td")] for row in table.select("tbody tr")]
    assert [(row[0], row[1], row[5]) for row in rows] == [
        ("Facebook", "union-7", "2"),
        ("Email", "union-7", "1"),
    ]


@pytest.mark.parametrize(("src", "kept"), [("whatsapp", "whatsapp"), ("evil<script>", "")])
def test_the_json_api_records_the_share_source_a_partners_page_passes_on(
    client: FlaskClient, session: Session, src: str, kept: str
) -> None:
    call = client.post(
        "/api/v1/campaigns/status-for-all/calls",
        json={"phone": "613-555-0142", "postal_code": "M5V 3L9", "ref": "mrn", "src": src},
    )
    assert call.status_code == 202, call.get_json()
    letter = client.post(
        "/api/v1/campaigns/status-for-all/emails",
        json={**LETTER, "ref": "mrn", "src": src},
    )
    assert letter.status_code == 202, letter.get_json()
    session.expire_all()
    request_row = session.scalars(select(CallRequest)).one()
    submission = session.scalars(select(EmailSubmission)).one()
    assert (request_row.share_source, request_row.referral) == (kept, "mrn")
    assert (submission.share_source, submission.referral) == (kept, "mrn")

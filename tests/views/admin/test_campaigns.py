"""The campaign list, page, editor, status buttons and preview, through the web."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.campaigns import versions as history
from callmp.demo import DEMO_SLUG
from callmp.models import (
    AuditEntry,
    CallRequest,
    Campaign,
    CampaignStatus,
    CampaignVersion,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    Role,
    TargetKind,
    User,
)
from tests.factories import make_target
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse, text

Login = Callable[..., User]
SPADINA = 35100  # Spadina—Harbourfront: M5V 3L9

NEW_CAMPAIGN = {
    "title_en": "Fair wages",
    "title_fr": "Des salaires justes",
    "slug": "fair-wages",
    "summary_en": "Ask for fair wages.",
    "summary_fr": "Demandez des salaires justes.",
    "languages": "en fr",
    "starts_at": "2026-01-15T09:30",
    "ends_at": "",
    "goal": "300",
    "bridged_calls": "y",
    "direct_calls": "y",
    "emails": "y",
    "phone_number": "",
    "office_policy": "hill",
    "email_from_address": "",
    "email_confirm": "y",
    "referral_codes": "union Union Local 1",
    "org_legal_name": "Fair Wages Coalition Inc.",
    "org_mailing_address": "100 Example Street\r\nOttawa ON  K1A 0A6",
    "org_contact": "+1 613 555 0123",
    "call_intro_en": "Hello from Fair Wages.",
    "call_intro_fr": "Bonjour de Salaires justes.",
    "talking_points_en": "I live in **{riding}**, postal code {postal_code}. {mp_name}, act!",
    "talking_points_fr": "J'habite dans **{riding}**. {mp_name}, agissez!",
    "email_subject_en": "Fair wages in {riding}",
    "email_subject_fr": "Salaires justes à {riding}",
    "email_body_en": "I live in {riding}.",
    "email_body_fr": "J'habite dans {riding}.",
}


def csrf(client: FlaskClient) -> str:
    """A CSRF token for this client's session (the staff menu's log-out form has one)."""
    page = parse(client.get("/admin").data)
    return str(page.select("input[name=csrf_token]")[0]["value"])


def form_values(form: Tag) -> dict[str, str]:
    """What a browser would submit for ``form`` as it stands."""
    values: dict[str, str] = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name = str(field["name"])
        if field.name == "textarea":
            # Browsers drop the newline that follows <textarea>; WTForms writes one.
            values[name] = field.get_text().removeprefix("\r\n").removeprefix("\n")
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            values[name] = str(chosen["value"]) if chosen else ""
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                values[name] = str(field.get("value", "y"))
        else:
            values[name] = str(field.get("value", ""))
    return values


def campaign_by_slug(session: Session, slug: str) -> Campaign:
    """A campaign, read fresh."""
    session.expire_all()
    return session.scalars(select(Campaign).where(Campaign.slug == slug)).one()


def count(session: Session, model: Any) -> int:
    """How many rows ``model`` has."""
    return session.scalar(select(func.count()).select_from(model)) or 0


def create(client: FlaskClient, **changes: str) -> Any:
    """Post the new-campaign form."""
    return client.post(
        "/admin/campaigns/new", data={**NEW_CAMPAIGN, **changes, "csrf_token": csrf(client)}
    )


def field_error(page: BeautifulSoup, name: str) -> str:
    """The error shown next to field ``name``."""
    field = one(page, f"[name={name}]")
    wrapper = field.find_parent(class_="field")
    assert isinstance(wrapper, Tag)
    error = one(wrapper, "p.error")
    assert error["id"] in str(field.get("aria-describedby", "")).split()
    return text(error)


@pytest.fixture
def draft(client: FlaskClient, login_as: Login, session: Session) -> Campaign:
    """A draft campaign made by a lead (logged in), with the supporter's MP as its target."""
    login_as(Role.lead)
    assert create(client).status_code == 302
    campaign = campaign_by_slug(session, "fair-wages")
    with history.saving(session, campaign, None):
        make_target(session, campaign, position=1, kind=TargetKind.own_mp)
    session.commit()
    return campaign


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/admin")
    assert response.status_code == 302
    assert "/login" in response.location


def test_organizers_see_every_campaign_without_editing(
    client: FlaskClient, login_as: Login
) -> None:
    login_as(Role.organizer)
    page = parse(client.get("/admin").data)
    rows = page.select("table.campaigns-list tbody tr")
    assert len(rows) == 1
    cells = [text(cell) for cell in rows[0].select("td")]
    assert cells[1] == DEMO_SLUG
    assert cells[2] == "published"
    assert cells[4] == "5000"
    assert not page.select("a[href='/admin/campaigns/new']")
    show = one(rows[0], "a")["href"]
    campaign_page = parse(client.get(str(show)).data)
    assert one(campaign_page, f"a[href='/c/{DEMO_SLUG}']")
    assert one(campaign_page, "a[href$='/preview']")
    assert not campaign_page.select("a[href$='/edit']")
    assert one(campaign_page, "a[href$='/targets']")  # organizers may look at both
    assert one(campaign_page, "a[href$='/versions']")
    assert not campaign_page.select("main form")
    assert len(campaign_page.select("ol.targets-list > li")) == 2


@pytest.mark.parametrize("action", ["new", "1/edit", "1/publish", "1/unpublish", "1/archive"])
def test_organizers_may_not_change_campaigns(
    client: FlaskClient, login_as: Login, session: Session, action: str
) -> None:
    login_as(Role.organizer)
    token = csrf(client)
    response = client.post(f"/admin/campaigns/{action}", data={**NEW_CAMPAIGN, "csrf_token": token})
    assert response.status_code == 403
    assert campaign_by_slug(session, DEMO_SLUG).status == CampaignStatus.published
    assert count(session, Campaign) == 1


def test_organizers_may_not_open_the_editor(client: FlaskClient, login_as: Login) -> None:
    login_as(Role.organizer)
    assert client.get("/admin/campaigns/new").status_code == 403
    assert client.get("/admin/campaigns/1/edit").status_code == 403


def test_a_lead_creates_edits_publishes_unpublishes_and_archives(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    form = one(parse(client.get("/admin/campaigns/new").data), "form.campaign-form")
    assert form_values(form)["languages"] == "en fr"
    response = create(client)
    assert response.status_code == 302
    campaign = campaign_by_slug(session, "fair-wages")
    assert response.location == f"/admin/campaigns/{campaign.id}"
    assert campaign.status == CampaignStatus.draft
    assert [(r.code, r.label) for r in campaign.referral_codes] == [("union", "Union Local 1")]
    page = parse(client.get(response.location).data)
    assert "Campaign fair-wages saved." in text(one(page, "p.flash"))
    assert "Fair Wages Coalition Inc." in text(one(page, "dl.settings"))

    edit_url = f"/admin/campaigns/{campaign.id}/edit"
    values = form_values(one(parse(client.get(edit_url).data), "form.campaign-form"))
    assert values["starts_at"] == "2026-01-15T09:30"
    assert client.post(edit_url, data={**values, "goal": "450"}).status_code == 302
    assert campaign_by_slug(session, "fair-wages").goal == 450
    assert [v.number for v in history.versions(session, campaign.id)] == [2, 1]

    publish = f"/admin/campaigns/{campaign.id}/publish"
    refused = client.post(publish, data={"csrf_token": values["csrf_token"]})
    assert refused.status_code == 400
    message = text(one(parse(refused.data), "main p.error"))
    assert message == "This campaign can't be published yet. Missing: at least one target."
    campaign = campaign_by_slug(session, "fair-wages")
    make_target(session, campaign, position=1, kind=TargetKind.own_mp)
    session.commit()

    response = client.post(publish, data={"csrf_token": values["csrf_token"]})
    assert response.status_code == 302
    assert campaign_by_slug(session, "fair-wages").status == CampaignStatus.published
    for action, status in [
        ("unpublish", CampaignStatus.draft),
        ("archive", CampaignStatus.archived),
    ]:
        response = confirm_via_page(client, f"/admin/campaigns/{campaign.id}/{action}")
        assert response.status_code == 302, action
        assert campaign_by_slug(session, "fair-wages").status == status
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.campaign_id == campaign.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "campaign.create",
        "campaign.update",
        "campaign.publish",
        "campaign.unpublish",
        "campaign.archive",
    ]


def test_the_lead_sees_the_actions_and_the_organizer_does_not(
    app: Flask, client: FlaskClient, draft: Campaign
) -> None:
    page = parse(client.get(f"/admin/campaigns/{draft.id}").data)
    actions = one(page, "nav.actions")
    buttons = [text(b) for b in actions.select("form button")]
    assert buttons == ["Publish"]
    links = {text(a): a["href"] for a in actions.select("a")}
    assert links["Archive"] == f"/admin/campaigns/{draft.id}/archive"  # a confirmation page
    assert links["Edit"] == f"/admin/campaigns/{draft.id}/edit"
    assert links["Preview"] == f"/admin/campaigns/{draft.id}/preview"
    assert links["Targets"] == f"/admin/campaigns/{draft.id}/targets"
    assert links["History"] == f"/admin/campaigns/{draft.id}/versions"
    assert not page.select(f"a[href='/c/{draft.slug}']")  # not published


def test_a_refused_form_keeps_what_was_typed_and_names_the_problem(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    response = create(
        client,
        slug="Fair Wages!",
        talking_points_fr="Bonjour {mp_nmae}, j'habite {riding}.",
        goal="lots",
        ends_at="2026-01-01T08:00",
    )
    assert response.status_code == 400
    page = parse(response.data)
    assert "Use 3 to 80 lowercase letters" in field_error(page, "slug")
    assert field_error(page, "talking_points_fr").startswith(
        "Unknown placeholder {mp_nmae}. You can use: {mp_name}, "
    )
    assert "whole number" in field_error(page, "goal")
    assert field_error(page, "ends_at") == "The end must come after the start."
    values = form_values(one(page, "form.campaign-form"))
    assert values["slug"] == "Fair Wages!"
    assert values["talking_points_fr"] == "Bonjour {mp_nmae}, j'habite {riding}."
    assert values["goal"] == "lots"
    assert values["title_fr"] == "Des salaires justes"
    assert "phone_number" in values and "email_mailto" not in values
    assert one(page, "div.errors[role=alert]")
    assert count(session, Campaign) == 1


def test_a_taken_slug_is_refused_with_a_clear_message(client: FlaskClient, login_as: Login) -> None:
    login_as(Role.lead)
    response = create(client, slug=DEMO_SLUG)
    assert response.status_code == 400
    assert field_error(parse(response.data), "slug") == (
        f"The address {DEMO_SLUG} is already taken by another campaign. Please pick another."
    )


def test_saving_an_unchanged_form_adds_no_version(
    client: FlaskClient, draft: Campaign, session: Session
) -> None:
    edit_url = f"/admin/campaigns/{draft.id}/edit"
    for _ in range(2):
        values = form_values(one(parse(client.get(edit_url).data), "form.campaign-form"))
        assert client.post(edit_url, data=values).status_code == 302
    assert [v.number for v in history.versions(session, draft.id)] == [2, 1]


def test_the_demo_saved_unchanged_through_the_form_keeps_one_version(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    demo = campaign_by_slug(session, DEMO_SLUG)
    before = [v.number for v in history.versions(session, demo.id)]
    edit_url = f"/admin/campaigns/{demo.id}/edit"
    values = form_values(one(parse(client.get(edit_url).data), "form.campaign-form"))
    assert client.post(edit_url, data=values).status_code == 302
    assert [v.number for v in history.versions(session, demo.id)] == (before or [1])


def test_a_published_campaign_cannot_lose_a_required_text(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    edit_url = "/admin/campaigns/1/edit"
    values = form_values(one(parse(client.get(edit_url).data), "form.campaign-form"))
    response = client.post(edit_url, data={**values, "call_intro_fr": ""})
    assert response.status_code == 400
    assert "Missing: Call intro (French)" in text(one(parse(response.data), "div.errors"))
    assert campaign_by_slug(session, DEMO_SLUG).call_intro_fr


def test_a_published_campaigns_missing_french_title_is_reported_with_the_other_errors(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    edit_url = "/admin/campaigns/1/edit"
    values = form_values(one(parse(client.get(edit_url).data), "form.campaign-form"))
    response = client.post(edit_url, data={**values, "title_fr": "", "goal": "lots"})
    assert response.status_code == 400
    page = parse(response.data)
    assert "Missing: Title (French)" in text(one(page, "div.errors"))
    assert field_error(page, "title_fr") == "A published campaign needs this."
    assert field_error(page, "goal").startswith("Please enter a whole number")
    assert campaign_by_slug(session, DEMO_SLUG).title_fr


def test_date_inputs_and_their_hint_agree(client: FlaskClient, login_as: Login) -> None:
    login_as(Role.lead)
    page = parse(client.get("/admin/campaigns/new").data)
    for name in ("starts_at", "ends_at"):
        assert one(page, f"input[name={name}]")["type"] == "datetime-local"
    hint = text(one(page, "#starts_at-hint"))
    # The browser shows its own date format: the hint names no other one.
    assert "pick a date, then a time" in hint
    assert not re.search(r"\d{4}-\d{2}-\d{2}", hint)


def test_every_input_is_labelled_and_placeholders_are_explained(
    client: FlaskClient, login_as: Login
) -> None:
    login_as(Role.lead)
    page = parse(client.get("/admin/campaigns/new").data)
    form = one(page, "form.campaign-form")
    for field in form.select("input, textarea, select"):
        if field.get("type") == "hidden":
            continue
        assert one(form, f"label[for={field['id']}]"), field["name"]
    lists = page.select("details.placeholders dl")
    assert lists
    terms = {
        text(dt): text(dd)
        for dt, dd in zip(lists[0].select("dt"), lists[0].select("dd"), strict=True)
    }
    assert terms["{mp_name}"] == "The target's full name"
    assert "Ottawa time (America/Toronto)" in text(one(page, "#starts_at-hint"))


def test_the_preview_shows_a_draft_to_a_supporter_in_a_riding(
    client: FlaskClient, draft: Campaign
) -> None:
    assert client.get(f"/c/{draft.slug}").status_code == 404
    response = client.get(f"/admin/campaigns/{draft.id}/preview?fed_num={SPADINA}")
    assert response.status_code == 200
    page = parse(response.data)
    assert "Preview" in text(one(page, ".preview-banner"))
    supporter_page = one(page, "fieldset.preview-page[disabled]")
    assert text(one(supporter_page, "h1")) == "Fair wages"
    script = text(one(supporter_page, "section.target div.script"))
    assert script == "I live in Spadina—Harbourfront , postal code ___. Chi Nguyen, act!"
    # A supporter opens the talking points with a tap; the lead sees them open.
    assert one(supporter_page, "section.target details.talking-points").has_attr("open")
    for form in page.select("main form"):
        assert form.find_parent("fieldset", class_="preview-page", disabled=True)
    greeting = [text(li) for li in page.select("ol.greeting li")]
    assert greeting[0] == "Hello from Fair Wages."
    assert greeting[1].startswith("Press 1 to be connected.")
    stop = one(page, "section.spoken-stop")
    assert text(one(stop, "h3")) == "1 of 1: Chi Nguyen, your MP"
    assert text(one(stop, "p.points")) == (
        "I live in Spadina—Harbourfront, postal code …. Chi Nguyen, act!"
    )
    letter = one(page, "article.letter")
    assert text(one(letter, ".subject")) == "Fair wages in Spadina—Harbourfront"
    assert text(one(letter, "p.salutation")) == "Dear Chi Nguyen,"
    assert text(one(letter, "pre.body")) == "I live in Spadina—Harbourfront."


def test_the_preview_by_postal_code_fills_it_in(client: FlaskClient, draft: Campaign) -> None:
    response = client.get(f"/admin/campaigns/{draft.id}/preview?postal_code=m5v3l9")
    assert response.status_code == 200
    script = text(one(parse(response.data), "section.target div.script"))
    assert "postal code M5V 3L9" in script


def test_the_preview_in_french_reads_the_french_texts(client: FlaskClient, draft: Campaign) -> None:
    response = client.get(f"/admin/campaigns/{draft.id}/preview?fed_num={SPADINA}&lang=fr")
    page = parse(response.data)
    assert text(page.select("ol.greeting li")[0]) == "Bonjour de Salaires justes."
    assert text(one(page, "p.points")).startswith("J'habite dans Spadina—Harbourfront.")


def test_a_split_postal_code_lists_its_ridings_as_preview_links(
    client: FlaskClient, draft: Campaign
) -> None:
    response = client.get(f"/admin/campaigns/{draft.id}/preview?postal_code=V6B+9Z9")
    assert response.status_code == 200
    links = [str(a["href"]) for a in parse(response.data).select("ul.candidates a")]
    assert len(links) >= 2
    assert links[0] == f"/admin/campaigns/{draft.id}/preview?postal_code=V6B+9Z9&fed_num=59035"
    chosen = client.get(links[1])
    assert "V6B 9Z9" in text(one(parse(chosen.data), "section.target div.script"))


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [("postal_code=90210", "postal_code", 400), ("fed_num=abc", "fed_num", 400)],
)
def test_the_preview_refuses_bad_input_next_to_the_field(
    client: FlaskClient, draft: Campaign, query: str, field: str, status: int
) -> None:
    response = client.get(f"/admin/campaigns/{draft.id}/preview?{query}")
    assert response.status_code == status
    assert field_error(parse(response.data), field)


def test_the_preview_of_an_unknown_riding_is_404(client: FlaskClient, draft: Campaign) -> None:
    assert client.get(f"/admin/campaigns/{draft.id}/preview?fed_num=99999").status_code == 404


def test_the_preview_counts_and_records_nothing(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.organizer)
    models = [
        CallRequest,
        ContactEvent,
        EmailSubmission,
        EmailMessage,
        AuditEntry,
        CampaignVersion,
    ]
    before = [count(session, model) for model in models]
    for query in (f"fed_num={SPADINA}", "postal_code=M5V3L9", "postal_code=K1A0A6"):
        assert client.get(f"/admin/campaigns/1/preview?{query}").status_code == 200
    assert [count(session, model) for model in models] == before

"""Unpublished changes through the web: the banner, review, publish, discard, stale forms."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns import drafts
from callmp.campaigns import versions as history
from callmp.demo import DEMO_SLUG
from callmp.models import AuditEntry, Campaign, CampaignStatus, Role, User
from tests.factories import demo_campaign, make_person
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse, text
from tests.views.admin.test_campaigns import form_values

Login = Callable[..., User]
NEW_TITLE = "Status for all, now"


def _campaign(session: Session) -> Campaign:
    """The demo campaign (published), read fresh."""
    session.expire_all()
    return demo_campaign(session)


def _edit_form(client: FlaskClient, campaign_id: int) -> dict[str, str]:
    """The campaign form's values as a browser would send them."""
    page = parse(client.get(f"/admin/campaigns/{campaign_id}/edit").data)
    return form_values(one(page, "form.campaign-form"))


def _public_title(client: FlaskClient) -> str:
    """The title supporters see on the campaign page."""
    return text(one(parse(client.get(f"/c/{DEMO_SLUG}").data), "main h1"))


def _banner(page: BeautifulSoup) -> dict[str, str]:
    """The unpublished-changes banner's links, by their text."""
    banner = one(page, "section.draft-banner")
    return {text(a): str(a["href"]) for a in banner.select("a")}


def test_saving_a_live_campaign_keeps_a_draft_that_a_lead_publishes(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    lead = login_as(Role.lead)
    campaign = _campaign(session)
    live_title = _public_title(client)
    show = f"/admin/campaigns/{campaign.id}"
    assert not parse(client.get(show).data).select("section.draft-banner")
    values = _edit_form(client, campaign.id)
    assert values["draft_revision"] == "0"
    response = client.post(f"{show}/edit", data={**values, "title_en": NEW_TITLE})
    assert response.status_code == 302
    # Supporters still see the published title; staff see the banner.
    assert _public_title(client) == live_title
    assert _campaign(session).title_en == live_title
    page = parse(client.get(show).data)
    assert "supporters still see the published campaign" in text(one(page, "p.flash"))
    links = _banner(page)
    assert links == {
        "Review the changes": f"{show}/changes",
        "Preview them as a supporter": f"{show}/preview?draft=1",
    }
    # The form shows the draft, and the staff preview of the draft its title.
    assert _edit_form(client, campaign.id)["title_en"] == NEW_TITLE
    preview = parse(client.get(f"{show}/preview?draft=1&fed_num=35002").data)
    assert text(one(preview, "main h1")) == NEW_TITLE
    assert text(one(parse(client.get(f"{show}/preview?fed_num=35002").data), "main h1")) == (
        live_title
    )
    # The review page shows the difference and publishes it.
    review = parse(client.get(links["Review the changes"]).data)
    assert [s["id"] for s in review.select("section.field-diff")] == ["diff-title_en"]
    assert text(one(review, "#diff-title_en ins")) == NEW_TITLE
    versions_before = len(history.versions(session, campaign.id))
    published = confirm_via_page(client, links["Review the changes"])
    assert published.status_code == 303
    assert _public_title(client) == NEW_TITLE
    assert drafts.find(session, campaign.id) is None
    assert len(history.versions(session, campaign.id)) == versions_before + 1
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.user_id) == ("campaign.publish_changes", lead.id)
    assert "version" in text(one(parse(client.get(published.location).data), "p.flash"))


def test_a_second_lead_saving_over_a_changed_draft_is_told_and_loses_nothing(
    client: FlaskClient, login_as: Login, session: Session, make_user: Callable[..., User]
) -> None:
    login_as(Role.lead)
    campaign = _campaign(session)
    edit = f"/admin/campaigns/{campaign.id}/edit"
    mine = _edit_form(client, campaign.id)  # opened before the other lead saves
    other = make_user(Role.lead).id
    drafts.edit(
        session,
        campaign,
        session.get(User, other),
        lambda shown: setattr(shown, "goal", 1234),
    )
    session.commit()
    response = client.post(edit, data={**mine, "title_en": NEW_TITLE})
    assert response.status_code == 409
    page = parse(response.data)
    assert text(one(page, "div.errors")).startswith("Another lead saved changes to this draft")
    values = form_values(one(page, "form.campaign-form"))
    assert values["title_en"] == NEW_TITLE  # what this lead typed comes back
    assert values["draft_revision"] == "1"
    assert text(one(page, "form.campaign-form button.primary")) == (
        "Save over the other lead's changes"
    )
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.snapshot["title_en"] != NEW_TITLE
    assert draft.snapshot["goal"] == 1234
    assert client.post(edit, data=values).status_code == 302


def test_publishing_a_draft_that_changed_since_it_was_reviewed_is_refused(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    lead = login_as(Role.lead)
    campaign = _campaign(session)
    drafts.edit(session, campaign, lead, lambda shown: setattr(shown, "goal", 1234))
    session.commit()
    review = parse(client.get(f"/admin/campaigns/{campaign.id}/changes").data)
    form = one(review, "form.confirm")
    drafts.edit(session, campaign, lead, lambda shown: setattr(shown, "goal", 4321))
    session.commit()
    fields = {str(i["name"]): str(i["value"]) for i in form.select("input[name]")}
    response = client.post(str(form["action"]), data=fields)
    assert response.status_code == 409
    assert "Another lead saved changes" in text(one(parse(response.data), "p.error"))
    assert _campaign(session).goal != 4321


def test_discarding_asks_first_and_drops_the_draft(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    lead = login_as(Role.lead)
    campaign = _campaign(session)
    drafts.edit(session, campaign, lead, lambda shown: setattr(shown, "goal", 1234))
    session.commit()
    url = f"/admin/campaigns/{campaign.id}/changes/discard"
    page = parse(client.get(url).data)
    assert text(one(page, "h1")).startswith("Discard the unpublished changes")
    assert [s["id"] for s in page.select("section.field-diff")] == ["diff-goal"]
    token = str(one(page, "form.confirm input[name=csrf_token]")["value"])
    assert client.post(url, data={"csrf_token": token, "revision": "1"}).status_code == 400
    assert drafts.find(session, campaign.id) is not None
    assert confirm_via_page(client, url).status_code == 303
    session.expire_all()
    assert drafts.find(session, campaign.id) is None
    assert _campaign(session).goal != 1234


def test_target_edits_of_a_live_campaign_wait_in_the_draft(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    campaign = _campaign(session)
    live = [t.id for t in campaign.targets]
    person = make_person(session, full_name="Pat Helper")
    session.commit()
    targets = f"/admin/campaigns/{campaign.id}/targets"
    token = str(parse(client.get(targets).data).select("input[name=csrf_token]")[0]["value"])
    added = client.post(
        f"{targets}/person", data={"csrf_token": token, "person_id": str(person.id)}
    )
    assert added.status_code == 302
    assert [t.id for t in _campaign(session).targets] == live
    page = parse(client.get(targets).data)
    assert one(page, "section.draft-banner")
    rows = page.select("table.targets tbody tr")
    assert [str(row["data-target-id"]) for row in rows] == [
        *map(str, live),
        str(drafts.DRAFT_KEYS_START),
    ]
    assert "Pat Helper" in text(rows[2])
    # The new target has a page of its own and can be removed, after a confirmation.
    new = f"{targets}/{drafts.DRAFT_KEYS_START}"
    assert client.get(new).status_code == 200
    assert confirm_via_page(client, f"{new}/remove").status_code == 302
    assert drafts.find(session, campaign.id) is None  # back to what supporters see


def test_an_organizer_sees_the_changes_but_cannot_publish_them(
    client: FlaskClient, login_as: Login, session: Session, make_user: Callable[..., User]
) -> None:
    lead = session.get(User, make_user(Role.lead).id)
    campaign = _campaign(session)
    drafts.edit(session, campaign, lead, lambda shown: setattr(shown, "goal", 1234))
    session.commit()
    login_as(Role.organizer)
    page = parse(client.get(f"/admin/campaigns/{campaign.id}/changes").data)
    assert [s["id"] for s in page.select("section.field-diff")] == ["diff-goal"]
    assert not page.select("form.confirm")
    response = client.post(f"/admin/campaigns/{campaign.id}/changes/publish", data={})
    assert response.status_code in (400, 403)


def test_the_changes_page_without_a_draft_says_so(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    campaign = _campaign(session)
    page = parse(client.get(f"/admin/campaigns/{campaign.id}/changes").data)
    assert text(one(page, "p.no-differences")).startswith("This campaign has no unpublished")
    assert not page.select("form.confirm")


def test_archiving_asks_first(client: FlaskClient, login_as: Login, session: Session) -> None:
    login_as(Role.lead)
    campaign = _campaign(session)
    url = f"/admin/campaigns/{campaign.id}/archive"
    page = parse(client.get(url).data)
    assert text(one(page, "h1")).startswith("Archive ")
    form = one(page, "form.confirm")
    assert (form["method"], form["action"]) == ("post", url)
    token = str(one(form, "input[name=csrf_token]")["value"])
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 400
    assert _campaign(session).status == CampaignStatus.published
    assert confirm_via_page(client, url).status_code == 302
    assert _campaign(session).status == CampaignStatus.archived


def test_the_banner_and_the_review_page_speak_french(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    lead = login_as(Role.lead)
    campaign = _campaign(session)
    drafts.edit(session, campaign, lead, lambda shown: setattr(shown, "goal", 1234))
    session.commit()
    show = parse(client.get(f"/admin/campaigns/{campaign.id}?lang=fr").data)
    assert text(one(show, "section.draft-banner h2")) == "Modifications non publiées"
    review = parse(client.get(f"/admin/campaigns/{campaign.id}/changes?lang=fr").data)
    heading = one(review, "h1").get_text()  # text() would fold the non-breaking spaces
    assert heading.startswith("Modifications non publiées de «\u00a0Un statut")
    assert heading.endswith("\u00a0»")
    assert text(one(review, "form.confirm button")) == "Publier ces modifications"

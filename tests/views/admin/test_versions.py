"""The staff pages of a campaign's history (list, compare, restore) and of the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp import audit
from callmp.campaigns import status as campaign_status
from callmp.campaigns import versions as history
from callmp.demo import DEMO_SLUG
from callmp.directory import corrections
from callmp.models import Campaign, CampaignStatus, ReferralCode, Role, User
from tests.factories import demo_campaign, mp
from tests.support.app import sessions
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse, text


@pytest.fixture
def versioned(session: Session) -> int:
    """The demo campaign with three versions: as seeded, new talking points, a new goal."""
    campaign = demo_campaign(session)
    with history.saving(session, campaign, None):
        campaign.talking_points_fr = "Appelez <script>alert(1)</script> maintenant"
    with history.saving(session, campaign, None):
        campaign.goal = 12
        campaign.referral_codes.append(ReferralCode(code="union", label="The union"))
    session.commit()
    return campaign.id


def csrf_token(client: FlaskClient, campaign_id: int) -> str:
    """The CSRF token of the versions page's restore forms."""
    page = parse(client.get(f"/admin/campaigns/{campaign_id}/versions").data)
    token = page.select_one("input[name=csrf_token]")
    assert token is not None
    return str(token["value"])


def test_organizer_sees_versions_newest_first_with_changed_fields(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.organizer)
    response = client.get(f"/admin/campaigns/{versioned}/versions")
    assert response.status_code == 200
    page = parse(response.data)
    rows = page.select("table.versions tbody tr")
    assert [text(one(row, "td.number")) for row in rows] == ["3", "2", "1"]
    assert text(one(rows[0], "td.changed")) == "Goal, Referral codes"
    assert text(one(rows[1], "td.changed")) == "Talking points (French)"
    assert text(one(rows[2], "td.changed")) == "First version"
    link = one(rows[0], "td.row-actions a")
    assert link["href"] == f"/admin/campaigns/{versioned}/versions/compare?a=2&b=3"
    assert page.select("td.row-actions a.restore") == []  # organizers can't restore


def test_versions_page_gives_times_in_the_viewers_language(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.organizer)
    french = parse(client.get(f"/admin/campaigns/{versioned}/versions?lang=fr").data)
    english = parse(client.get(f"/admin/campaigns/{versioned}/versions?lang=en").data)
    assert re.search(r"\d h \d\d", text(french.select("#version-1 td")[1]))
    assert re.search(r"\d:\d\d", text(english.select("#version-1 td")[1]))


def test_compare_shows_organiser_text_escaped_as_a_diff(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.organizer)
    response = client.get(f"/admin/campaigns/{versioned}/versions/compare?a=1&b=2")
    assert response.status_code == 200
    page = parse(response.data)
    section = one(page, "#diff-talking_points_fr")
    assert text(one(section, "h2")) == "Talking points (French)"
    assert page.find("script") is None
    assert "<script>alert(1)</script>" in text(one(section, "pre.diff"))
    assert section.select("pre.diff ins")


def test_compare_shows_short_fields_and_referral_codes(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.organizer)
    page = parse(client.get(f"/admin/campaigns/{versioned}/versions/compare?a=2&b=3").data)
    assert [s["id"] for s in page.select("section.field-diff")] == [
        "diff-goal",
        "diff-referral_codes",
    ]
    goal = one(page, "#diff-goal")
    assert (text(one(goal, "del")), text(one(goal, "ins"))) == ("5000", "12")
    assert text(one(page, "#diff-referral_codes li.added ins")) == "union (The union)"


def test_compare_of_targets_names_the_people(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    campaign = demo_campaign(session)
    with history.saving(session, campaign, None):
        campaign.targets[0].provinces = "ON QC"
    session.commit()
    login_as(Role.organizer)
    page = parse(client.get(f"/admin/campaigns/{campaign.id}/versions/compare?a=1&b=2").data)
    items = page.select("#diff-targets li")
    lines = [text(li) for li in items]
    assert lines[0] == "The supporter's own MP; role: your MP / votre député·e"
    assert lines[1] == "The supporter's own MP; role: your MP / votre député·e; provinces: ON QC"
    # The demo's minister is its portfolio, named by title (whoever holds it).
    assert lines[2].startswith(
        "Portfolio: Minister of Immigration, Refugees and Citizenship; role: the Minister"
    )
    assert [li.get("class") for li in items] == [["removed"], ["added"], None]
    assert text(one(items[0], "del")) == lines[0]
    assert text(one(items[1], "ins")) == lines[1]
    assert items[2].select("del, ins") == []


def test_compare_shows_how_a_targets_own_words_changed(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    campaign = demo_campaign(session)
    with history.saving(session, campaign, None):
        campaign.targets[1].address_en = "Minister Diab"
    session.commit()
    login_as(Role.organizer)
    page = parse(client.get(f"/admin/campaigns/{campaign.id}/versions/compare?a=1&b=2").data)
    lines = [text(li) for li in page.select("#diff-targets li")]
    assert lines[-1].endswith(
        "; own words: Talking points (English), Talking points (French), Email subject "
        "(English), Email subject (French), Email text (English), Email text (French), Form "
        "of address (English)"  # no French form or gender: written for any holder
    )
    assert text(one(page, "#diff-targets h3")) == "Target 2: Form of address (English)"
    diff = one(page, "#diff-targets pre.diff")
    assert [text(tag) for tag in diff.select("ins")] == ["Diab"]
    assert text(diff) == "Minister Diab"


@pytest.mark.parametrize("query", ["?a=1&b=9", "?a=9&b=1", "?a=1", "", "?a=x&b=2"], ids=str.strip)
def test_compare_of_unknown_or_missing_versions_is_not_found(
    client: FlaskClient, login_as: Callable[..., User], versioned: int, query: str
) -> None:
    login_as(Role.organizer)
    response = client.get(f"/admin/campaigns/{versioned}/versions/compare{query}")
    assert response.status_code == (400 if "x" in query else 404)


def test_compare_of_a_version_with_itself_says_so(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.organizer)
    response = client.get(f"/admin/campaigns/{versioned}/versions/compare?a=2&b=2")
    assert response.status_code == 400
    assert "same version twice" in text(one(parse(response.data), "p.error"))


def test_unknown_campaign_is_not_found(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.organizer)
    assert client.get("/admin/campaigns/9999/versions").status_code == 404


def test_organizer_may_not_restore(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.organizer)
    token = csrf_token(client, versioned)
    url = f"/admin/campaigns/{versioned}/versions/1/restore"
    assert client.post(url, data={"csrf_token": token}).status_code == 403


def test_lead_restores_an_old_version_as_a_new_one(
    client: FlaskClient, login_as: Callable[..., User], versioned: int, app: Flask
) -> None:
    lead = login_as(Role.lead)
    versions_page = parse(client.get(f"/admin/campaigns/{versioned}/versions").data)
    link = one(one(versions_page, "#version-1"), "a.restore")
    url = f"/admin/campaigns/{versioned}/versions/1/restore"
    assert link["href"] == url
    # The confirmation page says what restoring changes, field by field.
    confirmation = parse(client.get(url).data)
    assert text(one(confirmation, "h1")).startswith("Restore version 1 of Status for all")
    sections = [section["id"] for section in confirmation.select("section.field-diff")]
    assert sections == ["diff-goal", "diff-talking_points_fr", "diff-referral_codes"]
    with sessions(app)() as session:
        assert len(history.versions(session, versioned)) == 3  # nothing restored yet
    response = confirm_via_page(client, url)
    assert response.status_code == 303
    page = parse(client.get(response.location).data)
    assert text(one(page, "p.flash")) == "Version 1 is restored as version 4."
    changed = one(page, "#version-4 td.changed")
    assert text(one(changed, "strong")) == "Restored version 1"
    assert text(changed).endswith("Goal, Talking points (French), Referral codes")
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        assert campaign.goal == 5000 and campaign.referral_codes == []
        assert "<script>" not in campaign.talking_points_fr
        assert campaign.status == CampaignStatus.published
        [entry] = audit.entries(session, campaign_id=versioned, limit=1)
        assert (entry.action, entry.user_id) == ("campaign.restore", lead.id)


def test_restore_without_csrf_token_is_refused(
    client: FlaskClient, login_as: Callable[..., User], versioned: int, app: Flask
) -> None:
    login_as(Role.lead)
    response = client.post(f"/admin/campaigns/{versioned}/versions/1/restore")
    assert response.status_code == 400
    with sessions(app)() as session:
        assert len(history.versions(session, versioned)) == 3


def test_restore_of_unknown_version_is_not_found(
    client: FlaskClient, login_as: Callable[..., User], versioned: int
) -> None:
    login_as(Role.lead)
    token = csrf_token(client, versioned)
    url = f"/admin/campaigns/{versioned}/versions/7/restore"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"csrf_token": token, "confirmed": "yes"}).status_code == 404


def test_restore_without_the_confirmation_does_nothing(
    client: FlaskClient, login_as: Callable[..., User], versioned: int, app: Flask
) -> None:
    login_as(Role.lead)
    token = csrf_token(client, versioned)
    url = f"/admin/campaigns/{versioned}/versions/1/restore"
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 400
    page = parse(response.data)
    assert text(one(page, "p.error")).startswith("Nothing was done yet")
    assert one(page, "form.confirm")["action"] == url
    with sessions(app)() as session:
        assert len(history.versions(session, versioned)) == 3


def test_refused_restore_says_why(
    client: FlaskClient, login_as: Callable[..., User], versioned: int, session: Session
) -> None:
    campaign = demo_campaign(session)
    with history.saving(session, campaign, None):
        campaign.slug = "renamed"
    session.add(Campaign(slug=DEMO_SLUG, title_en="Copy", title_fr="Copie"))
    session.commit()
    login_as(Role.lead)
    token = csrf_token(client, versioned)
    response = client.post(
        f"/admin/campaigns/{versioned}/versions/1/restore",
        data={"csrf_token": token, "confirmed": "yes"},
    )
    assert response.status_code == 409
    message = text(one(parse(response.data), "p.error"))
    assert message == ("Version 1 uses the address status-for-all, which another campaign has now.")


def add_entries(session: Session, campaign_id: int, count: int) -> None:
    """``count`` campaign entries and one account entry."""
    campaign = session.get(Campaign, campaign_id)
    for number in range(count):
        audit.record(session, None, "campaign.publish", f"change {number}", campaign=campaign)
    audit.record(session, None, "user.update", "an account", object_type="user", object_id=1)
    session.commit()


def test_audit_log_lists_entries_newest_first_with_labels(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    campaign_id, title = demo_campaign(session).id, demo_campaign(session).title_en
    add_entries(session, campaign_id, 2)
    login_as(Role.lead)
    page = parse(client.get("/admin/audit").data)
    rows = page.select("table.audit tbody tr")
    cells = [[text(td) for td in row.select("td")][1:] for row in rows]
    assert cells[0] == ["command line", "Account changed", "Account #1", "an account"]
    assert cells[1][1:] == ["Campaign published", title, "change 1"]
    assert one(rows[1], "td.object a")["href"] in {
        f"/admin/campaigns/{campaign_id}",
        f"/admin/campaigns/{campaign_id}/versions",
    }


def test_audit_log_filters_by_campaign_and_action_and_pages(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    campaign_id = demo_campaign(session).id
    add_entries(session, campaign_id, 60)
    login_as(Role.admin)
    page = parse(client.get(f"/admin/audit?campaign_id={campaign_id}&action=campaign").data)
    summaries = [text(row.select("td")[4]) for row in page.select("table.audit tbody tr")]
    assert summaries == [f"change {n}" for n in range(59, 9, -1)]
    older = one(page, "a[rel=next]")["href"]
    assert re.search(r"before=\d+", str(older)) and "action=campaign" in str(older)
    page = parse(client.get(str(older)).data)
    summaries = [text(row.select("td")[4]) for row in page.select("table.audit tbody tr")]
    assert summaries == [f"change {n}" for n in range(9, -1, -1)]
    assert page.select("a[rel=next]") == []
    only_users = parse(client.get("/admin/audit?action=user").data)
    assert [text(r.select("td")[4]) for r in only_users.select("table.audit tbody tr")] == [
        "an account"
    ]


def test_audit_log_is_for_leads_and_checks_its_filters(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.organizer)
    assert client.get("/admin/audit").status_code == 403
    login_as(Role.lead)
    assert client.get("/admin/audit?action=nonsense").status_code == 400
    assert client.get("/admin/audit?before=abc").status_code == 400


def audit_rows(client: FlaskClient, query: str = "") -> list[list[str]]:
    """The audit log's rows as text: who, action, about, summary (the time left out)."""
    page = parse(client.get(f"/admin/audit{query}").data)
    return [
        [text(td) for td in row.select("td")][1:] for row in page.select("table.audit tbody tr")
    ]


def test_audit_log_reads_in_french_summaries_titles_and_who(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    campaign = demo_campaign(session)
    lead = login_as(Role.lead)
    with history.saving(session, campaign, None):
        campaign.goal = 12
        campaign.talking_points_fr = "Appelez maintenant"
    campaign_status.unpublish(session, campaign, session.get(User, lead.id))
    person = mp(session, 35100)
    corrections.correct(session, None, person, "phone", "613-555-0142", office=person.offices[0])
    session.commit()
    page = parse(client.get("/admin/audit?lang=fr").data)
    # French typography: a no-break space before the colon.
    assert "Nguyen\u00a0: " in page.select("table.audit tbody tr")[0].select("td")[4].get_text()
    correction, unpublished, edited = audit_rows(client, "?lang=fr")[:3]
    office_fr = person.offices[0].label_fr
    assert correction == [
        "ligne de commande",
        "Coordonnées corrigées",
        f"Correction de coordonnées nº {correction[2].rsplit(' ', 1)[-1]}",
        f"Correction pour {person.full_name} : Téléphone ({office_fr})",
    ]
    assert unpublished[1:] == [
        "Campagne retirée de la publication",
        " ".join(campaign.title_fr.split()),  # the rows' text, its spaces collapsed
        "revenue au brouillon",
    ]
    assert edited[0] == "ligne de commande"
    assert edited[3] == "version 2 : Objectif, Points de discussion (français)"
    # The same entries in English, with the names of fields as the pages give them.
    correction, unpublished, edited = audit_rows(client, "?lang=en")[:3]
    assert correction[3] == f"Corrected {person.full_name}: Phone ({person.offices[0].label_en})"
    assert unpublished[1:] == ["Campaign unpublished", campaign.title_en, "back to draft"]
    assert edited == [
        "command line",
        "Campaign edited",
        campaign.title_en,
        "version 2: Goal, Talking points (French)",
    ]


def test_audit_log_shows_entries_written_before_translations_as_written(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    login_as(Role.lead)
    audit.record(
        session, None, "campaign.update", "an old sentence", campaign=demo_campaign(session)
    )
    session.commit()
    assert audit_rows(client, "?lang=fr")[0][3] == "an old sentence"


def test_history_pages_show_the_french_title_and_who_in_french(
    client: FlaskClient, login_as: Callable[..., User], versioned: int, session: Session
) -> None:
    login_as(Role.organizer)
    title_fr = " ".join(demo_campaign(session).title_fr.split())  # as text() collapses it
    page = parse(client.get(f"/admin/campaigns/{versioned}/versions?lang=fr").data)
    assert title_fr in text(one(page, "h1"))
    assert text(page.select("#version-1 td")[2]) == "ligne de commande"
    page = parse(client.get(f"/admin/campaigns/{versioned}/versions/compare?a=1&b=2&lang=fr").data)
    assert title_fr in text(one(page, "h1"))

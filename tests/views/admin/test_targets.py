"""The target editor and custom people pages: leads change targets, organizers only look."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from callmp import demo
from callmp.campaigns import versions as history
from callmp.models import (
    AuditEntry,
    Campaign,
    CampaignStatus,
    Office,
    Person,
    Role,
    Target,
    TargetKind,
    User,
)
from tests.factories import minister_as_person
from tests.support.app import sessions
from tests.support.confirm import confirm_via_page
from tests.support.html import assert_unique_ids, one, parse, text

ALGONQUIN = 35002  # ON, Conservative: Cheryl Gallant


def _post(client: FlaskClient, url: str, data: Mapping[str, object] | None = None) -> TestResponse:
    """POST ``data`` with the session's CSRF token, as the page's forms do."""
    page = parse(client.get("/admin/people").data)
    token = page.select_one("input[name=csrf_token]")
    assert token is not None
    return client.post(url, data={"csrf_token": token["value"], **(data or {})})


@pytest.fixture
def campaign_id(session: Session) -> int:
    """The demo campaign's id."""
    return session.scalars(select(Campaign.id).where(Campaign.slug == demo.DEMO_SLUG)).one()


@pytest.fixture
def unpublished(session: Session, campaign_id: int) -> None:
    """The demo campaign back to draft: its target edits save directly (a published
    campaign's go to a draft of changes, tested in tests/views/admin/test_drafts.py)."""
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    campaign.status = CampaignStatus.draft
    session.commit()


@pytest.fixture(autouse=True)
def minister_person(session: Session, campaign_id: int) -> None:
    """The demo's second target as a fixed custom person with her own forms of address, as
    leads set one up by hand: most tests here are about fixed people (the demo itself aims
    at the Immigration portfolio: tests/views/admin/test_portfolio_targets.py)."""
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    minister_as_person(session, campaign)
    target = campaign.targets[1]
    target.address_en, target.address_fr, target.gender = (
        "Minister Metlege Diab",
        "Madame la Ministre",
        "f",
    )
    session.commit()


def _campaign(app: Flask, campaign_id: int) -> Campaign:
    """The campaign as stored now, with its targets loaded (fresh session)."""
    with sessions(app)(expire_on_commit=False) as session:
        campaign: Campaign | None = session.get(Campaign, campaign_id)
        assert campaign is not None
        for target in campaign.targets:
            _ = target.person, target.fallback_person
        return campaign


def _versions(app: Flask, campaign_id: int) -> int:
    """How many versions the campaign has."""
    with sessions(app)() as session:
        return len(history.versions(session, campaign_id))


def _minister_id(app: Flask, campaign_id: int) -> int:
    """The demo's custom person."""
    person = _campaign(app, campaign_id).targets[1].person
    assert person is not None
    return person.id


def _url(campaign_id: int, rest: str = "") -> str:
    """A URL of the target editor."""
    return f"/admin/campaigns/{campaign_id}/targets{rest}"


def test_index_lists_the_targets_in_order_with_buttons_for_a_lead(
    client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    page = parse(client.get(_url(campaign_id)).data)
    rows = page.select("table.targets tbody tr")
    assert len(rows) == 2
    assert "own MP" in text(rows[0])
    assert rows[0].select("button.move-down") and not rows[0].select("button.move-up")
    assert rows[1].select("button.move-up") and rows[1].select("a.remove")
    boxes = one(page, "section.add-own-mp").select("input[type=checkbox][name=parties]")
    assert "Bloc Québécois" in [box["value"] for box in boxes]
    assert_unique_ids(page)  # two forms of one kind on the page, each with its own ids


def test_an_organizer_sees_the_targets_but_no_forms_and_gets_403_on_posts(
    client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.organizer)
    page = parse(client.get(_url(campaign_id)).data)
    assert len(page.select("table.targets tbody tr")) == 2
    assert page.select("form[method=post] button.remove") == []
    target_id = _campaign(client.application, campaign_id).targets[0].id
    for rest in ("/own-mp", "/person", f"/{target_id}/move", f"/{target_id}/remove"):
        assert _post(client, _url(campaign_id, rest)).status_code == 403
    assert _post(client, "/admin/people/new", data={"full_name": "X"}).status_code == 403


@pytest.mark.usefixtures("unpublished")
def test_adding_the_own_mp_with_filters_and_a_fallback_makes_a_version(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    before = _versions(app, campaign_id)
    minister_id = _minister_id(app, campaign_id)
    response = _post(
        client,
        _url(campaign_id, "/own-mp"),
        data={
            "parties": ["Bloc Québécois", "Liberal"],
            "provinces": ["QC", "ON"],
            "fallback_person_id": str(minister_id),
            "role_en": "your MP",
        },
    )
    assert response.status_code == 302
    added = _campaign(app, campaign_id).targets[-1]
    assert (added.kind, added.parties, added.provinces) == (
        TargetKind.own_mp,
        "Bloc Québécois|Liberal",
        "ON QC",
    )
    assert added.fallback_person_id == minister_id
    assert _versions(app, campaign_id) == max(before, 1) + 1
    row = parse(client.get(_url(campaign_id)).data).select("table.targets tbody tr")[-1]
    assert "Bloc Québécois, Liberal" in text(one(row, ".filter-parties"))


@pytest.mark.usefixtures("unpublished")
def test_searching_an_mp_by_name_ignores_accents_and_adds_them(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    page = parse(client.get(_url(campaign_id) + "?q=sebastien+lemire").data)
    options = one(page, "#add-person select[name=person_id]").select("optgroup")[0].select("option")
    assert [text(o) for o in options] == [
        "Sébastien Lemire · Bloc Québécois · Abitibi—Témiscamingue (24002)"
    ]
    response = _post(
        client,
        _url(campaign_id, "/person"),
        data={"person_id": options[0]["value"], "role_en": "the Bloc's critic"},
    )
    assert response.status_code == 302
    added = _campaign(app, campaign_id).targets[-1]
    assert added.person is not None and added.person.fed_num == 24002
    assert added.role_en == "the Bloc's critic"


def test_searching_by_riding_number_finds_its_mp(
    client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    page = parse(client.get(_url(campaign_id) + f"?q={ALGONQUIN}").data)
    group = one(page, "#add-person select[name=person_id]").select("optgroup")[0]
    assert [text(o) for o in group.select("option")] == [
        "Cheryl Gallant · Conservative · Algonquin—Renfrew—Pembroke (35002)"
    ]


def test_an_unknown_person_is_refused_next_to_the_field_keeping_the_roles(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    before = _versions(app, campaign_id)
    response = _post(
        client,
        _url(campaign_id, "/person"),
        data={"person_id": "999999", "role_en": "the Minister"},
    )
    assert response.status_code == 400
    page = parse(response.data)
    field = one(page, "#add-person .field.has-error")
    assert "choose a person" in text(one(field, ".error"))
    assert one(page, "#add-person input[name=role_en]")["value"] == "the Minister"
    assert_unique_ids(page)
    assert [str(tag["name"]) for tag in page.select("[autofocus]")] == ["person_id"]
    assert len(_campaign(app, campaign_id).targets) == 2
    assert _versions(app, campaign_id) == before


@pytest.mark.usefixtures("unpublished")
def test_moving_and_removing_targets_each_make_a_version(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    first, second = (t.id for t in _campaign(app, campaign_id).targets)
    _post(client, _url(campaign_id, f"/{second}/move"), data={"direction": "up"})
    after_move = _versions(app, campaign_id)
    assert [t.id for t in _campaign(app, campaign_id).targets] == [second, first]
    # Removing asks first: a POST without the confirmation page's field does nothing.
    refused = _post(client, _url(campaign_id, f"/{second}/remove"))
    assert refused.status_code == 400
    assert one(parse(refused.data), "form.confirm")["action"] == _url(
        campaign_id, f"/{second}/remove"
    )
    assert len(_campaign(app, campaign_id).targets) == 2
    assert confirm_via_page(client, _url(campaign_id, f"/{second}/remove")).status_code == 302
    assert [(t.id, t.position) for t in _campaign(app, campaign_id).targets] == [(first, 1)]
    assert _versions(app, campaign_id) == after_move + 1


@pytest.mark.usefixtures("unpublished")
def test_editing_a_target_changes_its_filters(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    target_id = _campaign(app, campaign_id).targets[0].id
    page = parse(client.get(_url(campaign_id, f"/{target_id}")).data)
    assert one(page, "input[name=role_en]")["value"] == "your MP"
    response = _post(
        client, _url(campaign_id, f"/{target_id}"), data={"provinces": ["ON"], "role_en": "your MP"}
    )
    assert response.status_code == 302
    assert _campaign(app, campaign_id).targets[0].provinces == "ON"


def _office(**fields: str) -> dict[str, str]:
    """Form fields of office 0."""
    base = {
        "kind": "other",
        "label_en": "Minister's office",
        "phone": "613-555-0123 ext. 45",
        "city": "Ottawa",
        "province_abbr": "ON",
        "postal_code": "k1a0a6",
        "time_zone": "America/Toronto",
        "hours": "Mon-Thu 09:00-17:00; Fri 9:00-12:00",
    }
    return {f"offices-0-{name}": value for name, value in (base | fields).items()}


def test_a_lead_adds_a_custom_person_with_an_office(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    login_as(Role.lead)
    data = {"full_name": "Hon. Pat Minister", "email": "pat@example.gc.ca", **_office()}
    response = _post(client, "/admin/people/new", data=data)
    assert response.status_code == 302
    person = session.scalars(select(Person).where(Person.full_name == "Hon. Pat Minister")).one()
    [office] = person.offices
    assert (office.phone, office.phone_raw) == ("+16135550123", "613-555-0123 ext. 45")
    assert (office.postal_code, office.hours) == ("K1A 0A6", "Mon-Thu 09:00-17:00; Fri 09:00-12:00")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.object_id == person.id)).all()
    assert [e.action for e in entries if e.object_type == "person"] == ["person.update"]
    listing = parse(client.get("/admin/people").data)
    assert "Pat Minister" in text(one(listing, "table.people"))


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("offices-0-phone", _office(phone="12"), "phone"),
        ("email", {"email": "not an address"}, "valid email"),
        ("offices-0-time_zone", _office(time_zone="Europe/Paris"), "time zone"),
    ],
)
def test_bad_person_input_is_refused_next_to_the_field_keeping_what_was_typed(
    client: FlaskClient,
    login_as: Callable[..., User],
    field: str,
    data: dict[str, str],
    message: str,
) -> None:
    login_as(Role.lead)
    response = _post(client, "/admin/people/new", data={"full_name": "Kept Name", **data})
    assert response.status_code == 400
    page = parse(response.data)
    wrong = one(page, ".field.has-error")
    assert one(wrong, f"[name={field}]")
    assert message in text(one(wrong, ".error")).lower()
    assert one(page, "input[name=full_name]")["value"] == "Kept Name"


def test_deleting_a_person_a_target_uses_is_refused(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    minister_id = _minister_id(app, campaign_id)
    response = _post(client, f"/admin/people/{minister_id}/delete", {"confirmed": "yes"})
    assert response.status_code == 400
    assert demo.DEMO_SLUG in text(one(parse(response.data), ".flash.error"))
    assert _minister_id(app, campaign_id) == minister_id


def _set_fallback(app: Flask, campaign_id: int, **fields: object) -> str:
    """Give the demo's own-MP target the Minister as fallback and ``fields``; her name."""
    with sessions(app)() as session:
        campaign: Campaign | None = session.get(Campaign, campaign_id)
        assert campaign is not None
        own, minister = campaign.targets
        own.fallback_person = minister.person
        for name, value in fields.items():
            setattr(own, name, value)
        session.commit()
        assert minister.person is not None
        return minister.person.full_name


def test_the_riding_page_says_the_fallback_stands_in_for_a_vacant_seat(
    app: Flask, client: FlaskClient, campaign_id: int
) -> None:
    name = _set_fallback(app, campaign_id)
    page = parse(client.get(f"/c/{demo.DEMO_SLUG}/riding/35095").data)
    first = page.select("section.target")[0]
    assert name in text(one(first, "h3"))
    assert "vacant" in text(one(first, "p.fallback"))
    assert text(one(first, "p.progress")).endswith(
        ": the person this campaign asks you to contact instead of your MP"
    )


def test_the_riding_page_names_the_mp_a_filter_leaves_out(
    app: Flask, client: FlaskClient, campaign_id: int
) -> None:
    name = _set_fallback(app, campaign_id, parties="Liberal")
    page = parse(client.get(f"/c/{demo.DEMO_SLUG}/riding/{ALGONQUIN}").data)
    note = text(one(page.select("section.target")[0], "p.fallback"))
    assert "Cheryl Gallant" in note and name in note


def test_a_lead_adding_an_office_as_another_lead_does_gets_a_409(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    login_as(Role.lead)
    person = Person(full_name="Hon. Pat Minister", source="lead")
    session.add(person)
    session.commit()

    def other_lead_saves_first(*_args: object) -> None:
        """Another lead's save lands between this one's reading and writing."""
        with sessions(app)() as other:
            other.add(Office(person_id=person.id, kind="other", position=1, label_en="Theirs"))
            other.commit()

    event.listen(sessions(app), "before_flush", other_lead_saves_first, once=True)
    data = {"full_name": "Hon. Pat Minister", **_office(label_en="Mine")}
    response = _post(client, f"/admin/people/{person.id}", data=data)
    assert response.status_code == 409
    assert "at the same time" in text(parse(response.data))
    session.expire_all()
    assert [
        o.label_en for o in session.scalars(select(Office)).all() if o.person_id == person.id
    ] == ["Theirs"]


# -- A target's own words ----------------------------------------------------------------

MINISTER_WORDS = {
    "role_en": "the Minister",
    "role_fr": "la ministre",
    "person_id": "",  # filled in by the test
    "talking_points_en": "Minister, please act\x07 for {riding}.",
    "talking_points_fr": "Madame la Ministre, agissez pour {riding}.",
    "email_subject_en": "From {riding}",
    "email_subject_fr": "",
    "email_body_en": "Please act now.",
    "email_body_fr": "",
    "address_en": "Minister  Metlege Diab",
    "address_fr": "Madame la Ministre",
    "gender": "f",
}


def _publish(client: FlaskClient, campaign_id: int) -> None:
    """Publish the live campaign's draft of changes through its review page."""
    assert confirm_via_page(client, f"/admin/campaigns/{campaign_id}/changes").status_code == 303


def _scripts(client: FlaskClient, lang: str = "en") -> list[str]:
    """The talking points of each card on the Spadina—Harbourfront riding page."""
    page = parse(client.get(f"/c/{demo.DEMO_SLUG}/riding/35100?lang={lang}").data)
    return [text(one(card, "div.script")) for card in page.select("section.target")]


def test_a_lead_gives_a_target_its_own_words_and_the_riding_page_uses_them(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    minister = _campaign(app, campaign_id).targets[1]
    url = _url(campaign_id, f"/{minister.id}")
    page = parse(client.get(url).data)
    assert one(page, "input[name=address_fr]")["value"] == "Madame la Ministre"
    assert "use the campaign's text" in text(one(page, "fieldset.target-words"))
    assert one(page, "select[name=gender] option[selected]")["value"] == "f"
    assert "{salutation}" in [text(dt) for dt in page.select("details.placeholders dt")]
    assert _versions(app, campaign_id) == 0
    response = _post(client, url, {**MINISTER_WORDS, "person_id": str(minister.person_id)})
    assert response.status_code == 302
    # The campaign is live: supporters keep the published words until the lead publishes.
    assert _scripts(client)[1] != "Minister, please act for Spadina—Harbourfront."
    _publish(client, campaign_id)
    stored = _campaign(app, campaign_id).targets[1]
    assert stored.talking_points_en == "Minister, please act for {riding}."  # no BEL
    assert (stored.address_en, stored.gender) == ("Minister Metlege Diab", "f")
    assert stored.email_subject_fr == stored.email_body_fr == ""
    assert _versions(app, campaign_id) == 2  # the demo as seeded, then this change
    assert "Has its own words" in text(parse(client.get(_url(campaign_id)).data))
    campaign_points = _campaign(app, campaign_id).talking_points_en
    mp_points, minister_points = _scripts(client)
    assert minister_points == "Minister, please act for Spadina—Harbourfront."
    assert campaign_points.splitlines()[0].strip("*").split(",")[0] in mp_points  # "Hello"
    assert _scripts(client, "fr")[1] == "Madame la Ministre, agissez pour Spadina—Harbourfront."


def test_emptying_a_targets_words_falls_back_to_the_campaigns_text(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    minister = _campaign(app, campaign_id).targets[1]
    empty = {name: "" for name in MINISTER_WORDS}
    data = {**empty, "role_en": "the Minister", "person_id": str(minister.person_id)}
    assert _post(client, _url(campaign_id, f"/{minister.id}"), data).status_code == 302
    _publish(client, campaign_id)
    mp_points, minister_points = _scripts(client)
    assert minister_points == mp_points.replace("Chi Nguyen", "Lena Metlege Diab")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("talking_points_fr", "Bonjour {ministre}", "Unknown placeholder {ministre}."),
        ("email_subject_en", "x" * 201, "Please keep this under 200 characters"),
        ("gender", "x", "Please choose one of the listed forms."),
    ],
)
def test_bad_words_are_refused_next_to_the_field_and_nothing_is_saved(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    campaign_id: int,
    field: str,
    value: str,
    message: str,
) -> None:
    login_as(Role.lead)
    minister = _campaign(app, campaign_id).targets[1]
    before = minister.talking_points_fr
    data = {**MINISTER_WORDS, "person_id": str(minister.person_id), field: value}
    response = _post(client, _url(campaign_id, f"/{minister.id}"), data)
    assert response.status_code == 400
    page = parse(response.data)
    assert text(one(page, f"#{field}-error")).startswith(message)
    assert one(page, f"[name={field}]")["aria-invalid"] == "true"
    assert _campaign(app, campaign_id).targets[1].talking_points_fr == before


def test_a_custom_persons_form_of_address_greets_them_where_the_target_says_nothing(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int
) -> None:
    login_as(Role.lead)
    minister = _campaign(app, campaign_id).targets[1]
    data = {
        "full_name": "Lena Metlege Diab",
        "email": "lenametlege.diab@parl.gc.ca",
        "address_en": "Minister  Diab",
        "address_fr": "",
        "gender": "f",
    }
    response = _post(client, f"/admin/people/{minister.person_id}", data)
    assert response.status_code == 302
    page = parse(client.get(f"/admin/people/{minister.person_id}").data)
    assert one(page, "input[name=address_en]")["value"] == "Minister Diab"
    assert one(page, "select[name=gender] option[selected]")["value"] == "f"
    # The demo's target has its own forms of address: they come first. Clear them.
    with sessions(app)() as session:
        target = session.get(Target, minister.id)
        assert target is not None
        target.address_en = target.address_fr = target.gender = ""
        session.commit()
    preview = parse(client.get(f"/admin/campaigns/{campaign_id}/preview?fed_num=35100").data)
    assert [text(p) for p in preview.select("article.letter p.salutation")] == [
        "Dear Chi Nguyen,",
        "Dear Minister Diab,",
    ]
    french = f"/admin/campaigns/{campaign_id}/preview?fed_num=35100&lang=fr"
    salutations = parse(client.get(french).data).select("article.letter p.salutation")
    assert [text(p) for p in salutations] == ["Bonjour Chi Nguyen,", "Madame,"]


def test_a_custom_persons_gender_must_be_one_of_the_choices(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.lead)
    response = _post(client, "/admin/people/new", {"full_name": "Pat", "gender": "x"})
    assert response.status_code == 400
    assert text(one(parse(response.data), "#gender-error")) == (
        "Please choose one of the listed forms."
    )


def test_people_lists_name_parties_and_ridings_in_french(
    client: FlaskClient, campaign_id: int, login_as: Callable[..., User]
) -> None:
    login_as(Role.lead)
    page = parse(client.get(_url(campaign_id) + "?lang=fr").data)
    labels = [text(option) for option in page.select("select option")]
    assert any(" · Libéral · " in label for label in labels)
    assert not any(" · Liberal" in label for label in labels)
    people = parse(client.get("/admin/people?lang=fr").data)
    assert "Libéral" in [text(td) for td in people.select("table.people td")]

"""The contact-data screens: search MPs, correct a field, undo; and what supporters then see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory import corrections
from callmp.models import ContactCorrection, Office, OfficeKind, Person, Role, User
from callmp.views import presenters
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse, text

INDEX = "/admin/contacts"
AVALON = 10001
RIDING_PAGE = "/c/status-for-all/riding/10001"


def member(session: Session, fed_num: int = AVALON) -> Person:
    """The sitting MP for ``fed_num``."""
    return session.scalars(select(Person).where(Person.fed_num == fed_num)).one()


def office(person: Person, kind: OfficeKind) -> Office:
    """The person's first office of ``kind``."""
    return next(o for o in person.offices if o.kind == kind)


def page_of(person: Person) -> str:
    """The MP's contact page."""
    return f"{INDEX}/people/{person.id}"


def token(soup: BeautifulSoup) -> str:
    """The page's CSRF token."""
    return str(soup.select("input[name=csrf_token]")[0]["value"])


def form_for(soup: BeautifulSoup, target: str) -> Tag:
    """The correction form for ``target`` (``email``, ``phone:<office id>``...)."""
    return one(soup, f"form#form-{target.replace(':', '-')}")


def post_correction(
    client: FlaskClient, person: Person, target: str, value: str, note: str = ""
) -> tuple[int, BeautifulSoup]:
    """Fill and send the form for ``target``; the status and the page it shows."""
    soup = parse(client.get(page_of(person)).data)
    prefix = target.replace(":", "-")
    response = client.post(
        page_of(person),
        data={
            "csrf_token": token(soup),
            "target": target,
            f"{prefix}-value": value,
            f"{prefix}-note": note,
        },
        follow_redirects=True,
    )
    return response.status_code, parse(response.data)


@pytest.fixture
def lead(login_as: Callable[..., User]) -> User:
    """The client, logged in as a campaign lead."""
    return login_as(Role.lead, name="Lee Lead")


# --- access -----------------------------------------------------------------------------------


def test_organizers_get_403_everywhere(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    login_as(Role.organizer)
    mp = member(session)
    assert client.get(INDEX).status_code == 403
    assert client.get(page_of(mp)).status_code == 403
    soup = parse(client.get("/account/password").data)
    response = client.post(
        page_of(mp), data={"csrf_token": token(soup), "target": "email", "email-value": "x@y.ca"}
    )
    assert response.status_code == 403
    assert mp.email == "paul.connors@parl.gc.ca"


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get(INDEX)
    assert response.status_code in (302, 401)


def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    response = client.post(page_of(mp), data={"target": "email", "email-value": "x@parl.gc.ca"})
    assert response.status_code == 400
    session.expire_all()
    assert mp.email == "paul.connors@parl.gc.ca"


def test_custom_people_are_not_edited_here(
    client: FlaskClient, lead: User, session: Session
) -> None:
    custom = session.scalars(select(Person).where(Person.ourcommons_person_id.is_(None))).first()
    assert custom is not None
    assert client.get(page_of(custom)).status_code == 404
    assert client.get(f"{INDEX}/people/999999").status_code == 404


# --- search and list --------------------------------------------------------------------------


def test_search_by_riding_name_without_accents_links_to_the_mp(
    client: FlaskClient, lead: User, session: Session
) -> None:
    soup = parse(client.get(INDEX, query_string={"q": "temiscamingue"}).data)
    links = soup.select(".contact-matches a")
    assert links
    wanted = member(session, 24002)
    assert page_of(wanted) in [link["href"] for link in links]
    assert one(soup, "input[name=q]")["value"] == "temiscamingue"


def test_search_by_riding_number(client: FlaskClient, lead: User, session: Session) -> None:
    soup = parse(client.get(INDEX, query_string={"q": "10001"}).data)
    [link] = soup.select(".contact-matches a")
    assert link["href"] == page_of(member(session)) and text(link) == "Paul Connors"


def test_search_with_no_match_says_so(client: FlaskClient, lead: User) -> None:
    soup = parse(client.get(INDEX, query_string={"q": "zzzz nobody"}).data)
    assert not soup.select(".contact-matches")
    assert "No sitting MP matches" in text(one(soup, "p.no-matches"))


def test_the_list_shows_active_corrections_with_date_and_who(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    hill = office(mp, OfficeKind.hill)
    corrections.correct(session, lead, mp, "phone", "613-992-5555", office=hill, note="called")
    session.commit()
    [row] = parse(client.get(INDEX).data).select("table.corrections tbody tr")
    cells = [text(cell) for cell in row.select("td")]
    assert cells[0] == "Paul Connors"
    assert cells[1] == "Phone · Parliament Hill office"
    assert cells[2] == "613-992-5555"
    assert cells[3] == "613-992-4133"
    assert cells[4].endswith("Lee Lead")
    assert cells[5] == "called"


# --- correcting -------------------------------------------------------------------------------


def test_correcting_a_phone_saves_it_and_marks_it(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    hill = office(mp, OfficeKind.hill)
    status, soup = post_correction(client, mp, f"phone:{hill.id}", "613-992-5555 ext. 12", "note")
    assert status == 200
    assert "Correction saved" in text(one(soup, "p.flash"))
    section = one(soup, f"#phone-{hill.id}")
    assert text(one(section, ".current .value")) == "613-992-5555 ext. 12"
    assert "Lee Lead" in text(one(section, ".corrected"))
    assert "613-992-4133" in text(one(section, ".correction-mark"))
    session.expire_all()
    assert hill.phone == "+16139925555"


@pytest.mark.parametrize(
    ("target", "value", "message"),
    [
        pytest.param("phone", "613-99", "incomplete", id="short-phone"),
        pytest.param("hours", "Mon 9am-5pm", "is not a time", id="am-pm-hours"),
        pytest.param("email", "paul at parl", "valid email", id="bad-email"),
        pytest.param("email", "paul.connors@parl.gc.ca", "already", id="unchanged"),
    ],
)
def test_bad_input_gets_400_with_the_message_and_keeps_what_was_typed(
    client: FlaskClient, lead: User, session: Session, target: str, value: str, message: str
) -> None:
    mp = member(session)
    if target != "email":
        target = f"{target}:{office(mp, OfficeKind.constituency).id}"
    status, soup = post_correction(client, mp, target, value, "my note")
    assert status == 400
    form = form_for(soup, target)
    assert message in text(one(form, ".has-error .error"))
    prefix = target.replace(":", "-")
    assert one(form, f"input[name={prefix}-value]")["value"] == value
    assert one(form, f"input[name={prefix}-value]")["aria-invalid"] == "true"
    assert one(form, f"input[name={prefix}-note]")["value"] == "my note"
    assert len(soup.select(".has-error")) == 1  # the other forms stay clean
    assert session.scalars(select(ContactCorrection)).first() is None


def test_a_too_long_note_is_shown_next_to_the_note(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    status, soup = post_correction(client, mp, "email", "p.connors@parl.gc.ca", "x" * 301)
    assert status == 400
    error_field = one(form_for(soup, "email"), ".has-error")
    assert one(error_field, "input")["name"] == "email-note"


def test_a_target_of_another_persons_office_is_refused(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp, other = member(session), member(session, 35096)
    status, _soup = post_correction(client, mp, f"phone:{office(other, OfficeKind.hill).id}", "x")
    assert status == 400


def test_undo_puts_the_shipped_value_back(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    status, soup = post_correction(client, mp, "email", "p.connors@parl.gc.ca")
    assert status == 200
    undo_link = one(one(soup, "#email"), ".correction-mark a.undo")
    refused = client.post(str(undo_link["href"]), data={"csrf_token": token(soup)})
    assert refused.status_code == 400  # not from the confirmation page: nothing undone
    session.expire_all()
    assert mp.email == "p.connors@parl.gc.ca"
    confirmation = parse(client.get(str(undo_link["href"])).data)
    assert "paul.connors@parl.gc.ca instead of p.connors@parl.gc.ca" in text(
        one(confirmation, "main")
    )
    response = confirm_via_page(client, str(undo_link["href"]))
    soup = parse(client.get(response.location).data)
    assert "Correction undone" in text(one(soup, "p.flash"))
    assert text(one(soup, "#email .current .value")) == "paul.connors@parl.gc.ca"
    assert not soup.select("#email .correction-mark")
    session.expire_all()
    assert mp.email == "paul.connors@parl.gc.ca"


def test_the_staff_page_says_when_the_data_now_agrees(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    fix = corrections.correct(session, lead, mp, "email", "p.connors@parl.gc.ca")
    fix.shipped_value = "P.Connors@parl.gc.ca"  # as a later import would record it
    session.commit()
    soup = parse(client.get(page_of(mp)).data)
    assert text(one(soup, "#email .agrees")) == "the data now agrees"
    assert text(one(parse(client.get(INDEX).data), "table.corrections .agrees"))


# --- what supporters see ----------------------------------------------------------------------


def test_supporters_page_says_corrected_on_instead_of_as_of(
    client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    editor = make_user(Role.lead)  # before this session writes: SQLite has one writer
    mp = member(session)
    riding = office(mp, OfficeKind.constituency)
    when = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
    corrections.correct(session, editor, mp, "phone", "709-834-9999", office=riding, now=when)
    corrections.correct(session, editor, mp, "email", "pc@parl.gc.ca", now=when)
    session.commit()
    soup = parse(client.get(RIDING_PAGE).data)
    items = soup.select("ul.offices li")
    corrected = [li for li in items if "709-834-9999" in text(li)]
    assert len(corrected) == 1
    assert text(one(corrected[0], ".corrected")) == "number corrected on November 12, 2026"
    assert "as of" not in text(corrected[0])
    others = [li for li in items if li is not corrected[0]]
    assert others and all("number as of" in text(li) for li in others)
    email_line = one(soup, "a[href='mailto:pc@parl.gc.ca']").parent
    assert email_line is not None
    assert "corrected on November 12, 2026" in text(one(email_line, ".corrected"))


def test_the_api_gives_the_correction_dates(
    client: FlaskClient, make_user: Callable[..., User], session: Session
) -> None:
    lead = make_user(Role.lead)
    mp = member(session, 35100)
    hill = office(mp, OfficeKind.hill)
    when = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
    corrections.correct(session, lead, mp, "phone", "613-992-5555", office=hill, now=when)
    corrections.correct(session, lead, mp, "hours", "Mon-Fri 08:30-16:30", office=hill, now=when)
    session.commit()
    body = client.get("/api/v1/lookup", query_string={"postal_code": "M5V 3L9"}).get_json()
    member_json = body["ridings"][0]["member"]
    assert member_json["email_corrected_on"] is None
    offices = {o["kind"]: o for o in member_json["offices"]}
    assert offices["hill"]["phone"] == "+16139925555"
    assert offices["hill"]["phone_corrected_on"] == "2026-11-12"
    assert offices["hill"]["hours"] == "Mon-Fri 08:30-16:30"
    assert offices["hill"]["hours_corrected_on"] == "2026-11-12"
    assert offices["constituency"]["phone_corrected_on"] is None
    assert offices["constituency"]["hours"] is None


def test_supporters_page_says_open_or_closed_by_the_offices_own_hours(
    app: object, session: Session
) -> None:
    mp = member(session)
    riding = office(mp, OfficeKind.constituency)  # St. John's time
    riding.hours = "Mon-Thu 09:00-17:00; Fri 09:00-12:00"
    friday_afternoon = datetime(2026, 1, 16, 17, 30, tzinfo=UTC)  # 14:00 NST
    hill = office(mp, OfficeKind.hill)
    with app.test_request_context("/"):  # type: ignore[attr-defined]
        closed = presenters.office_status(riding, friday_afternoon)
        open_now = presenters.office_status(hill, friday_afternoon)
        hours = presenters.office_hours(riding)
    # English pages are in Canadian English: "p.m." (CLDR en_CA).
    closed, open_now, hours = (s.replace("\u202f", " ") for s in (closed, open_now, hours))
    assert closed == "Closed: it's 2:00 p.m. in Conception Bay South"
    assert open_now == "Open now (12:30 p.m. there)"
    assert hours == "Mon–Thu 9:00 a.m.–5:00 p.m.; Fri 9:00 a.m.–12:00 p.m."


def test_supporters_page_shows_an_offices_own_hours(client: FlaskClient, session: Session) -> None:
    mp = member(session)
    office(mp, OfficeKind.constituency).hours = "Mon-Thu 09:00-17:00; Fri 09:00-12:00"
    session.commit()
    items = parse(client.get(RIDING_PAGE).data).select("ul.offices li .office-status")
    with_hours = [text(item) for item in items if "hours:" in text(item)]
    assert len(with_hours) == 1
    assert "Mon–Thu" in with_hours[0]

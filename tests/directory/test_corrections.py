"""Campaign leads correct MPs' phones, emails and hours; re-imports keep the corrections."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.calls import flow_plan
from callmp.calls import plan as callplan
from callmp.config import REPO_ROOT
from callmp.directory import contact_lists, corrections, data_import
from callmp.directory.corrections import CorrectionError
from callmp.i18n import translator
from callmp.models import (
    AuditEntry,
    CallRequest,
    ContactCorrection,
    Office,
    OfficeKind,
    Person,
    Role,
    User,
)
from tests.factories import demo_campaign

DATA = REPO_ROOT / "data"
AVALON = 10001  # Paul Connors: a Hill office and a riding office in St. John's time
SCARBOROUGH_SW = 35096  # Doly Begum: an address derived from the usual pattern
WHEN = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)


@pytest.fixture
def lead(make_user: Callable[..., User]) -> User:
    """A campaign lead (detached; corrections only read its id and label)."""
    return make_user(Role.lead, name="Lee Lead")


def member(session: Session, fed_num: int) -> Person:
    """The sitting MP for ``fed_num``."""
    return session.scalars(select(Person).where(Person.fed_num == fed_num)).one()


def office(person: Person, kind: OfficeKind) -> Office:
    """The person's first office of ``kind``."""
    return next(o for o in person.offices if o.kind == kind)


def audits(session: Session, action: str) -> list[AuditEntry]:
    """Audit entries of ``action``, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- correcting -------------------------------------------------------------------------------


def test_correcting_a_phone_stores_the_number_and_what_was_typed(
    session: Session, lead: User
) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    fix = corrections.correct(
        session,
        lead,
        mp,
        "phone",
        " (709) 834-9999 poste 12 ",
        office=riding,
        note="called the office on 12 Nov",
        now=WHEN,
    )
    session.commit()
    assert riding.phone == "+17098349999"
    assert riding.phone_raw == "(709) 834-9999 poste 12"
    assert (fix.field, fix.value, fix.shipped_value) == ("phone", riding.phone_raw, "709-834-3421")
    assert (fix.office_id, fix.person_id, fix.active) == (riding.id, mp.id, True)
    assert fix.note == "called the office on 12 Nov"
    assert fix.user_id == lead.id and fix.user_label == "Lee Lead"
    assert fix.created_at == WHEN
    assert riding.correction("phone") == fix
    assert riding.correction("hours") is None
    [entry] = audits(session, "contact.correct")
    assert entry.object_type == "contact_correction" and entry.object_id == fix.id
    assert "Paul Connors" in entry.summary and "834" not in entry.summary


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param("", "Please enter the office's phone number, like 613-992-0946.", id="empty"),
        pytest.param("12345", "incomplete", id="short"),
        pytest.param("+44 20 7946 0958", "Canada", id="abroad"),
    ],
)
def test_a_phone_we_cannot_dial_is_refused(
    session: Session, lead: User, typed: str, message: str
) -> None:
    mp = member(session, AVALON)
    hill = office(mp, OfficeKind.hill)
    with pytest.raises(CorrectionError) as caught:
        corrections.correct(session, lead, mp, "phone", typed, office=hill)
    assert caught.value.reason == "value"
    assert message.casefold() in str(caught.value).casefold()
    assert hill.phone == "+16139924133"
    assert session.scalars(select(ContactCorrection)).first() is None


def test_correcting_an_email_clears_the_derived_flag(session: Session, lead: User) -> None:
    mp = member(session, SCARBOROUGH_SW)
    assert mp.email_derived
    fix = corrections.correct(session, lead, mp, "email", "Doly.Begum.C1@Parl.GC.ca")
    assert mp.email == "Doly.Begum.C1@parl.gc.ca"
    assert not mp.email_derived
    assert fix.office_id is None and fix.shipped_value == "doly.begum@parl.gc.ca"
    assert mp.correction("email") == fix


@pytest.mark.parametrize("typed", ["", "not an address", "a@b", "someone@exämple.ca\nBcc: x@y.ca"])
def test_a_bad_email_is_refused(session: Session, lead: User, typed: str) -> None:
    mp = member(session, AVALON)
    with pytest.raises(CorrectionError) as caught:
        corrections.correct(session, lead, mp, "email", typed)
    assert caught.value.reason == "value"
    assert mp.email == "paul.connors@parl.gc.ca"


def test_correcting_hours_stores_them_as_parse_hours_writes_them(
    session: Session, lead: User
) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    fix = corrections.correct(
        session, lead, mp, "hours", "lun-jeu 9h-17h; ven 9h-12h", office=riding
    )
    assert riding.hours == "Mon-Thu 09:00-17:00; Fri 09:00-12:00"
    assert fix.shipped_value == ""


def test_unreadable_hours_are_refused_with_the_parsers_message(
    session: Session, lead: User
) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    with pytest.raises(CorrectionError) as caught:
        corrections.correct(session, lead, mp, "hours", "Mon 9am-5pm", office=riding)
    assert caught.value.reason == "value"
    assert caught.value.params == {"text": "9am"}
    assert riding.hours == ""


@pytest.mark.parametrize(
    ("field", "typed", "kind"),
    [
        pytest.param("phone", "(613) 992 4133", OfficeKind.hill, id="same-number-other-format"),
        pytest.param("email", "PAUL.CONNORS@parl.gc.ca", None, id="same-email-other-case"),
        pytest.param("hours", "lun-ven 9h-17h", OfficeKind.hill, id="the-default-hours"),
    ],
)
def test_a_correction_that_changes_nothing_is_refused(
    session: Session, lead: User, field: str, typed: str, kind: OfficeKind | None
) -> None:
    mp = member(session, AVALON)
    where = office(mp, kind) if kind else None
    with pytest.raises(CorrectionError, match="already"):
        corrections.correct(session, lead, mp, field, typed, office=where)


def test_a_note_is_one_line_and_short(session: Session, lead: User) -> None:
    mp = member(session, AVALON)
    with pytest.raises(CorrectionError) as caught:
        corrections.correct(session, lead, mp, "email", "pc@parl.gc.ca", note="x" * 301)
    assert caught.value.reason == "note"
    fix = corrections.correct(session, lead, mp, "email", "pc@parl.gc.ca", note="a\nb\x07 c")
    assert fix.note == "a b c"


def test_an_office_field_needs_the_persons_own_office(session: Session, lead: User) -> None:
    mp, other = member(session, AVALON), member(session, SCARBOROUGH_SW)
    with pytest.raises(ValueError, match="belongs"):
        corrections.correct(
            session, lead, mp, "phone", "613-555-0100", office=office(other, OfficeKind.hill)
        )
    with pytest.raises(ValueError, match="need"):
        corrections.correct(session, lead, mp, "phone", "613-555-0100")


# --- replacing and undoing --------------------------------------------------------------------


def test_a_new_correction_replaces_the_old_and_keeps_the_shipped_value(
    session: Session, lead: User
) -> None:
    mp = member(session, AVALON)
    hill = office(mp, OfficeKind.hill)
    first = corrections.correct(session, lead, mp, "phone", "613-992-1111", office=hill)
    second = corrections.correct(session, lead, mp, "phone", "613-992-2222", office=hill)
    session.commit()
    assert not first.active and second.active
    assert second.shipped_value == first.shipped_value == "613-992-4133"
    assert hill.phone == "+16139922222"
    assert contact_lists.active_list(session) == [second]
    assert "replaces" in audits(session, "contact.correct")[-1].summary


def test_undo_restores_the_shipped_phone(session: Session, lead: User) -> None:
    mp = member(session, AVALON)
    hill = office(mp, OfficeKind.hill)
    fix = corrections.correct(session, lead, mp, "phone", "613-992-1111 ext. 5", office=hill)
    corrections.undo(session, lead, fix)
    session.commit()
    assert (hill.phone, hill.phone_raw) == ("+16139924133", "613-992-4133")
    assert not fix.active
    session.expire_all()
    assert hill.correction("phone") is None
    [entry] = audits(session, "contact.undo")
    assert entry.object_id == fix.id
    corrections.undo(session, lead, fix)  # a second undo does nothing
    assert len(audits(session, "contact.undo")) == 1


def test_undo_of_an_email_brings_back_the_derived_flag(session: Session, lead: User) -> None:
    mp = member(session, SCARBOROUGH_SW)
    fix = corrections.correct(session, lead, mp, "email", "doly.begum.c1@parl.gc.ca")
    corrections.undo(session, lead, fix)
    assert mp.email == "doly.begum@parl.gc.ca" and mp.email_derived


def test_undo_of_hours_goes_back_to_the_default(session: Session, lead: User) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    fix = corrections.correct(session, lead, mp, "hours", "Mon-Fri 10:00-16:00", office=riding)
    corrections.undo(session, lead, fix)
    assert riding.hours == ""


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("paul connors", AVALON, id="name"),
        pytest.param("10001", AVALON, id="riding-number"),
        pytest.param("avalon", AVALON, id="riding-name"),
        pytest.param("DOLY", SCARBOROUGH_SW, id="any-case"),
        pytest.param("scarborough-sud", SCARBOROUGH_SW, id="french-riding-name"),
    ],
)
def test_search_finds_members_by_name_or_riding(
    session: Session, query: str, expected: int
) -> None:
    assert expected in [p.fed_num for p in contact_lists.search_members(session, query)]


def test_search_ignores_accents_both_ways_and_dash_kinds(session: Session) -> None:
    plain = [p.fed_num for p in contact_lists.search_members(session, "temiscamingue")]
    accented = [p.fed_num for p in contact_lists.search_members(session, "Témiscamingue")]
    assert 24002 in plain and plain == accented
    assert 24001 in [p.fed_num for p in contact_lists.search_members(session, "abitibi-baie")]
    assert contact_lists.search_members(session, "   ") == []


# --- re-import --------------------------------------------------------------------------------


def copy_data(tmp_path: Path) -> Path:
    """A copy of the shipped data to edit."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("ridings.csv", "mps.csv", "offices.csv"):
        (target / name).write_bytes((DATA / name).read_bytes())
    return target


def edit_csv(path: Path, match: dict[str, str], change: dict[str, str]) -> None:
    """Update the rows of ``path`` whose columns equal ``match``."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    hits = [row for row in rows if all(row[k] == v for k, v in match.items())]
    assert hits, match
    for row in hits:
        row.update(change)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_corrections_survive_a_reimport_which_then_reports_everything_unchanged(
    session: Session, lead: User
) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    corrections.correct(session, lead, mp, "phone", "709-834-9999", office=riding)
    corrections.correct(session, lead, mp, "hours", "Mon-Thu 09:00-17:00", office=riding)
    corrections.correct(session, lead, mp, "email", "connors.p@parl.gc.ca")
    session.commit()
    for _run in range(2):
        report = data_import.import_all(session, DATA)
        session.commit()
        assert report.updated == {} and report.created == {} and report.removed == {}
    session.expire_all()
    assert (riding.phone, riding.phone_raw) == ("+17098349999", "709-834-9999")
    assert riding.hours == "Mon-Thu 09:00-17:00"
    assert mp.email == "connors.p@parl.gc.ca"


def test_reimport_records_the_newly_shipped_value_and_when_it_agrees(
    session: Session, lead: User, tmp_path: Path
) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    phone = corrections.correct(session, lead, mp, "phone", "709 834 9999", office=riding)
    email = corrections.correct(session, lead, mp, "email", "connors.p@parl.gc.ca")
    session.commit()
    data = copy_data(tmp_path)
    where = {"ourcommons_person_id": "122369", "office_type": "constituency"}
    edit_csv(data / "offices.csv", where, {"phone": "+17098340000", "phone_raw": "709-834-0000"})
    report = data_import.import_all(session, data)
    session.commit()
    assert report.updated == {"corrections": 1}
    assert phone.shipped_value == "709-834-0000" and not corrections.agrees(phone)
    assert riding.phone == "+17098349999"
    edit_csv(data / "offices.csv", where, {"phone": "+17098349999", "phone_raw": "709-834-9999"})
    edit_csv(data / "mps.csv", {"fed_num": "10001"}, {"email": "Connors.P@parl.gc.ca"})
    data_import.import_all(session, data)
    session.commit()
    assert corrections.agrees(phone) and corrections.agrees(email)
    assert riding.phone_raw == "709 834 9999"  # still what the lead typed


def test_a_correction_goes_with_its_office_when_the_data_drops_it(
    session: Session, lead: User, tmp_path: Path
) -> None:
    mp = member(session, AVALON)
    riding = office(mp, OfficeKind.constituency)
    fix = corrections.correct(session, lead, mp, "phone", "709-834-9999", office=riding)
    session.commit()
    fix_id = fix.id
    data = copy_data(tmp_path)
    edit_csv(
        data / "offices.csv",
        {"ourcommons_person_id": "122369", "office_type": "constituency"},
        {"position": "2"},
    )
    report = data_import.import_all(session, data)
    session.commit()
    assert report.removed == {"offices": 1} and report.created == {"offices": 1}
    session.expire_all()
    assert session.get(ContactCorrection, fix_id) is None
    assert office(member(session, AVALON), OfficeKind.constituency).phone == "+17098343421"


# --- corrected hours in the call plan ---------------------------------------------------------


def test_corrected_hours_decide_the_call_plans_office_order(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    campaign.office_policy = "open_first"
    mp = member(session, AVALON)
    hill = office(mp, OfficeKind.hill)
    friday_afternoon = datetime(2026, 1, 16, 19, 0, tzinfo=UTC)  # Ottawa 14:00, NL 15:30

    def first_kinds() -> list[str]:
        stops = callplan.plan_for(
            session, campaign, AVALON, "en", friday_afternoon, translator("en")
        )
        return [str(leg.office.kind) for leg in stops[0].legs]

    assert first_kinds() == ["hill", "constituency"]
    corrections.correct(
        session, lead, mp, "hours", "Mon-Thu 09:00-17:00; Fri 09:00-12:00", office=hill
    )
    assert first_kinds() == ["constituency", "hill"]


def test_the_flow_plan_carries_each_offices_hours_for_the_voicemail_check(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    mp = member(session, AVALON)
    hill = office(mp, OfficeKind.hill)
    corrections.correct(session, lead, mp, "hours", "Mon-Fri 10:00-14:00", office=hill)
    call = CallRequest(campaign_id=campaign.id, fed_num=AVALON, locale="en", created_at=WHEN)
    plan = flow_plan.build(session, call, translator("en"))
    hours_by_office = {leg.office_id: leg.hours for leg in plan.stops[0].legs}
    assert hours_by_office[hill.id] == "Mon-Fri 10:00-14:00"
    assert hours_by_office[office(mp, OfficeKind.constituency).id] == ""

"""Campaign targets: who an own-MP target reaches (filters, fallback, vacant seats), and
the domain functions that add, move, remove and edit targets and custom people.

The demo campaign (own MP, then the Minister, a custom person) is in every test database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from callmp.calls import plan
from callmp.campaigns import people_editing, target_editing, targets
from callmp.campaigns import versions as history
from callmp.campaigns.targets import Reason
from callmp.directory import lookup
from callmp.i18n import translator
from callmp.letters import compose
from callmp.models import Campaign, Person, Target, TargetKind
from tests.factories import minister_as_person

AJAX = 35001  # ON, Liberal: Jennifer McKelvie
ALGONQUIN = 35002  # ON, Conservative: Cheryl Gallant
ABITIBI = 24002  # QC, Bloc Québécois: Sébastien Lemire
SCARBOROUGH_NORTH = 35095  # ON, vacant
AIRDRIE = 48001  # AB, Conservative
WHEN = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
EN = translator("en")


@pytest.fixture
def minister(db_session: Session, campaign: Campaign) -> Person:
    """A custom person for the Minister, the demo's second target (which the demo itself
    aims at the Immigration portfolio: see test_portfolios.py)."""
    person = minister_as_person(db_session, campaign)
    assert campaign.targets[1].person is person and person.fed_num is None
    return person


def _own_mp(campaign: Campaign, **fields: object) -> Target:
    """The demo's own-MP target with ``fields`` set."""
    target = campaign.targets[0]
    assert target.kind == TargetKind.own_mp
    for name, value in fields.items():
        setattr(target, name, value)
    return target


def _resolve(db_session: Session, campaign: Campaign, fed_num: int) -> list[targets.ResolvedTarget]:
    """The campaign's targets for a supporter in ``fed_num``."""
    db_session.flush()
    return targets.targets_for(campaign, lookup.riding(db_session, fed_num))


def test_without_filters_the_own_mp_is_reached_then_the_minister(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    items = _resolve(db_session, campaign, AJAX)
    assert [i.person.full_name if i.person else None for i in items] == [
        "Jennifer McKelvie",
        minister.full_name,
    ]
    assert items[0].own_mp and not items[0].fallback and items[0].reason is None


def test_an_mp_inside_the_party_and_province_filters_is_reached(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, parties="Liberal|Bloc Québécois", provinces="ON QC", fallback_person=minister)
    items = _resolve(db_session, campaign, ABITIBI)
    assert items[0].person is not None and items[0].person.full_name == "Sébastien Lemire"
    assert not items[0].fallback


def test_an_mp_of_another_party_reaches_the_fallback(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, parties="Liberal", fallback_person=minister)
    items = _resolve(db_session, campaign, ALGONQUIN)
    assert items[0].person is minister
    assert items[0].fallback and items[0].reason == Reason.filtered and not items[0].own_mp


def test_a_riding_in_another_province_reaches_the_fallback(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, provinces="ON QC", fallback_person=minister)
    items = _resolve(db_session, campaign, AIRDRIE)
    assert items[0].person is minister and items[0].reason == Reason.filtered


def test_a_vacant_seat_reaches_the_fallback(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, fallback_person=minister)
    items = _resolve(db_session, campaign, SCARBOROUGH_NORTH)
    assert items[0].person is minister
    assert items[0].fallback and items[0].reason == Reason.vacant and not items[0].vacant


def test_a_vacant_seat_without_fallback_stays_a_vacant_notice(
    db_session: Session, campaign: Campaign
) -> None:
    items = _resolve(db_session, campaign, SCARBOROUGH_NORTH)
    assert len(items) == 2
    assert items[0].vacant and items[0].person is None and not items[0].fallback


def test_a_filtered_out_mp_without_fallback_is_skipped(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, parties="Liberal")
    items = _resolve(db_session, campaign, ALGONQUIN)
    assert [i.person for i in items] == [minister]


def test_several_own_mp_targets_keep_the_campaign_order(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, parties="Conservative")
    campaign.targets.append(
        Target(position=3, kind=TargetKind.own_mp, parties="Liberal", fallback_person=minister)
    )
    items = _resolve(db_session, campaign, ALGONQUIN)
    assert [(i.target.position, i.person.full_name if i.person else None) for i in items] == [
        (1, "Cheryl Gallant"),
        (2, minister.full_name),
        (3, minister.full_name),
    ]
    assert [i.fallback for i in items] == [False, False, True]


def test_the_call_plan_calls_the_fallback_and_says_why(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, fallback_person=minister)
    db_session.flush()
    stops = plan.plan_for(db_session, campaign, SCARBOROUGH_NORTH, "en", WHEN, EN)
    assert stops[0].label == f"{minister.full_name}, instead of your MP (the seat is vacant)"
    assert stops[0].legs
    assert {leg.office.person_id for leg in stops[0].legs} == {minister.id}
    fr = plan.plan_for(db_session, campaign, SCARBOROUGH_NORTH, "fr", WHEN, translator("fr"))
    assert minister.full_name in fr[0].label


def test_the_call_plan_labels_a_filtered_out_mp_s_fallback(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, parties="Liberal", fallback_person=minister)
    db_session.flush()
    stops = plan.plan_for(db_session, campaign, ALGONQUIN, "en", WHEN, EN)
    assert (
        stops[0].label == f"{minister.full_name}, instead of your MP (this campaign asks other MPs)"
    )


def test_letters_go_to_the_fallback_with_an_honest_role(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    _own_mp(campaign, parties="Liberal", fallback_person=minister)
    items = _resolve(db_session, campaign, ALGONQUIN)
    assert [i.person for i in compose.recipients(items)] == [minister, minister]
    values = targets.placeholder_values(campaign, items[0], "K1A 0A6", "en", EN)
    assert values["mp_name"] == minister.full_name
    assert values["target_role"] != "your MP"
    assert "instead of your MP" in values["target_role"]


def test_an_mp_as_fallback_is_described_as_the_mp_for_their_riding(
    db_session: Session, campaign: Campaign
) -> None:
    mp = lookup.riding(db_session, AJAX)
    assert mp is not None and mp.member is not None
    _own_mp(campaign, fallback_person=mp.member)
    items = _resolve(db_session, campaign, SCARBOROUGH_NORTH)
    values = targets.placeholder_values(campaign, items[0], "", "en", EN)
    assert values["target_role"] == "MP for Ajax"


def test_adding_an_own_mp_target_checks_the_filters_and_keeps_a_version(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    before = len(history.versions(db_session, campaign.id))
    choice = target_editing.TargetChoice(
        kind=TargetKind.own_mp,
        parties=("Bloc Québécois", "Liberal"),
        provinces=("qc", "ON"),
        fallback_person_id=minister.id,
    )
    target = target_editing.add(db_session, campaign, choice, None)
    assert (target.position, target.parties, target.provinces) == (
        3,
        "Bloc Québécois|Liberal",
        "ON QC",
    )
    assert targets.split_parties(target.parties) == ["Bloc Québécois", "Liberal"]
    assert len(history.versions(db_session, campaign.id)) == max(before, 1) + 1
    with pytest.raises(target_editing.TargetError) as refused:
        bad = target_editing.TargetChoice(kind=TargetKind.own_mp, provinces=("ZZ",))
        target_editing.add(db_session, campaign, bad, None)
    assert refused.value.field == "provinces"


def test_move_and_remove_keep_positions_dense(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    first, second = campaign.targets
    target_editing.move(db_session, campaign, second.id, -1, None)
    assert [t.id for t in sorted(campaign.targets, key=lambda t: t.position)] == [
        second.id,
        first.id,
    ]
    target_editing.remove(db_session, campaign, second.id, None)
    assert [(t.id, t.position) for t in campaign.targets] == [(first.id, 1)]


def test_finding_mps_ignores_case_and_accents_and_takes_riding_numbers(db_session: Session) -> None:
    assert [p.full_name for p in target_editing.find_mps(db_session, "sebastien LEMIRE")] == [
        "Sébastien Lemire"
    ]
    assert [p.fed_num for p in target_editing.find_mps(db_session, str(ALGONQUIN))] == [ALGONQUIN]
    assert ALGONQUIN in [p.fed_num for p in target_editing.find_mps(db_session, "algonquin")]
    assert target_editing.find_mps(db_session, "nobody-by-this-name") == []


def test_a_person_used_by_a_target_cannot_be_deleted(
    db_session: Session, campaign: Campaign, minister: Person
) -> None:
    with pytest.raises(target_editing.TargetError):
        people_editing.delete(db_session, minister, None)
    assert db_session.get(Person, minister.id) is not None


def test_saving_a_custom_person_validates_each_office(db_session: Session) -> None:
    office = people_editing.OfficeData(phone="not a phone", time_zone="Europe/Paris", hours="Mon")
    data = people_editing.PersonData(full_name="A. Staffer", email="nope", offices=[office])
    with pytest.raises(people_editing.PersonInvalid) as refused:
        people_editing.save(db_session, None, data, None)
    assert set(refused.value.errors) == {
        "email",
        "offices-0-phone",
        "offices-0-time_zone",
        "offices-0-hours",
    }


def test_a_custom_person_is_saved_without_control_characters_and_with_an_ascii_address(
    db_session: Session,
) -> None:
    # Names reach TwiML and mail headers: a control character there breaks both.
    data = people_editing.PersonData(
        full_name="Chief\x07 of\u202e  Staff", email="bureau@ministère.example"
    )
    person = people_editing.save(db_session, None, data, None)
    assert person.full_name == "Chief of Staff"
    assert person.email == "bureau@" + "ministère.example".encode("idna").decode()

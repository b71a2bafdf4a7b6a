"""Whether the people on a riding page can be reached now, and when their offices open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from callmp.models import Office, OfficeKind, Person
from callmp.views.office_presenters import all_closed, reach, soonest_opening


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    """A request in English, for gettext and Babel's formats."""
    with app.test_request_context("/?lang=en"):
        yield


def _person(*offices: Office) -> Person:
    """A person with these offices, never stored."""
    return Person(full_name="Test Person", offices=list(offices))


def _hill(phone: str = "+16135550100", hours: str = "") -> Office:
    return Office(kind=OfficeKind.hill, phone=phone, time_zone="America/Toronto", hours=hours)


def _winnipeg() -> Office:
    return Office(
        kind=OfficeKind.constituency,
        phone="+12045550100",
        time_zone="America/Winnipeg",
        city="Winnipeg",
        hours="",
    )


# Toronto is UTC-5 in these weeks of November 2026; Winnipeg UTC-6.
FRIDAY_EVENING = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # Friday 20:00 in Ottawa
TUESDAY_DAWN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Tuesday 07:00 in Ottawa
MONDAY_EVENING = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # Monday 18:00 in Ottawa
WEDNESDAY_NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("now", "when"),
    [
        (FRIDAY_EVENING, "Monday at 9:00"),
        (TUESDAY_DAWN, "today at 9:00"),
        (MONDAY_EVENING, "tomorrow at 9:00"),
    ],
)
def test_a_closed_office_says_when_it_opens_on_its_own_clock(now: datetime, when: str) -> None:
    found = reach(_person(_hill()).offices, now)
    assert (found.dialable, found.open_now) == (True, False)
    assert found.label.startswith(f"Closed now: opens {when}")
    assert found.label.endswith("in Ottawa")


@pytest.mark.usefixtures("english")
def test_the_soonest_opening_wins_across_time_zones() -> None:
    # Monday 07:30 in Ottawa: the Hill opens at 9:00 there, Winnipeg an hour and a half later.
    now = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    reaches = [reach(_person(_winnipeg()).offices, now), reach(_person(_hill()).offices, now)]
    assert all_closed(reaches)
    first = soonest_opening(reaches)
    assert first is not None and first.label == "today at 9:00\u202fa.m. in Ottawa"


@pytest.mark.usefixtures("english")
def test_one_open_office_is_enough_and_no_number_is_not_closed() -> None:
    open_one = reach(_person(_hill(), _winnipeg()).offices, WEDNESDAY_NOON)
    assert open_one.open_now and open_one.label == "An office is open now"
    nobody = reach(_person(_hill(phone="")).offices, FRIDAY_EVENING)
    assert not nobody.dialable and nobody.label == "No phone number listed"
    assert not all_closed([nobody])  # nothing to call: no voicemail warning
    assert not all_closed([open_one, reach(_person(_hill()).offices, WEDNESDAY_NOON)])
    assert soonest_opening([open_one]) is None

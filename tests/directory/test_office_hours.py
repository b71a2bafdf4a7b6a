"""Office hours on each office's wall clock, and the order in which a person's offices are tried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from callmp.directory import office_hours
from callmp.directory.office_hours import (
    DEFAULT_HOURS,
    Hours,
    OfficePolicy,
    open_state,
    order_offices,
)
from callmp.models import Office, OfficeKind

TORONTO = "America/Toronto"
REGINA = "America/Regina"
ST_JOHNS = "America/St_Johns"
VANCOUVER = "America/Vancouver"
EVERY_DAY = Hours(days=frozenset(range(7)))


def at(
    zone: str, year: int, month: int, day: int, hour: int, minute: int, second: int = 0
) -> datetime:
    """An aware wall-clock time in ``zone``."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone))


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware UTC time."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Hours ---------------------------------------------------------------------------------


def test_default_hours_are_weekdays_nine_to_five() -> None:
    assert DEFAULT_HOURS.days == frozenset({0, 1, 2, 3, 4})
    assert DEFAULT_HOURS.opens == time(9, 0)
    assert DEFAULT_HOURS.closes == time(17, 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"days": frozenset()}, id="no-days"),
        pytest.param({"days": frozenset({7})}, id="day-7"),
        pytest.param({"days": frozenset({-1})}, id="negative-day"),
        pytest.param({"opens": time(17), "closes": time(9)}, id="closes-before-opening"),
        pytest.param({"opens": time(9), "closes": time(9)}, id="zero-length"),
        pytest.param({"opens": time(9, tzinfo=UTC)}, id="aware-time"),
    ],
)
def test_hours_refuse_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Hours(**kwargs)  # type: ignore[arg-type]


# --- open_state: boundaries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "is_open"),
    [
        pytest.param(8, 59, False, id="08:59"),
        pytest.param(9, 0, True, id="09:00"),
        pytest.param(12, 0, True, id="noon"),
        pytest.param(16, 59, True, id="16:59"),
        pytest.param(17, 0, False, id="17:00"),
        pytest.param(23, 59, False, id="23:59"),
        pytest.param(0, 0, False, id="midnight"),
    ],
)
def test_open_state_boundaries_on_a_weekday(hour: int, minute: int, is_open: bool) -> None:
    now = at(TORONTO, 2026, 1, 14, hour, minute)  # a Wednesday
    state = open_state(TORONTO, now)
    assert state.open is is_open
    assert state.local == now
    assert (state.next_open is None) is is_open


def test_open_state_last_second_before_closing_is_open() -> None:
    assert open_state(TORONTO, at(TORONTO, 2026, 1, 14, 16, 59, 59)).open
    assert not open_state(TORONTO, at(TORONTO, 2026, 1, 14, 8, 59, 59)).open


@pytest.mark.parametrize("day", [17, 18], ids=["saturday", "sunday"])
def test_open_state_closed_on_weekends(day: int) -> None:
    state = open_state(TORONTO, at(TORONTO, 2026, 1, day, 12, 0))
    assert not state.open
    assert state.next_open == at(TORONTO, 2026, 1, 19, 9, 0)


def test_open_state_custom_days_and_hours() -> None:
    saturday_mornings = Hours(days=frozenset({5}), opens=time(10), closes=time(12, 30))
    assert open_state(TORONTO, at(TORONTO, 2026, 1, 17, 12, 29), saturday_mornings).open
    assert not open_state(TORONTO, at(TORONTO, 2026, 1, 17, 12, 30), saturday_mornings).open
    state = open_state(TORONTO, at(TORONTO, 2026, 1, 14, 11, 0), saturday_mornings)
    assert not state.open
    assert state.next_open == at(TORONTO, 2026, 1, 17, 10, 0)


def test_open_state_converts_now_to_the_office_zone() -> None:
    now = utc(2026, 1, 14, 14, 0)  # 09:00 in Toronto, 06:00 in Vancouver
    toronto = open_state(TORONTO, now)
    vancouver = open_state(VANCOUVER, now)
    assert toronto.open
    assert not vancouver.open
    assert toronto.local.tzinfo == ZoneInfo(TORONTO)
    assert vancouver.local.tzinfo == ZoneInfo(VANCOUVER)
    assert (vancouver.local.hour, vancouver.local.minute) == (6, 0)
    assert vancouver.next_open == at(VANCOUVER, 2026, 1, 14, 9, 0)
    assert vancouver.next_open is not None
    assert vancouver.next_open.tzinfo == ZoneInfo(VANCOUVER)


def test_open_state_accepts_any_aware_now() -> None:
    eastern_standard = timezone(timedelta(hours=-5))
    assert open_state(TORONTO, datetime(2026, 1, 14, 9, 0, tzinfo=eastern_standard)).open
    assert not open_state(TORONTO, datetime(2026, 1, 14, 8, 59, tzinfo=eastern_standard)).open


def test_open_state_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        open_state(TORONTO, datetime(2026, 1, 14, 12, 0))


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons", "../etc/passwd", "EST5EDT/x"])
def test_open_state_refuses_an_unknown_zone(zone: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        open_state(zone, utc(2026, 1, 14, 14, 0))


# --- next_open -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(
            at(TORONTO, 2026, 1, 16, 17, 0),
            at(TORONTO, 2026, 1, 19, 9, 0),
            id="friday-closing-to-monday",
        ),
        pytest.param(
            at(TORONTO, 2026, 1, 16, 23, 59),
            at(TORONTO, 2026, 1, 19, 9, 0),
            id="friday-night-to-monday",
        ),
        pytest.param(
            at(TORONTO, 2026, 1, 17, 9, 0), at(TORONTO, 2026, 1, 19, 9, 0), id="saturday-to-monday"
        ),
        pytest.param(
            at(TORONTO, 2026, 1, 18, 23, 59),
            at(TORONTO, 2026, 1, 19, 9, 0),
            id="sunday-night-to-monday",
        ),
        pytest.param(
            at(TORONTO, 2026, 1, 19, 0, 0),
            at(TORONTO, 2026, 1, 19, 9, 0),
            id="monday-midnight-same-day",
        ),
        pytest.param(
            at(TORONTO, 2026, 1, 19, 8, 59),
            at(TORONTO, 2026, 1, 19, 9, 0),
            id="monday-early-same-day",
        ),
        pytest.param(
            at(TORONTO, 2026, 1, 19, 17, 0),
            at(TORONTO, 2026, 1, 20, 9, 0),
            id="monday-evening-to-tuesday",
        ),
    ],
)
def test_next_open(now: datetime, expected: datetime) -> None:
    state = open_state(TORONTO, now)
    assert not state.open
    assert state.next_open == expected
    assert state.next_open is not None
    assert state.next_open > state.local


def test_next_open_across_a_weekend_with_a_dst_change() -> None:
    # Friday 2026-03-06 after closing (EST); the clocks go forward on Sunday 2026-03-08.
    state = open_state(TORONTO, at(TORONTO, 2026, 3, 6, 17, 30))
    assert state.next_open is not None
    assert state.next_open == utc(2026, 3, 9, 13, 0)  # 09:00 EDT, not 14:00 UTC
    assert state.next_open.utcoffset() == timedelta(hours=-4)
    assert (state.next_open.hour, state.next_open.minute) == (9, 0)
    # Wall clock says 63.5 hours, the real elapsed time is one hour less.
    elapsed = state.next_open.astimezone(UTC) - state.local.astimezone(UTC)
    assert elapsed == timedelta(hours=62, minutes=30)


def test_next_open_on_a_day_whose_opening_time_does_not_exist() -> None:
    # 02:30 never happens in Toronto on 2026-03-08: the office opens when the clock says 03:30.
    night_shift = Hours(days=frozenset(range(7)), opens=time(2, 30), closes=time(6))
    state = open_state(TORONTO, utc(2026, 3, 8, 6, 0), night_shift)  # 01:00 EST
    assert not state.open
    assert state.next_open == utc(2026, 3, 8, 7, 30)
    assert state.next_open is not None
    assert (state.next_open.hour, state.next_open.minute) == (3, 30)


# --- DST and unusual offsets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "is_open", "local_hour"),
    [
        # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT.
        pytest.param(utc(2026, 3, 7, 13, 30), False, 8, id="day-before-spring-forward-08:30-est"),
        pytest.param(utc(2026, 3, 8, 13, 30), True, 9, id="spring-forward-day-09:30-edt"),
        pytest.param(utc(2026, 3, 8, 12, 59), False, 8, id="spring-forward-day-08:59-edt"),
        pytest.param(utc(2026, 3, 8, 20, 59), True, 16, id="spring-forward-day-16:59-edt"),
        pytest.param(utc(2026, 3, 8, 21, 0), False, 17, id="spring-forward-day-17:00-edt"),
        # 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST.
        pytest.param(utc(2026, 10, 31, 13, 30), True, 9, id="day-before-fall-back-09:30-edt"),
        pytest.param(utc(2026, 11, 1, 13, 30), False, 8, id="fall-back-day-08:30-est"),
        pytest.param(utc(2026, 11, 1, 14, 0), True, 9, id="fall-back-day-09:00-est"),
        pytest.param(utc(2026, 11, 1, 21, 59), True, 16, id="fall-back-day-16:59-est"),
        pytest.param(utc(2026, 11, 1, 22, 0), False, 17, id="fall-back-day-17:00-est"),
    ],
)
def test_open_state_on_dst_change_days_in_toronto(
    now: datetime, is_open: bool, local_hour: int
) -> None:
    state = open_state(TORONTO, now, EVERY_DAY)
    assert state.open is is_open
    assert state.local.hour == local_hour


def test_open_state_at_the_repeated_hour_on_fall_back_day() -> None:
    first = open_state(TORONTO, utc(2026, 11, 1, 5, 30), EVERY_DAY)  # 01:30 EDT
    second = open_state(TORONTO, utc(2026, 11, 1, 6, 30), EVERY_DAY)  # 01:30 EST
    assert first.local.hour == second.local.hour == 1
    assert (first.local.fold, second.local.fold) == (0, 1)
    assert first.next_open == second.next_open == utc(2026, 11, 1, 14, 0)


def test_monday_after_fall_back_opens_at_nine_est() -> None:
    assert not open_state(TORONTO, utc(2026, 11, 2, 13, 59)).open
    assert open_state(TORONTO, utc(2026, 11, 2, 14, 0)).open


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        pytest.param(utc(2026, 1, 14, 14, 59), False, id="january-08:59"),
        pytest.param(utc(2026, 1, 14, 15, 0), True, id="january-09:00"),
        pytest.param(utc(2026, 7, 15, 14, 59), False, id="july-08:59-no-dst"),
        pytest.param(utc(2026, 7, 15, 15, 0), True, id="july-09:00-no-dst"),
        pytest.param(utc(2026, 7, 15, 22, 59), True, id="july-16:59"),
        pytest.param(utc(2026, 7, 15, 23, 0), False, id="july-17:00"),
    ],
)
def test_regina_keeps_utc_minus_six_all_year(now: datetime, is_open: bool) -> None:
    state = open_state(REGINA, now)
    assert state.open is is_open
    assert state.local.utcoffset() == timedelta(hours=-6)


def test_regina_and_toronto_differ_by_a_different_amount_in_summer() -> None:
    winter, summer = utc(2026, 1, 14, 15, 0), utc(2026, 7, 15, 15, 0)
    assert open_state(REGINA, winter).local.hour == 9
    assert open_state(TORONTO, winter).local.hour == 10
    assert open_state(REGINA, summer).local.hour == 9
    assert open_state(TORONTO, summer).local.hour == 11


@pytest.mark.parametrize(
    ("now", "is_open", "offset"),
    [
        pytest.param(utc(2026, 1, 14, 12, 29), False, (-3, -30), id="january-08:59-nst"),
        pytest.param(utc(2026, 1, 14, 12, 30), True, (-3, -30), id="january-09:00-nst"),
        pytest.param(utc(2026, 1, 14, 20, 29), True, (-3, -30), id="january-16:59-nst"),
        pytest.param(utc(2026, 1, 14, 20, 30), False, (-3, -30), id="january-17:00-nst"),
        pytest.param(utc(2026, 7, 15, 11, 29), False, (-2, -30), id="july-08:59-ndt"),
        pytest.param(utc(2026, 7, 15, 11, 30), True, (-2, -30), id="july-09:00-ndt"),
    ],
)
def test_st_johns_half_hour_offset(now: datetime, is_open: bool, offset: tuple[int, int]) -> None:
    state = open_state(ST_JOHNS, now)
    assert state.open is is_open
    assert state.local.utcoffset() == timedelta(hours=offset[0], minutes=offset[1])


def test_st_johns_next_open_is_on_the_half_hour_in_utc() -> None:
    state = open_state(ST_JOHNS, utc(2026, 1, 16, 21, 0))  # Friday 17:30 NST
    assert state.next_open == utc(2026, 1, 19, 12, 30)


# --- order_offices -------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeOffice:
    """Just what ``order_offices`` reads, with a name to compare results by."""

    name: str
    kind: str
    position: int = 1
    is_main: bool = False
    phone: str = "+16135550100"
    time_zone: str = TORONTO
    hours: str = ""


HILL = FakeOffice("hill", "hill")
RIDING_MAIN = FakeOffice("riding-main", "constituency", 2, True, "+16045550101", VANCOUVER)
RIDING_1 = FakeOffice("riding-1", "constituency", 1, False, "+16045550102", VANCOUVER)
RIDING_3 = FakeOffice("riding-3", "constituency", 3, False, "+16045550103", VANCOUVER)
RIDING_NO_PHONE = FakeOffice("riding-no-phone", "constituency", 4, False, "", VANCOUVER)
MINISTER = FakeOffice("minister", "other", 1, True, "+16135550104")
MP = [MINISTER, RIDING_3, RIDING_NO_PHONE, RIDING_1, HILL, RIDING_MAIN]

# A Wednesday at 17:30 in Ottawa: Ottawa offices closed, Vancouver open (14:30).
OTTAWA_EVENING = at(TORONTO, 2026, 1, 14, 17, 30)
# The same Wednesday at 10:00 in Ottawa: Ottawa open, Vancouver closed (07:00).
OTTAWA_MORNING = at(TORONTO, 2026, 1, 14, 10, 0)


def names(offices: list[FakeOffice]) -> list[str]:
    """The names of ``offices``, in order."""
    return [office.name for office in offices]


@pytest.mark.parametrize(
    ("policy", "now", "expected"),
    [
        pytest.param(
            OfficePolicy.hill,
            OTTAWA_EVENING,
            ["hill", "riding-main", "riding-1", "riding-3", "minister"],
            id="hill",
        ),
        pytest.param(
            OfficePolicy.constituency,
            OTTAWA_EVENING,
            ["riding-main", "riding-1", "riding-3", "hill", "minister"],
            id="constituency",
        ),
        pytest.param(
            OfficePolicy.open_first,
            OTTAWA_EVENING,
            ["riding-main", "riding-1", "riding-3", "hill", "minister"],
            id="open-first-ottawa-closed",
        ),
        pytest.param(
            OfficePolicy.open_first,
            OTTAWA_MORNING,
            ["hill", "minister", "riding-main", "riding-1", "riding-3"],
            id="open-first-riding-closed",
        ),
        pytest.param(
            OfficePolicy.open_first,
            at(TORONTO, 2026, 1, 14, 13, 0),
            ["hill", "riding-main", "riding-1", "riding-3", "minister"],
            id="open-first-all-open-is-hill-order",
        ),
        pytest.param(
            OfficePolicy.open_first,
            at(TORONTO, 2026, 1, 17, 13, 0),
            ["hill", "riding-main", "riding-1", "riding-3", "minister"],
            id="open-first-all-closed-is-hill-order",
        ),
    ],
)
def test_order_offices(policy: OfficePolicy, now: datetime, expected: list[str]) -> None:
    assert names(order_offices(MP, policy, now)) == expected


@pytest.mark.parametrize("policy", list(OfficePolicy))
def test_order_offices_skips_offices_without_a_phone(policy: OfficePolicy) -> None:
    ordered = order_offices(MP, policy, OTTAWA_EVENING)
    assert "riding-no-phone" not in names(ordered)
    assert all(office.phone for office in ordered)
    assert len(ordered) == len(MP) - 1


@pytest.mark.parametrize("policy", list(OfficePolicy))
def test_order_offices_with_no_phone_at_all_is_empty(policy: OfficePolicy) -> None:
    no_phones = [
        FakeOffice("hill", "hill", phone=""),
        FakeOffice("riding", "constituency", is_main=True, phone=""),
    ]
    assert order_offices(no_phones, policy, OTTAWA_MORNING) == []
    assert order_offices([], policy, OTTAWA_MORNING) == []


def test_order_offices_uses_the_hours_given() -> None:
    evenings = Hours(opens=time(17), closes=time(21))
    ordered = order_offices(MP, OfficePolicy.open_first, OTTAWA_EVENING, evenings)
    assert names(ordered) == ["hill", "minister", "riding-main", "riding-1", "riding-3"]


def test_order_offices_main_office_first_then_position_among_several_hill_offices() -> None:
    second_hill = FakeOffice("hill-2", "hill", position=2)
    main_hill = FakeOffice("hill-main", "hill", position=3, is_main=True)
    ordered = order_offices([second_hill, HILL, main_hill], OfficePolicy.hill, OTTAWA_MORNING)
    assert names(ordered) == ["hill-main", "hill", "hill-2"]


def test_order_offices_puts_unknown_kinds_last() -> None:
    odd = FakeOffice("odd", "mobile-office")
    ordered = order_offices([odd, RIDING_1, HILL], OfficePolicy.constituency, OTTAWA_MORNING)
    assert names(ordered) == ["riding-1", "hill", "odd"]


def test_order_offices_accepts_the_policy_as_a_string() -> None:
    ordered = order_offices(MP, "constituency", OTTAWA_MORNING)  # type: ignore[arg-type]
    assert names(ordered)[0] == "riding-main"
    with pytest.raises(ValueError):
        order_offices(MP, "riding", OTTAWA_MORNING)  # type: ignore[arg-type]


def test_order_offices_does_not_change_its_input() -> None:
    before = list(MP)
    order_offices(MP, OfficePolicy.constituency, OTTAWA_MORNING)
    assert before == MP


def test_order_offices_works_with_the_office_model() -> None:
    hill = Office(kind=OfficeKind.hill, position=1, is_main=False, phone="+16139920946")
    hill.time_zone = TORONTO
    riding = Office(kind=OfficeKind.constituency, position=1, is_main=True, phone="+16045550101")
    riding.time_zone = VANCOUVER
    blank = Office(kind=OfficeKind.constituency, position=2, is_main=False, phone="")
    blank.time_zone = VANCOUVER
    offices = [hill, riding, blank]
    assert order_offices(offices, OfficePolicy.hill, OTTAWA_EVENING) == [hill, riding]
    assert order_offices(offices, OfficePolicy.constituency, OTTAWA_EVENING) == [riding, hill]
    assert order_offices(offices, OfficePolicy.open_first, OTTAWA_EVENING) == [riding, hill]
    assert order_offices(offices, OfficePolicy.open_first, OTTAWA_MORNING) == [hill, riding]


def test_zone_helper_returns_the_zone() -> None:
    assert office_hours.zone(ST_JOHNS) == ZoneInfo(ST_JOHNS)


# --- parse_hours / format_hours --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param(
            "Mon-Thu 09:00-17:00; Fri 09:00-12:00", "Mon-Thu 09:00-17:00; Fri 09:00-12:00"
        ),
        pytest.param("mon-fri 9:00-17:00", "Mon-Fri 09:00-17:00", id="lower-case-short-hour"),
        pytest.param("MON, WED, FRI 9h-17h", "Mon 09:00-17:00; Wed 09:00-17:00; Fri 09:00-17:00"),
        pytest.param("lun-jeu 9 h 30 - 16 h 30", "Mon-Thu 09:30-16:30", id="french-h"),
        pytest.param("Lundi à vendredi 8h30 à 12h", "Mon-Fri 08:30-12:00", id="french-words"),
        pytest.param("mer., ven. 10:00–14:00", "Wed 10:00-14:00; Fri 10:00-14:00", id="fr-dots"),
        pytest.param("Tues-Thurs 09:00-12:00, 13:00-17:00", "Tue-Thu 09:00-12:00, 13:00-17:00"),
        pytest.param("Sat-Mon 10:00-14:00", "Mon 10:00-14:00; Sat-Sun 10:00-14:00", id="wraps"),
        pytest.param("Mon-Fri 09:00-17:00;\n", "Mon-Fri 09:00-17:00", id="trailing-separator"),
        pytest.param("dim 12:00-13:00", "Sun 12:00-13:00", id="dimanche"),
    ],
)
def test_parse_hours_reads_english_and_french(text: str, canonical: str) -> None:
    assert office_hours.canonical_hours(office_hours.parse_hours(text)) == canonical


@pytest.mark.parametrize("text", ["", "   ", "\n;\n"])
def test_parse_hours_empty_text_is_weekdays_nine_to_five(text: str) -> None:
    week = office_hours.parse_hours(text)
    assert week == office_hours.DEFAULT_WEEK
    assert [week.day(d) for d in range(7)] == [[(time(9), time(17))]] * 5 + [[], []]


@pytest.mark.parametrize(
    ("text", "reason", "param"),
    [
        pytest.param("Mon 9-17", "time", "9", id="bare-hour"),
        pytest.param("Xyz 09:00-17:00", "day", "Xyz", id="unknown-day"),
        pytest.param("Mo 09:00-17:00", "day", "Mo", id="too-short"),
        pytest.param("Mon 17:00-09:00", "backwards", "17:00-09:00", id="backwards"),
        pytest.param("Mon 25:00-26:00", "time", "25:00", id="hour-25"),
        pytest.param("Mon 09:61-17:00", "time", "09:61", id="minute-61"),
        pytest.param("09:00-17:00", "no_days", "09:00-17:00", id="no-days"),
        pytest.param("Mon", "no_times", "Mon", id="no-times"),
        pytest.param("Mon 09:00", "span", "09:00", id="one-time"),
        pytest.param("Mon 9am-5pm", "time", "9am", id="am-pm"),
    ],
)
def test_parse_hours_refuses_with_a_message_and_params(text: str, reason: str, param: str) -> None:
    with pytest.raises(office_hours.HoursError) as caught:
        office_hours.parse_hours(text)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.reason == reason
    assert param in error.params.values()
    assert "%(" in error.message  # untranslated msgid, filled by the view
    assert param in str(error)


def test_parse_hours_refuses_a_day_open_twice_at_once() -> None:
    with pytest.raises(office_hours.HoursError) as caught:
        office_hours.parse_hours("Mon-Fri 09:00-17:00; Fri 09:00-12:00")
    assert caught.value.reason == "overlap"
    assert caught.value.params["day"] == "Friday"


def test_stored_hours_falls_back_to_the_default_for_unreadable_text() -> None:
    assert office_hours.stored_hours("whenever we feel like it") == office_hours.DEFAULT_WEEK
    assert office_hours.stored_hours("Sat 10:00-12:00").day(5) == [(time(10), time(12))]


def test_format_hours_in_english_and_french() -> None:
    week = office_hours.parse_hours("Mon-Thu 09:00-17:00; Fri 09:00-12:30")
    english = office_hours.format_hours(week, "en").replace("\u202f", " ")  # CLDR's narrow space
    assert english == "Mon–Thu 9:00 AM–5:00 PM; Fri 9:00 AM–12:30 PM"
    assert office_hours.format_hours(week, "fr") == "lun.–jeu. 09:00–17:00; ven. 09:00–12:30"
    assert office_hours.format_hours(office_hours.DEFAULT_HOURS, "fr") == "lun.–ven. 09:00–17:00"


# --- open_state and order_offices with each office's own hours -------------------------------

FRIDAY_MORNINGS = "Mon-Thu 09:00-17:00; Fri 09:00-12:00"


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        pytest.param(at(TORONTO, 2026, 1, 15, 16, 0), True, id="thursday-afternoon"),
        pytest.param(at(TORONTO, 2026, 1, 16, 11, 59), True, id="friday-morning"),
        pytest.param(at(TORONTO, 2026, 1, 16, 12, 0), False, id="friday-noon"),
        pytest.param(at(TORONTO, 2026, 1, 16, 15, 0), False, id="friday-afternoon"),
    ],
)
def test_open_state_with_an_office_closed_friday_afternoons(now: datetime, is_open: bool) -> None:
    assert open_state(TORONTO, now, FRIDAY_MORNINGS).open is is_open


def test_open_state_friday_afternoon_next_opens_monday() -> None:
    state = open_state(TORONTO, at(TORONTO, 2026, 1, 16, 15, 0), FRIDAY_MORNINGS)
    assert state.next_open == at(TORONTO, 2026, 1, 19, 9, 0)


def test_open_state_between_two_spans_next_opens_after_lunch() -> None:
    state = open_state(
        TORONTO, at(TORONTO, 2026, 1, 14, 12, 30), "Mon-Fri 09:00-12:00, 13:00-17:00"
    )
    assert not state.open
    assert state.next_open == at(TORONTO, 2026, 1, 14, 13, 0)


def test_open_state_custom_hours_in_regina_keep_utc_minus_six_in_summer() -> None:
    saturday = "Sat 10:00-14:00"
    assert open_state(REGINA, utc(2026, 7, 18, 16, 0), saturday).open  # 10:00 CST
    assert not open_state(REGINA, utc(2026, 7, 18, 15, 59), saturday).open
    assert not open_state(REGINA, utc(2026, 7, 17, 16, 0), saturday).open  # a Friday


def test_open_state_custom_hours_in_st_johns_open_on_the_half_hour_in_utc() -> None:
    late = "lun-ven 10h-19h"
    assert not open_state(ST_JOHNS, utc(2026, 1, 14, 13, 29), late).open  # 09:59 NST
    assert open_state(ST_JOHNS, utc(2026, 1, 14, 13, 30), late).open
    assert open_state(ST_JOHNS, utc(2026, 1, 14, 22, 29), late).open  # 18:59 NST
    state = open_state(ST_JOHNS, utc(2026, 1, 14, 22, 30), late)
    assert not state.open
    assert state.next_open == utc(2026, 1, 15, 13, 30)


def test_open_state_unreadable_stored_hours_count_as_the_default() -> None:
    assert open_state(TORONTO, at(TORONTO, 2026, 1, 14, 10, 0), "sometimes").open
    assert not open_state(TORONTO, at(TORONTO, 2026, 1, 17, 10, 0), "sometimes").open


def test_order_offices_uses_each_offices_own_hours() -> None:
    friday_afternoon = at(TORONTO, 2026, 1, 16, 14, 0)  # Vancouver 11:00
    hill = FakeOffice("hill", "hill", hours=FRIDAY_MORNINGS)
    riding = FakeOffice("riding", "constituency", 1, True, "+16045550101", VANCOUVER)
    assert names(order_offices([hill, riding], OfficePolicy.open_first, friday_afternoon)) == [
        "riding",
        "hill",
    ]
    usual_hill = FakeOffice("hill", "hill")
    assert names(
        order_offices([usual_hill, riding], OfficePolicy.open_first, friday_afternoon)
    ) == [
        "hill",
        "riding",
    ]


def test_order_offices_an_evening_office_comes_first_in_the_evening() -> None:
    evening_riding = FakeOffice("riding", "constituency", 1, True, hours="Mon-Fri 17:00-21:00")
    ordered = order_offices([HILL, evening_riding], OfficePolicy.open_first, OTTAWA_EVENING)
    assert names(ordered) == ["riding", "hill"]
    assert names(order_offices([HILL, evening_riding], OfficePolicy.hill, OTTAWA_EVENING)) == [
        "hill",
        "riding",
    ]

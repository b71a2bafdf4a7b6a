"""Whether the people on a riding page can be reached by phone now, in the visitor's words.

A supporter deciding how to act needs to know, before giving a phone number, whether a
call now reaches a person or a voicemail, and when the offices open again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import dates as babel_dates
from flask import get_template_attribute
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from callmp.directory.office_hours import open_state
from callmp.models import Office, OfficeKind
from callmp.views import presenters


@dataclass(frozen=True)
class Opening:
    """When an office (the soonest of several) next opens, as the page says it."""

    at: datetime  # aware, in the office's own time zone
    label: str  # "Monday at 9:00 AM in Ottawa"


@dataclass(frozen=True)
class Reach:
    """Whether someone can be called now: a number, an open office, the next opening."""

    dialable: bool  # at least one office has a phone number
    open_now: bool  # at least one office with a number is open now
    next_opening: Opening | None  # when none is open: the soonest opening

    @property
    def label(self) -> str:
        """ "Open now", "Closed now: opens Monday at 9:00 AM in Ottawa", or no number."""
        if not self.dialable:
            return str(gettext("No phone number listed"))
        if self.open_now:
            return str(gettext("An office is open now"))
        if self.next_opening is None:  # pragma: no cover - an office with hours opens
            return str(gettext("Closed now"))
        return str(gettext("Closed now: opens %(when)s", when=self.next_opening.label))


def _city(office: Office) -> str:
    """The city whose clock an office keeps, for "in Ottawa" (empty when unknown)."""
    return office.city or ("Ottawa" if office.kind == OfficeKind.hill else "")


def opening_label(office: Office, at: datetime, now: datetime) -> str:
    """ "today at 9:00 AM in Ottawa", "tomorrow at ...", "Monday at ...", on its wall clock."""
    locale = get_locale()
    local_now = now.astimezone(at.tzinfo)
    days = (at.date() - local_now.date()).days
    if days == 0:
        day = str(gettext("today"))
    elif days == 1:
        day = str(gettext("tomorrow"))
    else:
        day = babel_dates.format_date(at.date(), "EEEE", locale=locale)
    time = babel_dates.format_time(at, "short", tzinfo=at.tzinfo, locale=locale)
    city = _city(office)
    if city:
        return str(gettext("%(day)s at %(time)s in %(city)s", day=day, time=time, city=city))
    return str(gettext("%(day)s at %(time)s their time", day=day, time=time))


def reach(reached_by: Sequence[Office], now: datetime) -> Reach:
    """Whether a target can be called at ``now`` through ``reached_by``, by their hours."""
    offices = [o for o in reached_by if o.phone]
    if not offices:
        return Reach(dialable=False, open_now=False, next_opening=None)
    soonest: tuple[datetime, Office] | None = None
    for office in offices:
        state = open_state(office.time_zone, now, office.hours)
        if state.open:
            return Reach(dialable=True, open_now=True, next_opening=None)
        if state.next_open is not None and (soonest is None or state.next_open < soonest[0]):
            soonest = (state.next_open, office)
    opening = (
        Opening(at=soonest[0], label=opening_label(soonest[1], soonest[0], now))
        if soonest is not None
        else None
    )
    return Reach(dialable=True, open_now=False, next_opening=opening)


def all_closed(reaches: list[Reach]) -> bool:
    """True when someone has a number and nobody with a number is open now: a call now
    reaches voicemail everywhere."""
    dialable = [r for r in reaches if r.dialable]
    return bool(dialable) and not any(r.open_now for r in dialable)


def soonest_opening(reaches: list[Reach]) -> Opening | None:
    """The first opening among ``reaches`` (None when nobody opens or someone is open)."""
    openings = [r.next_opening for r in reaches if r.next_opening is not None]
    return min(openings, key=lambda o: o.at) if openings else None


#: The template whose macros draw the time-dependent parts of the riding page.
TIMES_TEMPLATE = "public/_riding_times.html"


@dataclass(frozen=True)
class Moment:
    """Whether the people on a page can be reached at ``now``, and the page's notices."""

    now: datetime
    reaches: list[Reach]
    all_closed: bool
    soonest_opening: Opening | None

    @classmethod
    def at(cls, offices: Sequence[Sequence[Office]], now: datetime) -> Moment:
        """The moment ``now`` for people reached through ``offices`` (a list each)."""
        reaches = [reach(reached_by, now) for reached_by in offices]
        return cls(now, reaches, all_closed(reaches), soonest_opening(reaches))


class Timely:
    """The parts of a riding page that change with the time of day: whether each person
    can be reached now, the "offices are closed" notices, each office's open state with
    its local time.

    A page drawn for one visitor (``marks`` is None) gets each part drawn at once. A page
    kept for every visitor is drawn once per content revision with a stand-in (``marks``,
    the part's name and a full stop) where each part goes; ``parts`` then draws every
    part for the minute at hand, to replace the stand-ins. Once drawn, it is read-only:
    threads may share it.
    """

    def __init__(self, targets: Sequence[Any], now: datetime, marks: str | None = None) -> None:
        self.offices = [list(target.offices) for target in targets]
        self.marks = marks
        self.names: list[str] = []
        self.moment = Moment.at(self.offices, now)

    def _part(self, name: str) -> Markup:
        if self.marks is None:
            return self._draw(name, self.moment)
        self.names.append(name)
        return escape(f"{self.marks}{name}.")  # letters, digits, "-", "_", "."

    def _draw(self, name: str, moment: Moment) -> Markup:
        kind, _sep, arg = name.partition("-")
        if kind == "office":
            office = next(o for offices in self.offices for o in offices if o.id == int(arg))
            return escape(presenters.office_status(office, moment.now))
        # A macro of an autoescaping template: what it returns is Markup already.
        macro = get_template_attribute(TIMES_TEMPLATE, kind)
        if kind == "reach":
            drawn = macro(moment.reaches[int(arg)])
        else:
            drawn = macro(moment.all_closed, moment.soonest_opening)
        assert isinstance(drawn, Markup)
        return drawn

    def reach(self, index: int) -> Markup:
        """Whether the page's ``index``-th person can be called now."""
        return self._part(f"reach-{index}")

    def closed_notice(self) -> Markup:
        """When every office is closed: say so, and when the first one opens."""
        return self._part("closed_notice")

    def closed_call_note(self) -> Markup:
        """When every office is closed: the call form's note that it reaches voicemail."""
        return self._part("closed_call_note")

    def office_status(self, office: Office) -> Markup:
        """Whether ``office`` is open by its hours, with its local time."""
        return self._part(f"office-{office.id}")

    def parts(self, now: datetime) -> dict[str, str]:
        """Every part this page has a stand-in for, as of ``now``: stand-in to text."""
        moment = Moment.at(self.offices, now)
        return {f"{self.marks}{name}.": str(self._draw(name, moment)) for name in self.names}

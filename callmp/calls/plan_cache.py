"""What the webhooks of one call need, worked out once per call and kept per process.

Domain code: no Flask. A call's plan (targets, labels, placeholder values, offices in
order) is fixed when the call is requested: offices are ordered as of that moment. Every
webhook used to rebuild it from the database (campaign, targets, riding, member, offices:
six queries and phone parsing, most of a webhook's time). ``PlanCache`` builds it on the
first webhook a process sees for a call and keeps it, as plain data, for the call's life.
An organiser's later edit applies to new calls; a call under way never changes course: with
Redis configured, the first plan built is shared by every process (``plan_store``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, joinedload

from callmp.calls import plan as callplan
from callmp.calls import twiml
from callmp.i18n import N_
from callmp.models import CallRequest, Campaign, Person, Target
from callmp.templating import fill

Translate = Callable[[str], str]

_DEFAULT_INTRO = N_("Hello, and thank you for taking part in the campaign %(campaign)s.")

#: Calls whose plans a process keeps, and for how long (longer than any call lasts).
CACHE_SIZE = 4096
CACHE_TTL_S = 3 * 3600.0


@dataclass(frozen=True)
class FlowLeg:
    """One office to dial."""

    office_id: int
    number: str
    send_digits: str | None
    time_zone: str = "America/Toronto"  # where the office is, for its opening hours
    hours: str = ""  # the office's own hours (``Office.hours``; empty: weekdays 9 to 5)


@dataclass(frozen=True)
class FlowStop:
    """One target: who, what the voice calls them, the script and its values, offices."""

    target_id: int
    person_id: int | None
    label: str
    values: Mapping[str, str]
    legs: tuple[FlowLeg, ...]
    talking_points: str = ""  # the target's Markdown (else the campaign's), not yet filled

    def spoken_points(self) -> str:
        """The talking points for this target as the voice reads them."""
        return twiml.markdown_to_speech(fill(self.talking_points, self.values))


@dataclass(frozen=True)
class FlowPlan:
    """Everything the webhooks of one call read besides the call's own row."""

    stops: tuple[FlowStop, ...]
    caller_id: str  # the campaign's own number; "" to use the default
    intro: str  # the spoken intro, placeholders filled


def build(session: Session, call: CallRequest, translate: Translate) -> FlowPlan:
    """The plan of ``call`` from the database, as plain data."""
    # One query for the campaign, its targets, their people and offices (lazy loads: four).
    people = joinedload(Campaign.targets).joinedload(Target.person)
    campaign = session.get(Campaign, call.campaign_id, options=[people.joinedload(Person.offices)])
    if campaign is None:
        return FlowPlan(stops=(), caller_id="", intro="")
    stops = tuple(
        FlowStop(
            target_id=stop.item.target.id,
            person_id=stop.item.person.id if stop.item.person else None,
            label=stop.label,
            values=dict(stop.values),
            legs=tuple(
                FlowLeg(
                    leg.office.id,
                    leg.number,
                    leg.send_digits,
                    leg.office.time_zone,
                    leg.office.hours,
                )
                for leg in stop.legs
            ),
            talking_points=stop.talking_points,
        )
        for stop in callplan.plan_for(
            session, campaign, call.fed_num, call.locale, call.created_at, translate
        )
    )
    intro = campaign.text("call_intro", call.locale)
    if intro:
        spoken = twiml.markdown_to_speech(fill(intro, stops[0].values if stops else {}))
    else:
        spoken = translate(_DEFAULT_INTRO) % {"campaign": campaign.text("title", call.locale)}
    return FlowPlan(
        stops=stops,
        caller_id=campaign.phone_number,
        intro=spoken,
    )


class SharedPlans(Protocol):
    """Plans shared by every process (``plan_store.RedisPlans``)."""

    def get(self, key: str) -> FlowPlan | None:
        """The plan stored for call ``key``, if any."""

    def keep_first(self, key: str, plan: FlowPlan) -> FlowPlan:
        """Store ``plan`` unless one is stored already; the plan to use."""


class PlanCache:
    """Plans by call, least recently used dropped first; safe to share between threads.

    With ``shared`` (Redis), a plan another process built first is used rather than one
    built here: every webhook of a call then sees one plan, whichever process answers it.
    """

    def __init__(
        self,
        size: int = CACHE_SIZE,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedPlans | None = None,
    ) -> None:
        self._size = size
        self._ttl_s = ttl_s
        self._clock = clock
        self.shared = shared
        self._lock = threading.Lock()
        self._plans: OrderedDict[str, tuple[float, FlowPlan]] = OrderedDict()

    def get(self, session: Session, call: CallRequest, translate: Translate) -> FlowPlan:
        """The plan of ``call``: kept, or built now and kept."""
        key = call.public_id  # random: unique across databases too (tests build many)
        now = self._clock()
        with self._lock:
            kept = self._plans.get(key)
            if kept is not None and kept[0] > now:
                self._plans.move_to_end(key)
                return kept[1]
        # Outside the lock: two builds are harmless, the shared store keeps the first.
        plan = self.shared.get(key) if self.shared is not None else None
        if plan is None:
            plan = build(session, call, translate)
            if self.shared is not None:
                plan = self.shared.keep_first(key, plan)
        with self._lock:
            self._plans[key] = (now + self._ttl_s, plan)
            self._plans.move_to_end(key)
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)
        return plan

    def __len__(self) -> int:
        """How many plans are kept."""
        with self._lock:
            return len(self._plans)

"""What the webhooks of one call follow: its plan, fixed when the call is requested.

Domain code: no Flask. A call's plan (targets, labels, placeholder values, offices in
order, the caller ID and the spoken intro) is worked out once, when the supporter asks
for the call (``from_stops``, from what the request's checks computed already), and
stored as JSON in the call's own row (``CallRequest.plan``), in the same INSERT. Every
webhook reads it from the row it loads anyway (``of_call``): no query and no phone
parsing. An organiser's later edit applies to new calls; a call under way never changes
course, whichever process answers its webhooks, because the row is shared by all of them.

Calls requested before the plan was stored (or by a path that does not store one) have
none: their first webhook builds it from the database (``build``) and stores it, the first
stored winning, so every later webhook of the call follows that one. The plan holds the
campaign's data only (targets, labels, office numbers and hours), nothing about the
supporter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from callmp.calls import plan as callplan
from callmp.calls import twiml
from callmp.calls.call_rows import CallLike, Db, orm_session, remember
from callmp.i18n import N_
from callmp.models import CallRequest, Campaign, Person, Target
from callmp.templating import fill

Translate = Callable[[str], str]

_DEFAULT_INTRO = N_("Hello, and thank you for taking part in the campaign %(campaign)s.")


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
        return self._spoken

    @cached_property
    def _spoken(self) -> str:
        """``spoken_points``, worked out once per stop (plans are shared per process)."""
        return twiml.markdown_to_speech(fill(self.talking_points, self.values))

    @cached_property
    def points_speech(self) -> str:
        """What the talking points menu says: ``twiml.talking_points``'s speech, kept."""
        return twiml.markdown_to_speech(self._spoken)


@dataclass(frozen=True)
class FlowPlan:
    """Everything the webhooks of one call read besides the call's own row."""

    stops: tuple[FlowStop, ...]
    caller_id: str  # the campaign's own number; "" to use the default
    intro: str  # the spoken intro, placeholders filled


def from_stops(
    campaign: Campaign, stops: Sequence[callplan.Stop], locale: str, translate: Translate
) -> FlowPlan:
    """The plan of a call of ``campaign`` whose targets are ``stops``, as plain data."""
    flow_stops = tuple(
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
        for stop in stops
    )
    intro = campaign.text("call_intro", locale)
    if intro:
        values = flow_stops[0].values if flow_stops else {}
        spoken = twiml.markdown_to_speech(fill(intro, values))
    else:
        spoken = translate(_DEFAULT_INTRO) % {"campaign": campaign.text("title", locale)}
    return FlowPlan(stops=flow_stops, caller_id=campaign.phone_number, intro=spoken)


def build(session: Session, call: CallLike, translate: Translate) -> FlowPlan:
    """The plan of ``call`` from the database as it is now (for calls with none stored)."""
    # One query for the campaign, its targets, their people and offices (lazy loads: four);
    # portfolios, their holders and offices load lazily (rare, and few).
    people = joinedload(Campaign.targets).joinedload(Target.person)
    campaign = session.get(Campaign, call.campaign_id, options=[people.joinedload(Person.offices)])
    if campaign is None:
        return FlowPlan(stops=(), caller_id="", intro="")
    stops = callplan.plan_for(
        session, campaign, call.fed_num, call.locale, call.created_at, translate
    )
    return from_stops(campaign, stops, call.locale, translate)


def dump(plan: FlowPlan) -> str:
    """A plan as JSON, as ``CallRequest.plan`` stores it.

    The same document as ``dataclasses.asdict`` gives (fields in their order), written out
    here: ``asdict`` copies every value recursively and cost more than the rest of storing
    a call request's row.
    """
    data = {
        "stops": [
            {
                "target_id": stop.target_id,
                "person_id": stop.person_id,
                "label": stop.label,
                "values": dict(stop.values),
                "legs": [
                    {
                        "office_id": leg.office_id,
                        "number": leg.number,
                        "send_digits": leg.send_digits,
                        "time_zone": leg.time_zone,
                        "hours": leg.hours,
                    }
                    for leg in stop.legs
                ],
                "talking_points": stop.talking_points,
            }
            for stop in plan.stops
        ],
        "caller_id": plan.caller_id,
        "intro": plan.intro,
    }
    return json.dumps(data, ensure_ascii=False)


def load(data: str | bytes) -> FlowPlan:
    """A plan from ``dump``'s JSON (read once per process: plans are shared, never changed).

    The calls of one riding follow the same plan, and each webhook of a call reads it
    again: parsing it on every webhook cost more than the webhook's SQL.
    """
    return _parsed(data)


@lru_cache(maxsize=512)
def _parsed(data: str | bytes) -> FlowPlan:
    """``load``'s work, kept per distinct JSON text."""
    raw = json.loads(data)
    stops = tuple(
        FlowStop(
            target_id=stop["target_id"],
            person_id=stop["person_id"],
            label=stop["label"],
            values=dict(stop["values"]),
            legs=tuple(FlowLeg(**leg) for leg in stop["legs"]),
            talking_points=stop["talking_points"],
        )
        for stop in raw["stops"]
    )
    return FlowPlan(stops=stops, caller_id=raw["caller_id"], intro=raw["intro"])


def of_call(db: Db, call: CallLike, translate: Translate) -> FlowPlan:
    """The plan ``call`` follows: the one stored in its row, else built now and stored.

    Building happens only for calls stored without a plan. Two webhooks of such a call
    racing on two processes may both build one; one UPDATE ... WHERE plan IS NULL keeps
    the first stored, and the other webhook reads and follows that one.
    """
    if call.plan is not None:
        return load(call.plan)
    session = orm_session(db)
    try:
        plan = build(session, call, translate)
        data = dump(plan)
        stored = session.execute(
            update(CallRequest)
            .where(CallRequest.id == call.id, CallRequest.plan.is_(None))
            .values(plan=data)
            .execution_options(synchronize_session=False)
        )
        if getattr(stored, "rowcount", 0) != 1:
            first = session.scalar(select(CallRequest.plan).where(CallRequest.id == call.id))
            if first is not None:
                data, plan = first, load(first)
    finally:
        if session is not db:  # joined to the caller's connection: its transaction stays
            session.close()
    remember(call, {"plan": data})
    return plan

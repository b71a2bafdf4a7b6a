"""Who a call reaches, in which order, through which office: the plan of one call.

Domain code: no Flask. The plan is worked out from the campaign's targets, the
supporter's riding and the campaign's office policy; it is the same for every webhook of
one call because offices are ordered as of the request's creation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns import targets
from callmp.campaigns.targets import ResolvedTarget
from callmp.directory import lookup
from callmp.directory.office_hours import OfficePolicy, order_offices
from callmp.directory.phones import PhoneError, dial_digits, parse_office_phone
from callmp.i18n import N_
from callmp.models import CallRequest, Campaign, ContactEvent, Office

Translate = Callable[[str], str]

_YOUR_MP = N_("%(name)s, your MP")
_WITH_ROLE = N_("%(name)s, %(role)s")
_VACANT = N_("your MP (the seat is vacant)")
_VACANT_POST = N_("%(role)s (the post is vacant)")
#: A portfolio with no office of its own is called at the holder's office as an MP.
_AS_MP = N_("%(name)s, %(role)s, at their office as an MP")


@dataclass(frozen=True)
class Leg:
    """One office of a target that can be dialled."""

    office: Office
    number: str
    send_digits: str | None


@dataclass(frozen=True)
class Stop:
    """One target of a call, with its offices in the order to try them."""

    item: ResolvedTarget
    legs: list[Leg]
    label: str  # what the voice calls them: "Jenny Kwan, your MP"
    values: dict[str, str]  # placeholder values for the scripts
    talking_points: str = ""  # the target's Markdown (else the campaign's), not yet filled


@lru_cache(maxsize=4096)
def _send_digits(raw: str) -> str | None:
    """The digits that reach the extension in an office number as published, if any."""
    try:
        _number, extension = parse_office_phone(raw)
        return dial_digits(extension)
    except (PhoneError, ValueError):
        return None


def _legs(offices: list[Office], policy: str, when: datetime) -> list[Leg]:
    """The offices with a number, in policy order, with the digits to reach an extension."""
    return [
        Leg(
            office=office,
            number=office.phone,
            send_digits=_send_digits(office.phone_raw or office.phone),
        )
        for office in order_offices(offices, OfficePolicy(policy), when)
    ]


def plan_for(
    session: Session,
    campaign: Campaign,
    fed_num: int | None,
    locale: str,
    when: datetime,
    translate: Translate,
    *,
    candidate: lookup.Candidate | None = None,
) -> list[Stop]:
    """The targets for a supporter in ``fed_num`` in order, each with the offices to try.

    ``candidate``: the riding of ``fed_num`` with its member, when the caller has it.
    """
    if candidate is not None and candidate.riding.fed_num != fed_num:
        candidate = None
    if candidate is None and fed_num is not None:
        # A plan dials: it does not show when a lead corrected a number.
        candidate = lookup.riding(session, fed_num, corrections=False)
    stops = []
    for item in targets.targets_for(campaign, candidate):
        values = targets.placeholder_values(
            campaign, item, targets.POSTAL_CODE_BLANK, locale, translate
        )
        if item.person is None:
            if item.portfolio is not None:
                label = translate(_VACANT_POST) % {"role": item.target.role(locale)}
            else:
                label = translate(_VACANT)
            legs: list[Leg] = []
        else:
            role = item.target.role(locale)
            if item.fallback:
                label = targets.fallback_label(item, translate, locale)
            elif item.own_mp and not role:
                label = translate(_YOUR_MP) % {"name": item.person.full_name}
            elif item.member_office:
                label = translate(_AS_MP) % {"name": item.person.full_name, "role": role}
            else:
                label = translate(_WITH_ROLE) % {"name": item.person.full_name, "role": role}
            legs = _legs(item.offices, campaign.office_policy, when)
        points = item.target.words("talking_points", locale)
        stops.append(Stop(item=item, legs=legs, label=label, values=values, talking_points=points))
    return stops


def plan(session: Session, call: CallRequest, translate: Translate) -> list[Stop]:
    """The plan of ``call``, with offices ordered as of the request's creation.

    Every webhook of one call then sees the same plan, even when an office closes while
    the call goes on.
    """
    campaign = session.get(Campaign, call.campaign_id)
    if campaign is None:
        return []
    return plan_for(session, campaign, call.fed_num, call.locale, call.created_at, translate)


@dataclass(frozen=True)
class StopProgress:
    """One target of a call and the attempts counted for it so far."""

    stop: Stop
    events: list[ContactEvent]


def progress(session: Session, call: CallRequest, translate: Translate) -> list[StopProgress]:
    """Each target of ``call`` with its counted attempts, for the supporter's status view."""
    events = session.scalars(
        select(ContactEvent)
        .where(ContactEvent.call_request_id == call.id)
        .order_by(ContactEvent.id)
    ).all()
    return [
        StopProgress(stop, [e for e in events if e.target_id == stop.item.target.id])
        for stop in plan(session, call, translate)
    ]

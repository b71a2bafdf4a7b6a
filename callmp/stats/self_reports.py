"""Counting contacts the supporter reports themselves (direct calls, mailto letters).

Domain code: no Flask. Bridged calls and letters sent through our server are counted by
their own flows and verified there; here a supporter who dialled an office from the page,
or sent the letters from their own mail app, tells us so. Nothing proves it, so each report
needs a token the server signed for the page that showed the office
(``callmp.stats.report_tokens``), counts each target once per token (its nonce is in the
events' dedupe keys: a double submission counts once and still says thank you), and takes
a place under hourly limits per IP and per client (``callmp.stats.report_limits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns.targets import ResolvedTarget
from callmp.db import insert_once
from callmp.i18n import N_, InputError
from callmp.models import Campaign, Channel, ContactEvent, Outcome
from callmp.stats import report_limits, report_tokens
from callmp.stats.report_tokens import ReportSettings, TokenError

__all__ = ["DIRECT_OUTCOMES", "ReportError", "ReportLimited", "Reporter", "TokenError"]

#: What a supporter may report after calling an office themselves.
DIRECT_OUTCOMES = (
    Outcome.talked_to_staff,
    Outcome.left_voicemail,
    Outcome.no_answer,
    Outcome.skipped,
)


class ReportError(InputError):
    """A direct-call report we cannot count."""


class ReportLimited(InputError):
    """Too many reports from one IP or one client this hour."""


TOO_MANY = N_("You have reported many contacts in the last hour. Please try again later.")


@dataclass(frozen=True)
class Reporter:
    """Who reports: the token from the page, the client's IP, and when."""

    settings: ReportSettings
    token: str
    ip: str
    now: datetime


def _ticket(
    reporter: Reporter, kind: str, campaign: Campaign, fed_num: int
) -> report_tokens.Ticket:
    """The checked token of this report (raises TokenError)."""
    return report_tokens.check(
        reporter.settings,
        reporter.token,
        kind,
        campaign_id=campaign.id,
        fed_num=fed_num,
        now=reporter.now,
    )


def _take_place(session: Session, reporter: Reporter, ticket: report_tokens.Ticket) -> None:
    """One place under the IP's and the client's hourly limits, or ReportLimited."""
    settings = reporter.settings
    limits = [("c:" + ticket.client, settings.max_per_client_per_hour)]
    if reporter.ip:
        limits.append(("i:" + settings.ip_key(reporter.ip), settings.max_per_ip_per_hour))
    if not report_limits.take(session, limits, reporter.now):
        raise ReportLimited("token", TOO_MANY)


def _counted(session: Session, dedupe_keys: Sequence[str]) -> bool:
    """Whether any of these events is already stored (a double submission)."""
    found = session.scalar(
        select(ContactEvent.id).where(ContactEvent.dedupe_key.in_(dedupe_keys)).limit(1)
    )
    return found is not None


def report_direct_call(
    session: Session,
    campaign: Campaign,
    targets: Sequence[ResolvedTarget],
    *,
    target_id: int,
    office_id: int | None,
    outcome: str,
    fed_num: int,
    referral: str,
    reporter: Reporter,
    share_source: str = "",
) -> bool:
    """Count one self-reported call to one of ``targets``; False when it was already counted.

    Raises TokenError for a token not issued for this page (or expired), ReportLimited
    over the hourly limits, ReportError for a bad choice.
    """
    ticket = _ticket(reporter, report_tokens.DIRECT, campaign, fed_num)
    if target_id not in ticket.target_ids:
        raise TokenError("token", report_tokens.NOT_THIS_PAGE)
    item = next((t for t in targets if t.target.id == target_id), None)
    if item is None or item.person is None:
        raise ReportError("target", N_("Please choose who you called."))
    if outcome not in {str(choice) for choice in DIRECT_OUTCOMES}:
        raise ReportError("outcome", N_("Please tell us how the call went."))
    office_ids = {office.id for office in item.offices}
    if office_id is not None and office_id not in office_ids:
        raise ReportError("office", N_("Please choose the office you called."))
    dedupe_key = f"d:{ticket.nonce}:{item.target.id}"
    if _counted(session, [dedupe_key]):
        return False
    _take_place(session, reporter, ticket)
    return insert_once(
        session,
        ContactEvent,
        {
            "campaign_id": campaign.id,
            "target_id": item.target.id,
            "person_id": item.person.id,
            "office_id": office_id,
            "fed_num": fed_num,
            "channel": Channel.direct_call,
            "outcome": Outcome(outcome),
            "referral": referral[:64],
            "share_source": share_source[:16],
            "dedupe_key": dedupe_key,
            "created_at": reporter.now,
        },
    )


def report_mailto(
    session: Session,
    campaign: Campaign,
    targets: Sequence[ResolvedTarget],
    *,
    fed_num: int,
    referral: str,
    reporter: Reporter,
    share_source: str = "",
) -> int:
    """Count letters the supporter sent from their own mail app; how many were new.

    The token must be the preview's for these very targets. Raises TokenError or
    ReportLimited as ``report_direct_call`` does.
    """
    ticket = _ticket(reporter, report_tokens.MAILTO, campaign, fed_num)
    people = [(item, item.person) for item in targets if item.person is not None]
    if not people or {item.target.id for item, _ in people} != ticket.target_ids:
        raise TokenError("token", report_tokens.NOT_THIS_PAGE)
    keys = {item.target.id: f"m:{ticket.nonce}:{item.target.id}" for item, _ in people}
    if _counted(session, list(keys.values())):
        return 0
    _take_place(session, reporter, ticket)
    counted = 0
    for item, person in people:
        counted += insert_once(
            session,
            ContactEvent,
            {
                "campaign_id": campaign.id,
                "target_id": item.target.id,
                "person_id": person.id,
                "fed_num": fed_num,
                "channel": Channel.email,
                "outcome": Outcome.mailto,
                "referral": referral[:64],
                "share_source": share_source[:16],
                "dedupe_key": keys[item.target.id],
                # One time for all of them: see records.count_queued.
                "created_at": reporter.now,
            },
        )
    return counted

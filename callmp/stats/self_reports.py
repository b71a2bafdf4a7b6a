"""Counting contacts the supporter reports themselves (direct calls).

Domain code: no Flask. Bridged calls are counted by the call flow; here a supporter who
dialled an office from the page tells us how it went. Each report is one ContactEvent
whose dedupe key comes from the form, so a double submission counts once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.orm import Session

from callmp.campaigns.targets import ResolvedTarget
from callmp.db import insert_once, utcnow
from callmp.i18n import N_, InputError
from callmp.models import Campaign, Channel, ContactEvent, Outcome

#: What a supporter may report after calling an office themselves.
DIRECT_OUTCOMES = (
    Outcome.talked_to_staff,
    Outcome.left_voicemail,
    Outcome.no_answer,
    Outcome.skipped,
)


class ReportError(InputError):
    """A direct-call report we cannot count."""


def new_report_token() -> str:
    """A random token for one page's report forms: resubmitting the same form counts once."""
    return secrets.token_urlsafe(12)


def report_direct_call(
    session: Session,
    campaign: Campaign,
    targets: Sequence[ResolvedTarget],
    *,
    target_id: int,
    office_id: int | None,
    outcome: str,
    fed_num: int | None,
    referral: str,
    token: str,
) -> bool:
    """Count one self-reported call to one of ``targets``; False when it was already counted."""
    item = next((t for t in targets if t.target.id == target_id), None)
    if item is None or item.person is None:
        raise ReportError("target", N_("Please choose who you called."))
    if outcome not in {str(choice) for choice in DIRECT_OUTCOMES}:
        raise ReportError("outcome", N_("Please tell us how the call went."))
    office_ids = {office.id for office in item.person.offices}
    if office_id is not None and office_id not in office_ids:
        raise ReportError("office", N_("Please choose the office you called."))
    if not token or len(token) > 40:
        raise ReportError("token", N_("This form has expired. Please reload the page."))
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
            "dedupe_key": f"d:{token}:{item.target.id}",
        },
    )


def report_mailto(
    session: Session,
    campaign: Campaign,
    targets: Sequence[ResolvedTarget],
    *,
    fed_num: int | None,
    referral: str,
    token: str,
) -> int:
    """Count letters the supporter sent from their own mail app; how many were new."""
    # One time for all of them: see mailrecords.count_queued.
    now = utcnow()
    counted = 0
    for item in targets:
        if item.person is None:
            continue
        counted += insert_once(
            session,
            ContactEvent,
            {
                "campaign_id": campaign.id,
                "target_id": item.target.id,
                "person_id": item.person.id,
                "fed_num": fed_num,
                "channel": Channel.email,
                "outcome": Outcome.mailto,
                "referral": referral[:64],
                "dedupe_key": f"m:{token}:{item.target.id}",
                "created_at": now,
            },
        )
    return counted

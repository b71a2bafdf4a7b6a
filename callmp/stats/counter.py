"""The public counter: what a campaign's page and ``/api/v1/campaigns/<slug>/counts`` show.

Domain code: no Flask. Built from the running totals only (a handful of small queries),
so every open campaign page may poll it; the web layer keeps the answer a few seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import Campaign, CampaignStatus, Channel
from callmp.petitions import tables as petition_tables
from callmp.stats import totals as stats


def public_campaign(session: Session, slug: str) -> Campaign | None:
    """The published or archived campaign with ``slug`` (drafts have no public counter)."""
    return session.scalars(
        select(Campaign).where(Campaign.slug == slug, Campaign.status != CampaignStatus.draft)
    ).first()


def counts(
    session: Session, campaign: Campaign, locale: str, now: datetime, *, by_office: bool = True
) -> dict[str, Any]:
    """The campaign's contacts made, by channel, toward its goal, and per office.

    ``total`` is every contact made; ``verified`` and ``self_reported`` split it into
    those Twilio or our mail server vouch for and those only the supporter reports. With
    the petition on, ``petition`` has its confirmed signatures and goal (and, with
    ``by_office``, its ``by_riding`` lines).
    """
    totals = stats.totals(session, campaign.id)
    figures = totals.figures
    payload: dict[str, Any] = {
        "campaign": campaign.slug,
        "total": figures.reached,
        # Of the total: vouched for by Twilio or our mail server, or by the supporter alone.
        "verified": figures.verified,
        "self_reported": figures.self_reported,
        "calls": figures.calls_reached,
        "bridged_calls": _reached(totals.by_outcome, Channel.bridged_call),
        "direct_calls": _reached(totals.by_outcome, Channel.direct_call),
        "emails": figures.emails_reached,
        "goal": campaign.goal,
        "goal_percent": _percent(figures.reached, campaign.goal),
        "attempts": {channel: sum(o.values()) for channel, o in totals.by_outcome.items()},
        "by_outcome": totals.by_outcome,
        "as_of": now.isoformat(timespec="seconds"),
    }
    if by_office:
        payload["by_office"] = [
            _office_json(row, locale)
            for row in sorted(
                stats.office_rows(session, campaign.id),
                key=lambda r: (-r.figures.reached, r.person_id, r.office.id if r.office else 0),
            )
        ]
    if campaign.petitions:
        payload["petition"] = petition_tables.public_counts(
            session, campaign, locale, by_riding=by_office
        )
    return payload


def _reached(by_outcome: dict[str, dict[str, int]], channel: Channel) -> int:
    """Contacts made on one channel."""
    return sum(n for o, n in by_outcome.get(channel, {}).items() if stats.is_reached(channel, o))


def _percent(total: int, goal: int | None) -> int | None:
    """How far toward the goal, in whole percent (may pass 100), or None without a goal."""
    return None if not goal else total * 100 // goal


def _office_json(row: stats.OfficeRow, locale: str) -> dict[str, Any]:
    """One office's line of the public counter (no supporter data: only counts)."""
    figures = row.figures
    return {
        "person": row.person.full_name if row.person else None,
        "party": row.party or None,
        "fed_num": row.riding.fed_num if row.riding else None,
        "riding": row.riding.name(locale) if row.riding else None,
        "office_id": row.office.id if row.office else None,
        "office": row.office.label(locale) if row.office else None,
        "office_kind": str(row.office.kind) if row.office else None,
        "city": row.office.city if row.office and row.office.city else None,
        "total": figures.reached,
        "verified": figures.verified,
        "self_reported": figures.self_reported,
        "calls": figures.calls_reached,
        "emails": figures.emails_reached,
        "bridged_calls": figures.values["bridged"],
        "connected": figures.values["bridged_connected"],
        "direct_calls": figures.values["direct"],
        "emails_sent": figures.values["emails_sent"],
        "emails_bounced": figures.values["emails_bounced"],
    }

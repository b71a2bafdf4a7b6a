"""Share sources: which share button brought a supporter, and the contacts each brought.

Domain code: no Flask. A share link is the campaign's address with ``?ref=CODE`` (the
sharer's referral code, when they came through one) and ``&src=CHANNEL``; the channel is
one of ``SOURCES``. Contact events record it (``contact_events.share_source``).

The "brought by shares" table reads the events themselves, not running totals: only the
events a share brought are read, through ``ix_contact_events_share`` (campaign, source,
referral, channel, outcome), a range of a covering index. Events without a source (most
of them) sit before the range, so the hot paths pay one more index entry per contact and
nothing else, and no trigger grows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.i18n import N_
from callmp.models import ContactEvent
from callmp.stats.totals import Figures

#: The share channels, in the order the buttons are shown, with their names (msgids).
SOURCES: dict[str, str] = {
    "facebook": N_("Facebook"),
    "x": N_("X"),
    "bluesky": N_("Bluesky"),
    "whatsapp": N_("WhatsApp"),
    "email": N_("Email"),
    "link": N_("Copied link"),
}


def clean_source(raw: str | None) -> str:
    """A share source as given on a link (``?src=``), or "" when it isn't one of ours."""
    value = (raw or "").strip().lower()
    return value if value in SOURCES else ""


@dataclass(frozen=True)
class ShareRow:
    """Contacts one share channel brought through one referral code ("" for none)."""

    source: str
    label: str  # the channel's msgid, translated when shown
    referral: str
    figures: Figures


def share_rows(session: Session, campaign_id: int) -> list[ShareRow]:
    """The "brought by shares" table: per channel and referral code, most contacts first."""
    E = ContactEvent
    counts = session.execute(
        select(E.share_source, E.referral, E.channel, E.outcome, func.count())
        .where(E.campaign_id == campaign_id, E.share_source > "")
        .group_by(E.share_source, E.referral, E.channel, E.outcome)
    ).all()
    figures: dict[tuple[str, str], Figures] = {}
    for source, referral, channel, outcome, n in counts:
        figures.setdefault((source, referral), Figures()).add(channel, outcome, int(n))
    rows = [
        ShareRow(source, SOURCES.get(source, source), referral, f)
        for (source, referral), f in figures.items()
    ]
    return sorted(rows, key=lambda r: (-r.figures.reached, r.source, r.referral))

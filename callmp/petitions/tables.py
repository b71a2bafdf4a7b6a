"""The organizers' table "how many constituents of each MP signed", sorted and as CSV.

Domain code: no Flask. One row per MP the signatures counted for, and one per vacant
riding (signed while the seat was empty); the counts, ridings and people come in one
query built on ``counts.riding_counts``. No signer appears here: only counts, and the
names of public officials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import Campaign, Person, PetitionDelivery, Riding
from callmp.petitions import counts, delivery
from callmp.stats.exports import _lines

#: The columns the table sorts by (``?sort=``), the first the default.
SORTS = ("signatures", "mp", "party", "riding", "province")

CONSTITUENTS_HEADER = (
    "riding_fed_num",
    "riding_en",
    "riding_fr",
    "province",
    "mp",
    "party",
    "vacant",
    "signatures",
)
DAYS_HEADER = ("date", "signatures")


@dataclass(frozen=True)
class ConstituentRow:
    """Signatures from one riding under one MP (``person_id`` None: the seat was vacant)."""

    fed_num: int | None
    person_id: int | None
    mp_name: str  # "" for a vacant seat
    party: str
    riding_en: str  # "" when the riding is unknown
    riding_fr: str
    province: str  # its abbreviation, "" when unknown
    signatures: int

    @property
    def vacant(self) -> bool:
        """Signed while the riding had no MP."""
        return self.person_id is None

    def riding(self, locale: str) -> str:
        """The riding's name in ``locale``."""
        return self.riding_fr if locale == "fr" and self.riding_fr else self.riding_en


def constituents(session: Session, campaign_id: int) -> list[ConstituentRow]:
    """Every riding and MP with signatures, most signatures first (ties by riding)."""
    grouped = counts.riding_counts(campaign_id).subquery()
    rows = session.execute(
        select(
            grouped.c.fed_num,
            grouped.c.person_id,
            grouped.c.signatures,
            Person.full_name,
            Person.party,
            Riding.name_current,
            Riding.name_current_fr,
            Riding.name_fr,
        )
        .select_from(grouped)
        .outerjoin(Riding, Riding.fed_num == grouped.c.fed_num)
        .outerjoin(Person, Person.id == grouped.c.person_id)
    ).all()
    table = [
        ConstituentRow(
            fed_num=fed_num,
            person_id=person_id,
            mp_name=name or "",
            party=party or "",
            riding_en=riding_en or "",
            riding_fr=(riding_fr_now or riding_fr) or "",
            province=counts.province_of(fed_num)[1],
            signatures=int(n),
        )
        for fed_num, person_id, n, name, party, riding_en, riding_fr_now, riding_fr in rows
    ]
    return sort_rows(table, "signatures", descending=True, locale="en")


def sort_rows(
    rows: list[ConstituentRow], key: str, *, descending: bool, locale: str
) -> list[ConstituentRow]:
    """The rows ordered by ``key`` (one of ``SORTS``); ties stay in riding order."""
    by: dict[str, Callable[[ConstituentRow], Any]] = {
        "signatures": lambda r: r.signatures,
        "mp": lambda r: (r.vacant, r.mp_name.casefold()),
        "party": lambda r: r.party.casefold(),
        "riding": lambda r: r.riding(locale).casefold(),
        "province": lambda r: r.province,
    }
    if key not in by:
        raise ValueError(f"unknown sort: {key!r}")
    # Sorted twice: by the column (stable), so equal values stay in riding order, the
    # riding's MP before its vacant seat.
    stable = sorted(rows, key=lambda r: (r.fed_num or 0, r.vacant, r.person_id or 0))
    return sorted(stable, key=by[key], reverse=descending)


def sorted_constituents(
    session: Session, campaign_id: int, key: str, *, descending: bool, locale: str
) -> list[ConstituentRow]:
    """The constituents table in the order asked (``key`` one of ``SORTS``)."""
    return sort_rows(constituents(session, campaign_id), key, descending=descending, locale=locale)


def constituents_csv(rows: list[ConstituentRow]) -> Iterator[str]:
    """The table as CSV text (riding names in both languages), with a ``total`` line."""
    cells = [
        [
            "" if r.fed_num is None else r.fed_num,
            r.riding_en,
            r.riding_fr,
            r.province,
            r.mp_name,
            r.party,
            "yes" if r.vacant else "no",
            r.signatures,
        ]
        for r in rows
    ]
    cells.append(["total", "", "", "", "", "", "", sum(r.signatures for r in rows)])
    return _lines(cells, CONSTITUENTS_HEADER)


def days_csv(days: list[counts.DayCount]) -> Iterator[str]:
    """Signatures per local day as CSV text, oldest first, with a ``total`` line."""
    cells: list[list[Any]] = [[d.day.isoformat(), d.signatures] for d in days]
    cells.append(["total", sum(d.signatures for d in days)])
    return _lines(cells, DAYS_HEADER)


@dataclass(frozen=True)
class PetitionBoard:
    """The petition section of a campaign's dashboard: every figure it shows."""

    total: int
    goal: int | None
    provinces: list[counts.ProvinceCount]
    referrals: list[counts.ReferralCount]  # per code, whatever the channel
    sources: list[counts.ReferralCount]  # per share channel, whatever the code
    days: list[counts.DayCount]
    ladder: counts.Ladder
    # The latest delivery round (None before the first) and how many rounds in all.
    last_delivery: PetitionDelivery | None = None
    deliveries: int = 0

    @property
    def goal_percent(self) -> int | None:
        """How far toward the goal, in whole percent (may pass 100); None without one."""
        return self.total * 100 // self.goal if self.goal else None


def board(session: Session, campaign: Campaign, zone: ZoneInfo, now: datetime) -> PetitionBoard:
    """The petition's figures for the dashboard, its days in ``zone`` up to ``now``."""
    ridings = counts.by_riding(session, campaign.id)
    pairs = counts.by_referral(session, campaign.id)
    return PetitionBoard(
        total=sum(r.signatures for r in ridings),
        goal=campaign.petition_goal,
        provinces=counts.by_province(ridings),
        referrals=counts.per_referral(pairs),
        sources=counts.per_source(pairs),
        days=counts.by_day(session, campaign.id, zone, now),
        ladder=counts.ladder(session, campaign.id),
        last_delivery=delivery.latest(session, campaign.id),
        deliveries=delivery.round_count(session, campaign.id),
    )


def public_counts(
    session: Session, campaign: Campaign, locale: str, *, by_riding: bool
) -> dict[str, Any]:
    """The petition's part of the public counts API: total and goal, and (``by_riding``)
    one line per riding and MP as ``by_office`` has per office. Counts only."""
    rows = constituents(session, campaign.id) if by_riding else []
    total = sum(r.signatures for r in rows) if by_riding else counts.total(session, campaign.id)
    goal = campaign.petition_goal
    payload: dict[str, Any] = {
        "total": total,
        "goal": goal,
        "goal_percent": total * 100 // goal if goal else None,
    }
    if by_riding:
        payload["by_riding"] = [
            {
                "fed_num": r.fed_num,
                "riding": r.riding(locale) or None,
                "province": r.province or None,
                "person": r.mp_name or None,
                "party": r.party or None,
                "vacant": r.vacant,
                "signatures": r.signatures,
            }
            for r in rows
        ]
    return payload

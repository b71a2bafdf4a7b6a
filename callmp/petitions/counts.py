"""How many signed a campaign's petition, and where they live.

Domain code: no Flask. Only confirmed signatures count. Each figure is read through an
index that starts with (campaign, status), so its cost follows the petition's size, not
the whole table's: per riding through (campaign, status, fed_num), per referral and share
source through (campaign, status, referral, share_source), per day through (campaign,
status, created_at). A signature's day is the local day it was signed (``created_at``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from callmp.i18n import N_
from callmp.models import Partner, PetitionSignature, SignatureStatus
from callmp.stats.share_sources import SOURCES

#: Signatures read from the database per batch when counting them per day.
BATCH = 2000

#: Provinces and territories by the first two digits of a FED number, with their names.
PROVINCES: dict[int, tuple[str, str]] = {
    10: ("NL", N_("Newfoundland and Labrador")),
    11: ("PE", N_("Prince Edward Island")),
    12: ("NS", N_("Nova Scotia")),
    13: ("NB", N_("New Brunswick")),
    24: ("QC", N_("Quebec")),
    35: ("ON", N_("Ontario")),
    46: ("MB", N_("Manitoba")),
    47: ("SK", N_("Saskatchewan")),
    48: ("AB", N_("Alberta")),
    59: ("BC", N_("British Columbia")),
    60: ("YT", N_("Yukon")),
    61: ("NT", N_("Northwest Territories")),
    62: ("NU", N_("Nunavut")),
}


def counted(campaign_id: int) -> ColumnElement[bool]:
    """The condition a signature meets to count on ``campaign_id``'s petition."""
    return (PetitionSignature.campaign_id == campaign_id) & (
        PetitionSignature.status == SignatureStatus.confirmed
    )


def total(session: Session, campaign_id: int) -> int:
    """Confirmed signatures on the campaign's petition."""
    query = select(func.count()).select_from(PetitionSignature).where(counted(campaign_id))
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class RidingCount:
    """Signatures from one riding, under the MP they counted for (None: a vacant seat)."""

    fed_num: int | None
    person_id: int | None
    signatures: int


def riding_counts(campaign_id: int) -> Select[int | None, int | None, int]:
    """The statement behind ``by_riding``: (fed_num, person_id, signatures) per group."""
    return (
        select(
            PetitionSignature.fed_num,
            PetitionSignature.person_id,
            func.count().label("signatures"),
        )
        .where(counted(campaign_id))
        .group_by(PetitionSignature.fed_num, PetitionSignature.person_id)
    )


def by_riding(session: Session, campaign_id: int) -> list[RidingCount]:
    """Confirmed signatures per riding and MP, most first (ties by riding number)."""
    rows = session.execute(riding_counts(campaign_id)).all()
    counts = [RidingCount(fed_num, person_id, int(count)) for fed_num, person_id, count in rows]
    return sorted(counts, key=lambda c: (-c.signatures, c.fed_num or 0, c.person_id or 0))


@dataclass(frozen=True)
class ProvinceCount:
    """Signatures from one province or territory (code None: riding unknown)."""

    code: int | None
    abbr: str  # "" when unknown
    name: str  # a msgid, translated when shown
    signatures: int


def province_of(fed_num: int | None) -> tuple[int | None, str, str]:
    """The (code, abbreviation, name msgid) of the province a riding lies in."""
    code = fed_num // 1000 if fed_num is not None else None
    if code is None or code not in PROVINCES:
        return None, "", N_("Riding unknown")
    abbr, name = PROVINCES[code]
    return code, abbr, name


def by_province(ridings: list[RidingCount]) -> list[ProvinceCount]:
    """The riding counts added up per province, most first (ties by province code)."""
    totals: Counter[int | None] = Counter()
    for row in ridings:
        totals[province_of(row.fed_num)[0]] += row.signatures
    rows = []
    for code, n in totals.items():
        _, abbr, name = province_of(code * 1000 if code is not None else None)
        rows.append(ProvinceCount(code, abbr, name, n))
    return sorted(rows, key=lambda r: (-r.signatures, r.code or 99))


@dataclass(frozen=True)
class ReferralCount:
    """Signatures that came through one referral code and one share channel."""

    referral: str  # "" for none
    partner: str  # the partner's name when the code is a partner's, else ""
    share_source: str  # "" for none
    source_label: str  # the channel's msgid ("" for none)
    signatures: int


def by_referral(session: Session, campaign_id: int) -> list[ReferralCount]:
    """Signatures per referral code and share source, most first."""
    S = PetitionSignature
    rows = session.execute(
        select(S.referral, S.share_source, func.count())
        .where(counted(campaign_id))
        .group_by(S.referral, S.share_source)
    ).all()
    partners = {
        code: name
        for code, name in session.execute(
            select(Partner.code, Partner.name).where(Partner.campaign_id == campaign_id)
        )
    }
    counts = [
        ReferralCount(
            referral or "",
            partners.get(referral or "", ""),
            source or "",
            SOURCES.get(source, source) if source else "",
            int(n),
        )
        for referral, source, n in rows
    ]
    return sorted(counts, key=lambda r: (-r.signatures, r.referral, r.share_source))


def per_referral(rows: list[ReferralCount]) -> list[ReferralCount]:
    """The rows added up per referral code, whatever the channel, most first."""
    merged: dict[str, ReferralCount] = {}
    for row in rows:
        n = merged[row.referral].signatures if row.referral in merged else 0
        merged[row.referral] = ReferralCount(row.referral, row.partner, "", "", n + row.signatures)
    return sorted(merged.values(), key=lambda r: (-r.signatures, r.referral))


def per_source(rows: list[ReferralCount]) -> list[ReferralCount]:
    """The rows added up per share channel, whatever the code, most first."""
    merged: dict[str, ReferralCount] = {}
    for row in rows:
        n = merged[row.share_source].signatures if row.share_source in merged else 0
        merged[row.share_source] = ReferralCount(
            "", "", row.share_source, row.source_label, n + row.signatures
        )
    return sorted(merged.values(), key=lambda r: (-r.signatures, r.share_source))


@dataclass(frozen=True)
class DayCount:
    """Signatures made on one local day."""

    day: date
    signatures: int


def by_day(
    session: Session,
    campaign_id: int,
    zone: ZoneInfo,
    now: datetime,
    *,
    referral: str | None = None,
) -> list[DayCount]:
    """Signatures per local day in ``zone``, every day from the first to ``now``'s (or the
    last signature's, if later); empty without signatures. ``referral`` keeps one code's."""
    condition = counted(campaign_id)
    if referral is not None:
        condition = condition & (PetitionSignature.referral == referral)
    query = (
        select(PetitionSignature.created_at)
        .where(condition)
        .order_by(PetitionSignature.created_at)
        .execution_options(yield_per=BATCH)
    )
    per_day: Counter[date] = Counter()
    for (at,) in session.execute(query):
        per_day[at.astimezone(zone).date()] += 1
    if not per_day:
        return []
    first, last = min(per_day), max(max(per_day), now.astimezone(zone).date())
    days = min((last - first).days, 5000)
    return [
        DayCount(day, per_day.get(day, 0))
        for day in (first + timedelta(days=i) for i in range(days + 1))
    ]


@dataclass(frozen=True)
class Ladder:
    """How many counted signers went on to call their MP, to write, to do either."""

    signers: int
    called: int
    wrote: int
    either: int


def ladder(session: Session, campaign_id: int) -> Ladder:
    """The action ladder's numbers: counted signers, and those who then called or wrote."""
    S = PetitionSignature
    acted = case(((S.called_at.is_not(None)) | (S.wrote_at.is_not(None)), 1), else_=0)
    row = session.execute(
        select(
            func.count(), func.count(S.called_at), func.count(S.wrote_at), func.sum(acted)
        ).where(counted(campaign_id))
    ).one()
    signers, called, wrote, either = (int(v or 0) for v in row)
    return Ladder(signers, called, wrote, either)

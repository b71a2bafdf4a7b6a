"""Who receives a petition, and what each is told: the shares of one delivery round.

Domain code: no Flask. An own-MP target gives each riding's sitting MP the number of
their own constituents who signed (a vacant seat is listed with its count, nobody to
email); a fixed person or a portfolio gets the national total. Party and province
filters of an own-MP target apply; a fallback person does not stand in for a riding
(their constituents are somebody else's).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from callmp.campaigns import targets
from callmp.models import Campaign, Person, PetitionSignature, Riding, TargetKind
from callmp.petitions import counts
from callmp.petitions.delivery_mail import ProvinceCount


@dataclass(frozen=True)
class Share:
    """One recipient of a round: whom, why, and their count."""

    key: str  # the same recipient across rounds (see PetitionDeliveryRecipient)
    person: Person | None  # None: a vacant seat or post
    fed_num: int | None  # the riding counted (None: the national total)
    target_id: int | None
    signatures: int
    email: str  # "" when we have no address

    @property
    def mp(self) -> bool:
        """True for an MP hearing about their own constituents."""
        return self.fed_num is not None


def by_riding(session: Session, campaign_id: int) -> dict[int, int]:
    """Counted signatures per riding (whoever the MP was when they signed)."""
    totals: dict[int, int] = defaultdict(int)
    for row in counts.by_riding(session, campaign_id):
        if row.fed_num is not None:
            totals[row.fed_num] += row.signatures
    return dict(totals)


def by_province(session: Session, campaign_id: int) -> list[ProvinceCount]:
    """Counted signatures per province or territory, in the provinces' order."""
    n = func.count().label("n")
    rows = session.execute(
        select(Riding.province_code, Riding.province_en, Riding.province_fr, n)
        .join(PetitionSignature, PetitionSignature.fed_num == Riding.fed_num)
        .where(counts.counted(campaign_id))
        .group_by(Riding.province_code, Riding.province_en, Riding.province_fr)
        .order_by(Riding.province_code)
    ).all()
    return [ProvinceCount(en, fr, int(count)) for _code, en, fr, count in rows]


def _ridings(session: Session, fed_nums: list[int]) -> dict[int, Riding]:
    """The ridings numbered ``fed_nums`` with their sitting members."""
    rows = session.scalars(
        select(Riding).where(Riding.fed_num.in_(fed_nums)).options(selectinload(Riding.member))
    )
    return {riding.fed_num: riding for riding in rows}


def _mp_shares(session: Session, campaign: Campaign, parties: str, provinces: str) -> list[Share]:
    """Each riding with signatures: its sitting MP and their constituents' count."""
    totals = by_riding(session, campaign.id)
    ridings = _ridings(session, sorted(totals))
    wanted_provinces = targets.split_provinces(provinces)
    wanted_parties = targets.split_parties(parties)
    shares = []
    for fed_num in sorted(totals, key=lambda f: (-totals[f], f)):
        riding = ridings.get(fed_num)
        if riding is None or (wanted_provinces and riding.province_abbr not in wanted_provinces):
            continue
        member = riding.member
        if member is None:
            shares.append(Share(f"vacant:{fed_num}", None, fed_num, None, totals[fed_num], ""))
            continue
        if wanted_parties and member.party not in wanted_parties:
            continue
        key = f"mp:{member.id}:{fed_num}"
        shares.append(Share(key, member, fed_num, None, totals[fed_num], member.email))
    return shares


def shares(session: Session, campaign: Campaign) -> list[Share]:
    """Everyone a round reaches now, MPs first (most signatures first), then the others."""
    national = counts.total(session, campaign.id)
    result: list[Share] = []
    mps_done = False
    others = []
    for target in campaign.targets:
        if target.kind == TargetKind.own_mp:
            if not mps_done:  # a second own-MP target would reach the same people
                result.extend(_mp_shares(session, campaign, target.parties, target.provinces))
                mps_done = True
            continue
        resolved = targets.resolve(target, None)
        person = resolved.person if resolved is not None else None
        email = resolved.email if resolved is not None else ""
        others.append(Share(f"target:{target.id}", person, None, target.id, national, email))
    return result + others

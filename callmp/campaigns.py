"""Campaign use cases: list, find, and pick the targets a supporter should contact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from callmp.i18n import N_
from callmp.lookup import Candidate
from callmp.models import Campaign, CampaignStatus, Person, Target, TargetKind
from callmp.models.campaigns import utcnow


def _open_now(now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions for a published campaign whose dates include ``now``."""
    return [
        Campaign.status == CampaignStatus.published,
        or_(Campaign.starts_at.is_(None), Campaign.starts_at <= now),
        or_(Campaign.ends_at.is_(None), Campaign.ends_at > now),
    ]


def list_active(session: Session, now: datetime | None = None) -> list[Campaign]:
    """Published campaigns that are running now, newest first."""
    query = select(Campaign).where(*_open_now(now or utcnow()))
    return list(session.scalars(query.order_by(Campaign.created_at.desc(), Campaign.id.desc())))


def get_active(session: Session, slug: str, now: datetime | None = None) -> Campaign | None:
    """The running, published campaign with ``slug``, with its targets loaded."""
    query = (
        select(Campaign)
        .where(Campaign.slug == slug, *_open_now(now or utcnow()))
        .options(
            selectinload(Campaign.targets).selectinload(Target.person).selectinload(Person.offices)
        )
    )
    return session.scalars(query).first()


@dataclass(frozen=True)
class ResolvedTarget:
    """One person the supporter is asked to contact, in campaign order."""

    target: Target
    person: Person | None  # None when the target is the supporter's MP and the seat is vacant
    candidate: Candidate | None  # the supporter's riding, when known

    @property
    def own_mp(self) -> bool:
        """True when this is the supporter's own MP."""
        return self.target.kind == TargetKind.own_mp

    @property
    def vacant(self) -> bool:
        """True for an own-MP target whose seat has nobody in it."""
        return self.own_mp and self.person is None


def targets_for(campaign: Campaign, candidate: Candidate | None) -> list[ResolvedTarget]:
    """The campaign's targets for a supporter in ``candidate``'s riding, in order."""
    resolved = []
    for target in campaign.targets:
        if target.kind == TargetKind.own_mp:
            if candidate is None:
                continue
            resolved.append(ResolvedTarget(target, candidate.member, candidate))
        else:
            resolved.append(ResolvedTarget(target, target.person, candidate))
    return resolved


#: Party names as the data writes them, marked for translation.
PARTIES = {
    "Liberal": N_("Liberal"),
    "Conservative": N_("Conservative"),
    "Bloc Québécois": N_("Bloc Québécois"),
    "NDP": N_("NDP"),
    "Green": N_("Green"),
    "Green Party": N_("Green"),
    "Independent": N_("Independent"),
}
#: Honorifics as the House of Commons writes them in English, marked for translation.
HONORIFICS = {"Hon.": N_("Hon."), "Right Hon.": N_("Right Hon.")}


def party_name(party: str, translate: Callable[[str], str]) -> str:
    """A party's name translated (unknown names as written)."""
    return translate(PARTIES[party]) if party in PARTIES else party


def display_name(person: Person, translate: Callable[[str], str]) -> str:
    """A person's name with their honorific translated."""
    honorific = person.honorific
    if honorific in HONORIFICS:
        honorific = translate(HONORIFICS[honorific])
    return f"{honorific} {person.full_name}".strip()


def placeholder_values(
    campaign: Campaign,
    item: ResolvedTarget,
    postal_code: str,
    locale: str,
    translate: Callable[[str], str],
) -> dict[str, str]:
    """Values for the placeholders of the campaign's texts, for one target."""
    person = item.person
    # The supporter's riding, whoever the target is: a minister hears where the caller lives.
    riding = item.candidate.riding if item.candidate else None
    return {
        "mp_name": person.full_name if person else "",
        "mp_honorific": display_name(person, translate) if person else "",
        "mp_first_name": person.first_name if person else "",
        "mp_last_name": person.last_name if person else "",
        "party": party_name(person.party, translate) if person else "",
        "riding": riding.name(locale) if riding else "",
        "province": riding.province(locale) if riding else "",
        "postal_code": postal_code,
        "supporter_postal_code": postal_code,
        "target_role": item.target.role(locale) or translate(N_("your MP")),
        "campaign_title": campaign.text("title", locale),
    }

"""Campaign leads edit a campaign's targets: add, remove, reorder, filters, fallback, words.

Domain code, no Flask: functions take the session, flush but don't commit. Every change
goes through ``versions.saving`` so it becomes a version of the campaign. Custom people
(ministers, staffers: not MPs) are edited in ``callmp.campaigns.people_editing``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from callmp import numbers
from callmp.campaigns import target_words, versions
from callmp.campaigns.target_words import TargetWords
from callmp.campaigns.targets import join_parties
from callmp.i18n import N_
from callmp.models import Campaign, Person, Portfolio, Riding, Target, TargetKind, User
from callmp.models.people import riding_name_fr

ROLE_MAX = 200


class TargetError(ValueError):
    """Refused target input, with an untranslated message and the field it concerns."""

    def __init__(self, field: str, message: str, **params: str) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params


@dataclass(frozen=True)
class TargetChoice:
    """What a lead asks for: the supporter's own MP (with filters), a fixed person, or a
    minister's portfolio (whoever holds it)."""

    kind: TargetKind
    person_id: int | None = None  # fixed person
    portfolio_id: int | None = None  # portfolio
    role_en: str = ""
    role_fr: str = ""
    parties: tuple[str, ...] = ()  # own MP: empty means any party
    provinces: tuple[str, ...] = ()  # own MP: empty means any province
    # Own MP: who stands in outside the filters or for a vacant seat; portfolio: while the
    # post is vacant.
    fallback_person_id: int | None = None
    words: TargetWords | None = None  # the target's own words; None leaves them as they are


def party_choices(session: Session) -> list[str]:
    """The parties MPs sit for in the data, by name."""
    query = select(Person.party).where(Person.fed_num.is_not(None), Person.party != "").distinct()
    return sorted(session.scalars(query))


def province_choices(session: Session) -> list[tuple[str, str, str]]:
    """(abbreviation, English name, French name) of each province and territory with ridings."""
    query = select(Riding.province_abbr, Riding.province_en, Riding.province_fr).distinct()
    return sorted((abbr, en, fr) for abbr, en, fr in session.execute(query))


def _folded(text: str) -> str:
    """``text`` lower-cased without accents, for searching names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def find_mps(session: Session, query: str, limit: int = 20) -> list[Person]:
    """Sitting MPs whose name or riding matches ``query`` (any case, any accents), or its number."""
    text = query.strip()
    if not text:
        return []
    mps = select(Person).join(Riding, Person.fed_num == Riding.fed_num)
    if text.isdecimal():  # a riding number, or no one
        number = numbers.fed_num(text)
        return [] if number is None else list(session.scalars(mps.where(Person.fed_num == number)))
    wanted = _folded(text)
    everyone = session.scalars(mps.options(selectinload(Person.riding)).order_by(Person.last_name))
    found = [
        person
        for person in everyone
        if person.riding is not None
        and any(
            wanted in _folded(name)
            for name in (person.full_name, person.riding.name_en, person.riding.name_fr)
        )
    ]
    return found[:limit]


def custom_people(session: Session) -> list[Person]:
    """People who are not MPs (ministers' offices, staffers ...), by name."""
    query = select(Person).where(Person.fed_num.is_(None), Person.ourcommons_person_id.is_(None))
    return list(session.scalars(query.order_by(func.lower(Person.full_name))))


class ListedPerson(NamedTuple):
    """A person as a list to pick from shows them. Plain values, not an ORM object: the
    target editor lists every MP on each of its pages, and loading 343 people with their
    ridings as objects took 16 ms of a 40 ms page."""

    id: int
    full_name: str
    party: str
    fed_num: int | None  # an MP's riding; None for anyone else
    riding_en: str
    riding_fr: str

    @classmethod
    def of(cls, person: Person) -> ListedPerson:
        """``person`` as listed."""
        riding = person.riding
        if riding is None:
            return cls(person.id, person.full_name, person.party, None, "", "")
        en, fr = riding.name("en"), riding.name("fr")
        return cls(person.id, person.full_name, person.party, riding.fed_num, en, fr)

    def riding_name(self, locale: str) -> str:
        """The riding's name in ``locale`` ("" for someone who is not an MP)."""
        return self.riding_fr if locale == "fr" else self.riding_en


def every_mp(session: Session) -> list[ListedPerson]:
    """Every sitting MP, by last name, as listed."""
    query = (
        select(
            Person.id,
            Person.full_name,
            Person.party,
            Riding.fed_num,
            Riding.name_current,
            Riding.name_current_fr,
            Riding.name_fr,
        )
        .join(Riding, Person.fed_num == Riding.fed_num)
        .order_by(Person.last_name, Person.first_name)
    )
    return [
        ListedPerson(id, name, party, fed_num, current, riding_name_fr(current_fr, fr))
        for id, name, party, fed_num, current, current_fr, fr in session.execute(query)
    ]


@dataclass(frozen=True)
class Choices:
    """What the target editor offers: filters, people to pick, and the MPs a search found."""

    parties: list[str]
    provinces: list[tuple[str, str, str]]
    custom: list[Person]
    mps: list[ListedPerson]
    found: list[Person]
    portfolios: list[Portfolio]


def portfolio_choices(session: Session) -> list[Portfolio]:
    """Every portfolio, in the House's order of precedence, with its holder."""
    query = select(Portfolio).options(selectinload(Portfolio.holder))
    return list(session.scalars(query.order_by(Portfolio.precedence, Portfolio.title_en)))


def choices(session: Session, query: str = "") -> Choices:
    """Everything the target editor lists, with the MPs matching ``query`` (if any)."""
    return Choices(
        parties=party_choices(session),
        provinces=province_choices(session),
        custom=custom_people(session),
        mps=every_mp(session),
        found=find_mps(session, query),
        portfolios=portfolio_choices(session),
    )


def _person(session: Session, person_id: int | None, field: str) -> Person:
    """The person with ``person_id``, or TargetError on ``field``."""
    person = session.get(Person, person_id) if person_id else None
    if person is None:
        raise TargetError(field, N_("Please choose a person from the list."))
    return person


def _role(text: str, field: str) -> str:
    """A role text on one line, trimmed, within the column's size."""
    role = " ".join(text.split())
    if len(role) > ROLE_MAX:
        raise TargetError(
            field, N_("Please keep this under %(max)s characters."), max=str(ROLE_MAX)
        )
    return role


def _filters(session: Session, choice: TargetChoice) -> tuple[str, str]:
    """The stored (parties, provinces) of an own-MP choice, checked against the data."""
    known_parties = set(party_choices(session))
    unknown = [p for p in choice.parties if p not in known_parties]
    if unknown:
        raise TargetError("parties", N_("Unknown party: %(name)s."), name=unknown[0])
    known_provinces = {abbr for abbr, _en, _fr in province_choices(session)}
    provinces = [p.strip().upper() for p in choice.provinces if p.strip()]
    bad = [p for p in provinces if p not in known_provinces]
    if bad:
        raise TargetError("provinces", N_("Unknown province: %(name)s."), name=bad[0])
    parties = [p for p in sorted(known_parties) if p in choice.parties]
    return join_parties(parties), " ".join(sorted(set(provinces)))


def _apply(session: Session, target: Target, choice: TargetChoice) -> None:
    """Check ``choice`` and copy it onto ``target``."""
    target.role_en = _role(choice.role_en, "role_en")
    target.role_fr = _role(choice.role_fr, "role_fr")
    if choice.words is not None:
        try:
            words = target_words.clean(choice.words, choice.kind)
        except target_words.WordsInvalid as error:
            raise TargetError(error.field, error.message, **error.params) from None
        for name, value in words.items():
            setattr(target, name, value)
    target.kind = choice.kind
    fallback = (
        _person(session, choice.fallback_person_id, "fallback_person_id")
        if choice.fallback_person_id
        else None
    )
    if choice.kind == TargetKind.own_mp:
        target.person, target.portfolio = None, None
        target.parties, target.provinces = _filters(session, choice)
        target.fallback_person = fallback
    elif choice.kind == TargetKind.portfolio:
        portfolio = session.get(Portfolio, choice.portfolio_id) if choice.portfolio_id else None
        if portfolio is None:
            raise TargetError("portfolio_id", N_("Please choose a portfolio from the list."))
        target.person, target.portfolio = None, portfolio
        target.parties, target.provinces, target.fallback_person = "", "", fallback
    else:
        target.person = _person(session, choice.person_id, "person_id")
        target.portfolio = None
        target.parties, target.provinces, target.fallback_person = "", "", None


def add(session: Session, campaign: Campaign, choice: TargetChoice, actor: User | None) -> Target:
    """Add a target at the end of the campaign's list (a new version of the campaign)."""
    target = Target(position=max((t.position for t in campaign.targets), default=0) + 1)
    _apply(session, target, choice)  # checked before the version's baseline is taken
    with versions.saving(session, campaign, actor):
        campaign.targets.append(target)
    return target


def update(
    session: Session, campaign: Campaign, target: Target, choice: TargetChoice, actor: User | None
) -> None:
    """Change one target's person, roles, filters or fallback (a new version)."""
    with versions.saving(session, campaign, actor):
        _apply(session, target, choice)


def _own(campaign: Campaign, target_id: int) -> Target:
    """The campaign's target with ``target_id``, or TargetError."""
    for target in campaign.targets:
        if target.id == target_id:
            return target
    raise TargetError("target", N_("This target is not part of the campaign any more."))


def move(
    session: Session, campaign: Campaign, target_id: int, step: int, actor: User | None
) -> None:
    """Move a target one place up (``step=-1``) or down (``+1``); at an end, nothing moves."""
    ordered = sorted(campaign.targets, key=lambda t: t.position)
    target = _own(campaign, target_id)
    index = ordered.index(target) + (1 if step > 0 else -1)
    if not 0 <= index < len(ordered):
        return
    other = ordered[index]
    with versions.saving(session, campaign, actor):
        # One at a time through a free position: (campaign, position) is unique.
        first, second = target.position, other.position
        target.position = -1
        session.flush()
        other.position = first
        session.flush()
        target.position = second


def remove(session: Session, campaign: Campaign, target_id: int, actor: User | None) -> None:
    """Remove a target and close the gap in the order (a new version)."""
    target = _own(campaign, target_id)
    with versions.saving(session, campaign, actor):
        campaign.targets.remove(target)
        session.flush()
        for position, rest in enumerate(sorted(campaign.targets, key=lambda t: t.position), 1):
            if rest.position != position:
                rest.position = position
                session.flush()


def used_by(session: Session, person: Person) -> list[Campaign]:
    """The campaigns with a target (or a fallback) that is ``person``, or that is a
    portfolio whose office contact ``person`` is."""
    offices = select(Portfolio.id).where(Portfolio.office_person_id == person.id)
    query = (
        select(Campaign)
        .join(Target, Target.campaign_id == Campaign.id)
        .where(
            or_(
                Target.person_id == person.id,
                Target.fallback_person_id == person.id,
                Target.portfolio_id.in_(offices),
            )
        )
        .distinct()
        .order_by(Campaign.slug)
    )
    return list(session.scalars(query))

"""Postal code -> riding(s) -> member(s) and offices."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from callmp import numbers
from callmp.directory import postal_codes
from callmp.directory.postal_index import CodeEntry, FsaShare, PostalIndex
from callmp.i18n import N_, InputError
from callmp.models import Office, Person, Riding

YUKON = 60001
NORTHWEST_TERRITORIES = 61001
NUNAVUT = 62001
NUNAVUT_FSAS = frozenset({"X0A", "X0B", "X0C"})
GOVERNMENT_FSA = "K1A"


class Match(enum.StrEnum):
    """How the riding was found, from most to least certain."""

    exact = "exact"  # the full code is in our table
    territory = "territory"  # one riding covers the whole territory
    near_boundary = "near_boundary"  # full code found, but a boundary is close
    rural_area = "rural_area"  # a rural code: its area reaches several ridings
    government = "government"  # K1A: federal buildings, not a home address
    suspect = "suspect"  # the code's coordinate looks wrong; FSA used instead
    fsa_majority = "fsa_majority"  # unknown code; its FSA is mostly one riding
    fsa_split = "fsa_split"  # unknown code; its FSA spans several ridings
    unknown = "unknown"  # neither the code nor its FSA is known


NOTICES: dict[Match, str] = {
    Match.near_boundary: N_(
        "Your postal code is close to the boundary between two ridings, so we may have "
        "matched the wrong one."
    ),
    Match.rural_area: N_(
        "This is a rural postal code: it covers a wide area that reaches more than one "
        "riding. Please choose yours (the most likely is listed first), or check with "
        "Elections Canada."
    ),
    Match.government: N_(
        "Postal codes starting with K1A belong to federal government buildings. If you live "
        "elsewhere, enter your home postal code."
    ),
    Match.suspect: N_(
        "Our map data for this exact postal code looks unreliable, so we matched its area instead."
    ),
    Match.fsa_majority: N_(
        "We don't have this exact postal code, so we matched the area it belongs to."
    ),
    Match.fsa_split: N_(
        "Your postal code's area is split between several ridings. Please choose yours."
    ),
    Match.unknown: N_(
        "We don't know this postal code or its area yet. Elections Canada's lookup can tell "
        "you your riding."
    ),
}


#: Matches where the supporter picks the riding: nothing is answered without their choice.
CHOOSE = frozenset({Match.rural_area, Match.fsa_split, Match.unknown})


@dataclass(frozen=True)
class Candidate:
    """A riding the supporter may live in, with its member (None when the seat is vacant)."""

    riding: Riding
    member: Person | None
    share: float | None = None

    @property
    def vacant(self) -> bool:
        """True when nobody holds the seat."""
        return self.member is None


@dataclass(frozen=True)
class LookupResult:
    """The answer to a postal code: ranked candidate ridings and how sure we are."""

    postal_code: str
    match: Match
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def certain(self) -> bool:
        """True when the riding needs no confirmation from the supporter."""
        return self.match in (Match.exact, Match.territory)

    @property
    def best(self) -> Candidate | None:
        """The riding to show without asking, or None when the supporter must choose."""
        if self.match in CHOOSE or not self.candidates:
            return None
        return self.candidates[0]

    @property
    def notice(self) -> str | None:
        """Untranslated explanation of an uncertain match."""
        return NOTICES.get(self.match)


def resolve(
    index: PostalIndex, code: str, *, majority: float = 0.9, min_share: float = 0.01
) -> tuple[Match, list[tuple[int, float | None]]]:
    """Ridings (ranked, with shares where known) for a normalised postal code.

    Precedence, first that applies: a territory (one riding, whatever the code); K1A
    (government buildings); a full code whose coordinate is flagged suspect (its FSA
    instead); a rural code (second character 0) whose FSA's ridings above ``min_share``
    include another than its point's, as ``rural_area`` (its point riding first, then the
    FSA's others by share, then a near-boundary neighbour if none of those); a full code
    near a boundary; a full code (``exact``, rural codes of a one-riding FSA included);
    then the FSA alone. ``rural_area`` comes before ``near_boundary`` because a rural
    code's point is one spot in a wide area: the whole area may reach the other ridings,
    not only the point's neighbourhood, so the supporter chooses.
    """
    fsa = postal_codes.fsa(code)
    if code[0] == "Y":
        return Match.territory, [(YUKON, 1.0)]
    if code[0] == "X":
        return Match.territory, [(NUNAVUT if fsa in NUNAVUT_FSAS else NORTHWEST_TERRITORIES, 1.0)]
    entry = index.code(postal_codes.compact(code))
    shares = [s for s in index.fsa(fsa) if s.share >= min_share] or list(index.fsa(fsa))
    if fsa == GOVERNMENT_FSA:
        first = entry.fed_num if entry else (shares[0].fed_num if shares else None)
        if first is None:
            return Match.unknown, []
        return Match.government, [(first, None)]
    if entry is not None and not entry.suspect:
        if postal_codes.is_rural(code) and any(s.fed_num != entry.fed_num for s in shares):
            return Match.rural_area, _rural_ranked(entry, shares)
        if entry.near_boundary and entry.alt_fed_num:
            return Match.near_boundary, [(entry.fed_num, None), (entry.alt_fed_num, None)]
        return Match.exact, [(entry.fed_num, None)]
    if not shares:
        return Match.unknown, []
    ranked = _ranked(shares)
    if entry is not None:
        return Match.suspect, ranked
    if shares[0].share >= majority:
        return Match.fsa_majority, ranked
    return Match.fsa_split, ranked


def _rural_ranked(entry: CodeEntry, shares: Sequence[FsaShare]) -> list[tuple[int, float | None]]:
    """A rural code's ridings: its point's first, then the FSA's others by share, then a
    near-boundary neighbour not yet listed; all without a share. The FSA's shares describe
    the whole FSA, not the code's own delivery area: shown beside a rural code's choices
    they would contradict the order (the point's riding may hold a small part of a large
    rural FSA, yet it is where the code's post office is)."""
    ranked: list[tuple[int, float | None]] = [(entry.fed_num, None)]
    ranked += [(s.fed_num, None) for s in shares if s.fed_num != entry.fed_num]
    if entry.near_boundary and entry.alt_fed_num and entry.alt_fed_num not in dict(ranked):
        ranked.append((entry.alt_fed_num, None))
    return ranked


def _ranked(shares: Sequence[FsaShare]) -> list[tuple[int, float | None]]:
    """FSA shares as (fed_num, share) pairs, already ranked by the index."""
    return [(s.fed_num, s.share) for s in shares]


def contact_details() -> tuple[_AbstractLoad, ...]:
    """Loader options, relative to a person, for their offices and active corrections.

    Pages and the API show when a lead corrected an email, phone or hours: joining the
    corrections to the offices' and the people's own queries keeps a page's statements
    fixed however many offices there are (lazy loads ran one per office and per person).
    """
    return (
        selectinload(Person.offices).joinedload(Office.corrections),
        joinedload(Person.email_corrections),
    )


#: Ridings with their members by FED number, from somewhere other than a session.
LoadRidings = Callable[[Sequence[int]], dict[int, Riding]]


def ridings_with_members(
    session: Session, fed_nums: Sequence[int] | None, *, corrections: bool = True
) -> dict[int, Riding]:
    """Load ridings with their sitting member and the member's offices, by FED number
    (``None``: every riding).

    With ``corrections`` (for pages and the API) the offices' and email's active
    corrections come too; a call's plan, which only dials, does without.
    """
    if fed_nums is not None and not fed_nums:
        return {}
    offices = joinedload(Riding.member).joinedload(Person.offices)
    options = [offices]
    if corrections:
        options += [
            offices.joinedload(Office.corrections),
            joinedload(Riding.member).joinedload(Person.email_corrections),
        ]
    query = select(Riding).options(*options)
    if fed_nums is not None:
        query = query.where(Riding.fed_num.in_(fed_nums))
    rows = session.scalars(query)
    return {riding.fed_num: riding for riding in rows.unique()}


def lookup(
    session: Session,
    index: PostalIndex,
    raw_code: str | None,
    *,
    majority: float = 0.9,
    min_share: float = 0.01,
    known: Candidate | None = None,
    corrections: bool = True,
    load: LoadRidings | None = None,
) -> LookupResult:
    """Match a postal code as typed to ridings and members; raises PostalCodeError.

    ``known``: a riding the caller has loaded already (the page's), not loaded again.
    ``corrections``: load the offices' and email's corrections too (for showing them).
    ``load``: where ridings come from instead of ``session`` (a per-process cache).
    """
    code = postal_codes.normalise(raw_code)
    match, ranked = resolve(index, code, majority=majority, min_share=min_share)
    ridings = _known(known)
    others = [fed for fed, _ in ranked if fed not in ridings]
    ridings |= (
        load(others) if load else ridings_with_members(session, others, corrections=corrections)
    )
    candidates = [
        Candidate(riding=ridings[fed], member=ridings[fed].member, share=share)
        for fed, share in ranked
        if fed in ridings
    ]
    if not candidates:
        match = Match.unknown
    return LookupResult(postal_code=code, match=match, candidates=candidates)


def _known(known: Candidate | None) -> dict[int, Riding]:
    """``known``'s riding by its number (nothing when None)."""
    return {known.riding.fed_num: known.riding} if known is not None else {}


def riding(
    session: Session, fed_num: int, *, corrections: bool = True, load: LoadRidings | None = None
) -> Candidate | None:
    """One riding with its member, or None when the number is not a riding (``load``: see
    ``lookup``)."""
    ridings = (
        load([fed_num])
        if load
        else ridings_with_members(session, [fed_num], corrections=corrections)
    )
    found = ridings.get(fed_num)
    return Candidate(riding=found, member=found.member) if found else None


@dataclass
class RidingNeeded(InputError):
    """The postal code does not settle the riding: the supporter must pick one.

    ``candidates`` are the ridings the postal code may be in (none when it gave none).
    """

    candidates: list[Candidate] = field(default_factory=list)


def choose(result: LookupResult, fed_num: int | None) -> int:
    """The riding to use for ``result``, given the supporter's pick ``fed_num`` if any.

    A pick must be one of the candidates, except when the code is unknown to us (the
    supporter may have checked with Elections Canada). Raises RidingNeeded.
    """
    choices = [c.riding.fed_num for c in result.candidates]
    if fed_num is not None:
        if fed_num in choices or (result.match == Match.unknown and _is_fed_num(fed_num)):
            return fed_num
        raise RidingNeeded(
            "riding_mismatch",
            N_(
                "That riding does not match your postal code. "
                "Please pick one of the ridings offered."
            ),
        )
    if result.best is not None:
        return result.best.riding.fed_num
    if not choices:
        raise RidingNeeded("unknown_postal_code", NOTICES.get(Match.unknown) or "")
    raise RidingNeeded(
        "choose_riding",
        N_("Your postal code's area spans several ridings. Please choose yours."),
    )


@dataclass(frozen=True)
class Settled:
    """The supporter's riding, and the lookup that led to it (None when none was made)."""

    candidate: Candidate
    result: LookupResult | None


def settle(
    session: Session,
    index: PostalIndex,
    raw_code: str | None,
    pick: int | None,
    *,
    code_required: bool,
    pick_must_match: bool,
    majority: float = 0.9,
    min_share: float = 0.01,
    known: Candidate | None = None,
    load: LoadRidings | None = None,
) -> Settled:
    """The supporter's riding from a postal code as typed and/or a riding they picked.

    Looks the code up (when given, or when ``code_required``), chooses among its ridings
    and loads the one chosen. When ``pick_must_match`` is false, a pick the code does not
    allow is dropped (it was only the page's default) and the code decides. Raises
    PostalCodeError for the code, RidingNeeded (with the candidates) for the riding.

    Each riding is loaded once: the one chosen is the lookup's, or ``known`` (a riding
    the caller has loaded already, e.g. the page's) when it is that one. Settling is for
    storing a call or a letter, which show no corrections: they are not loaded (an error
    listing the candidates loads them as it shows them). ``load``: see ``lookup``.
    """
    result = None
    if code_required or (raw_code is not None and raw_code.strip()):
        result = lookup(
            session,
            index,
            raw_code,
            majority=majority,
            min_share=min_share,
            known=known,
            corrections=False,
            load=load,
        )
    candidates = result.candidates if result is not None else []
    if result is not None:
        if not pick_must_match and pick not in [c.riding.fed_num for c in candidates]:
            pick = None
        try:
            fed_num = choose(result, pick)
        except RidingNeeded as error:
            error.candidates = candidates
            raise
    elif pick is None:
        raise RidingNeeded("postal_code", N_("Please enter your postal code."))
    else:
        fed_num = pick
    loaded = [c for c in candidates if c.riding.fed_num == fed_num]
    if known is not None and known.riding.fed_num == fed_num:
        loaded.append(known)
    found = loaded[0] if loaded else riding(session, fed_num, corrections=False, load=load)
    if found is None:
        raise RidingNeeded("fed_num", N_("We don't know that riding."), candidates=candidates)
    found = Candidate(riding=found.riding, member=found.member)  # no share: the one chosen
    return Settled(candidate=found, result=result)


def parse_fed_num(value: object) -> int | None:
    """A riding number from a form or JSON body: an int or a string of 5 digits, else None."""
    return numbers.fed_num(value)


def _is_fed_num(value: int) -> bool:
    """True for a plausible FED number: five digits starting with a province code."""
    return 10000 <= value <= 62999 and value // 1000 in PROVINCE_CODES


PROVINCE_CODES = frozenset({10, 11, 12, 13, 24, 35, 46, 47, 48, 59, 60, 61, 62})

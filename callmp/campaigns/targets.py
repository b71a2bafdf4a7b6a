"""Which people a campaign asks a supporter to contact, and how they are named.

An own-MP target may filter by party and province; outside them, or when the seat is
vacant, its fallback person stands in (and the labels say so). A portfolio target reaches
whoever holds the portfolio when the page is made, through the portfolio's own office (the
ministerial office) when it has one, else through the holder's Hill office (labelled so); a
vacant portfolio behaves like a vacant seat.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from callmp.campaigns import address_forms
from callmp.directory.lookup import Candidate
from callmp.i18n import N_
from callmp.models import Campaign, Office, OfficeKind, Person, Portfolio, Target, TargetKind


class Reason(enum.StrEnum):
    """Why an own-MP target does not reach the supporter's own MP."""

    vacant = "vacant"  # nobody holds the seat
    filtered = "filtered"  # the MP's party or province is not among the target's filters


#: Parties are stored separated by this (a party name can hold a space: "Bloc Québécois").
PARTY_SEPARATOR = "|"


def split_parties(stored: str) -> list[str]:
    """The party names of a target's ``parties`` column (empty: any party)."""
    return [name.strip() for name in stored.split(PARTY_SEPARATOR) if name.strip()]


def join_parties(names: Iterable[str]) -> str:
    """Party names as the ``parties`` column keeps them."""
    return PARTY_SEPARATOR.join(name.strip() for name in names if name.strip())


def split_provinces(stored: str) -> list[str]:
    """The province abbreviations of a target's ``provinces`` column (empty: any province)."""
    return stored.upper().split()


@dataclass(frozen=True)
class ResolvedTarget:
    """One person the supporter is asked to contact, in campaign order."""

    target: Target
    person: Person | None  # None when the target is the supporter's MP and the seat is vacant
    candidate: Candidate | None  # the supporter's riding, when known
    # Own-MP targets only: why the supporter's own MP is not the one reached (None: they are).
    reason: Reason | None = None

    @property
    def own_mp(self) -> bool:
        """True when this is the supporter's own MP (or their vacant seat), not a fallback."""
        return self.target.kind == TargetKind.own_mp and not self.fallback

    @property
    def fallback(self) -> bool:
        """True when the target's fallback person stands in for the supporter's MP."""
        return self.reason is not None and self.person is not None

    @property
    def vacant(self) -> bool:
        """True for an own-MP (or portfolio) target whose seat (or post) is empty, no fallback."""
        return self.target.kind != TargetKind.person and self.person is None

    @property
    def portfolio(self) -> Portfolio | None:
        """The portfolio of a portfolio target (None for any other)."""
        return self.target.portfolio if self.target.kind == TargetKind.portfolio else None

    @property
    def _office_contact(self) -> Person | None:
        """The portfolio's office contact, when its holder (not a fallback) is reached."""
        portfolio = self.portfolio
        if portfolio is None or self.fallback or self.person is None:
            return None
        return portfolio.office_person

    @property
    def member_office(self) -> bool:
        """True when a portfolio with no office of its own is reached at the holder's Hill
        office (pages and the voice say so)."""
        if self.portfolio is None or self.fallback or self.person is None:
            return False
        contact = self._office_contact
        return contact is None or not any(o.phone for o in contact.offices)

    @property
    def offices(self) -> list[Office]:
        """The offices that reach this target, in the person's order."""
        if self.person is None:
            return []
        if self.portfolio is not None and not self.fallback:
            contact = self._office_contact
            if contact is not None and not self.member_office:
                return list(contact.offices)
            return [o for o in self.person.offices if o.kind == OfficeKind.hill]
        return list(self.person.offices)

    @property
    def email_contact(self) -> Person | None:
        """Whose email a letter goes to: the portfolio's office when it has one, else the
        person's own."""
        contact = self._office_contact
        if contact is not None and contact.email:
            return contact
        return self.person

    @property
    def email(self) -> str:
        """The address a letter to this target goes to ("" when none)."""
        contact = self.email_contact
        return contact.email if contact is not None else ""


def _outside_filters(target: Target, candidate: Candidate) -> bool:
    """True when the riding's province, or its MP's party, is not among the target's filters."""
    provinces = split_provinces(target.provinces)
    if provinces and candidate.riding.province_abbr not in provinces:
        return True
    parties = split_parties(target.parties)
    member = candidate.member
    return bool(parties) and member is not None and member.party not in parties


def resolve(target: Target, candidate: Candidate | None) -> ResolvedTarget | None:
    """Whom one target reaches for a supporter in ``candidate``'s riding (None: skip it)."""
    if target.kind == TargetKind.portfolio:
        holder = target.portfolio.holder if target.portfolio is not None else None
        if holder is not None:
            return ResolvedTarget(target, holder, candidate)
        return ResolvedTarget(target, target.fallback_person, candidate, Reason.vacant)
    if target.kind != TargetKind.own_mp:
        return ResolvedTarget(target, target.person, candidate)
    if candidate is None:
        return None
    if _outside_filters(target, candidate):
        reason = Reason.filtered
    elif candidate.member is None:
        reason = Reason.vacant
    else:
        return ResolvedTarget(target, candidate.member, candidate)
    if target.fallback_person is not None:
        return ResolvedTarget(target, target.fallback_person, candidate, reason)
    if reason == Reason.vacant:
        return ResolvedTarget(target, None, candidate, reason)  # the page says the seat is vacant
    return None


def targets_for(campaign: Campaign, candidate: Candidate | None) -> list[ResolvedTarget]:
    """The campaign's targets for a supporter in ``candidate``'s riding, in order."""
    resolved = (resolve(target, candidate) for target in campaign.targets)
    return [item for item in resolved if item is not None]


#: Why a fallback person stands in, as the voice and the letter say it.
FALLBACK_LABELS = {
    Reason.vacant: N_("%(name)s, instead of your MP (the seat is vacant)"),
    Reason.filtered: N_("%(name)s, instead of your MP (this campaign asks other MPs)"),
}
_INSTEAD_ROLE = N_("the person this campaign asks you to contact instead of your MP")
_VACANT_POST = N_("%(name)s, instead of %(role)s (the post is vacant)")
_INSTEAD_OF_POST = N_("the person this campaign asks you to contact while the post is vacant")


def fallback_label(
    item: ResolvedTarget, translate: Callable[[str], str], locale: str = "en"
) -> str:
    """ "Name, instead of your MP (why)" for a fallback target ("" for any other)."""
    if not item.fallback or item.person is None or item.reason is None:
        return ""
    if item.portfolio is not None:
        role = item.target.role(locale)
        return translate(_VACANT_POST) % {"name": item.person.full_name, "role": role}
    return translate(FALLBACK_LABELS[item.reason]) % {"name": item.person.full_name}


def target_role(item: ResolvedTarget, locale: str, translate: Callable[[str], str]) -> str:
    """Who the target is for the supporter: the role text, "your MP", or why a fallback."""
    if item.fallback and item.person is not None:
        if item.portfolio is not None:
            return translate(_INSTEAD_OF_POST)
        riding = item.person.riding
        if riding is not None:
            return translate(N_("MP for %(riding)s")) % {"riding": riding.name(locale)}
        return translate(_INSTEAD_ROLE)
    return item.target.role(locale) or translate(N_("your MP"))


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


#: The supporter's postal code where it is not known (a call's script, a page without a
#: lookup): a blank the supporter fills in aloud.
POSTAL_CODE_BLANK = "___"


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
    address = address_forms.address(item, locale, translate)
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
        "target_role": target_role(item, locale, translate),
        "form_of_address": address.form,
        "salutation": address.salutation,
        "campaign_title": campaign.text("title", locale),
    }

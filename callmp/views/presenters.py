"""Turn domain objects into what templates and the API show (no queries here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask_babel import get_locale, gettext

from callmp.campaigns import ResolvedTarget
from callmp.i18n import N_
from callmp.lookup import Candidate
from callmp.models import Campaign, Office, Person
from callmp.models.campaigns import utcnow
from callmp.templating import render_markdown


def locale_code() -> str:
    """The current interface language, ``en`` or ``fr``."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def office_json(office: Office, locale: str) -> dict[str, Any]:
    """An office for the API."""
    return {
        "kind": str(office.kind),
        "label": office.label(locale),
        "is_main": office.is_main,
        "phone": office.phone or None,
        "toll_free": office.toll_free or None,
        "fax": office.fax or None,
        "street": office.street,
        "city": office.city,
        "province": office.province_abbr,
        "postal_code": office.postal_code,
        "time_zone": office.time_zone,
        "source": office.source,
        "as_of": office.as_of.isoformat() if office.as_of else None,
    }


def member_json(person: Person, locale: str) -> dict[str, Any]:
    """A member (or other target) for the API."""
    return {
        "name": person.full_name,
        "honorific": person.honorific or None,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "party": person.party,
        "email": person.email or None,
        "email_derived": person.email_derived,
        "photo_url": person.photo_url or None,
        "profile_url": person.profile_url or None,
        "offices": [office_json(o, locale) for o in person.offices],
    }


def candidate_json(candidate: Candidate, locale: str) -> dict[str, Any]:
    """A riding with its member for the API."""
    riding = candidate.riding
    return {
        "fed_num": riding.fed_num,
        "name_en": riding.name_en,
        "name_fr": riding.name_fr,
        "name_current": riding.name_current,
        "province": riding.province_abbr,
        "share": candidate.share,
        "vacant": candidate.vacant,
        "previous_member": riding.previous_member or None if candidate.vacant else None,
        "member": member_json(candidate.member, locale) if candidate.member else None,
    }


def local_time(office: Office, now: datetime | None = None) -> str:
    """The time it is now at ``office`` in its own time zone, e.g. "3:40 PM" or "15 h 40"."""
    return babel_dates.format_time(
        now or utcnow(), "short", tzinfo=ZoneInfo(office.time_zone), locale=get_locale()
    )


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


def party_name(party: str) -> str:
    """A party's name in the current language (unknown names as written)."""
    return gettext(PARTIES[party]) if party in PARTIES else party


def display_name(person: Person) -> str:
    """A person's name with their honorific in the current language."""
    honorific = person.honorific
    if honorific in HONORIFICS:
        honorific = gettext(HONORIFICS[honorific])
    return f"{honorific} {person.full_name}".strip()


def placeholder_values(
    campaign: Campaign, item: ResolvedTarget, postal_code: str | None, locale: str
) -> dict[str, str]:
    """Values for the placeholders of the campaign's texts, for one target."""
    person = item.person
    # The supporter's riding, whoever the target is: a minister hears where the caller lives.
    riding = item.candidate.riding if item.candidate else None
    return {
        "mp_name": person.full_name if person else "",
        "mp_honorific": display_name(person) if person else "",
        "mp_first_name": person.first_name if person else "",
        "mp_last_name": person.last_name if person else "",
        "party": party_name(person.party) if person else "",
        "riding": riding.name(locale) if riding else "",
        "province": riding.province(locale) if riding else "",
        # A blank the supporter fills in aloud when we don't know their code.
        "postal_code": postal_code or "___",
        "target_role": item.target.role(locale) or gettext("your MP"),
        "campaign_title": campaign.text("title", locale),
    }


def talking_points(
    campaign: Campaign, item: ResolvedTarget, postal_code: str | None, locale: str
) -> str:
    """The campaign's talking points for one target, as sanitised HTML."""
    values = placeholder_values(campaign, item, postal_code, locale)
    return render_markdown(campaign.text("talking_points", locale), values)

"""Turn domain objects into what templates and the API show (no queries here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask_babel import get_locale, gettext

from callmp.campaigns import targets
from callmp.campaigns.targets import ResolvedTarget
from callmp.db import utcnow
from callmp.directory.lookup import Candidate
from callmp.directory.office_hours import format_hours, open_state, stored_hours
from callmp.models import Campaign, ContactCorrection, Office, OfficeKind, Person
from callmp.templating import render_markdown
from callmp.views.photos import member_photo


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
        "hours": office.hours or None,  # None: weekdays 9 to 5
        "source": office.source,
        "as_of": office.as_of.isoformat() if office.as_of else None,
        "phone_corrected_on": corrected_on(office.correction("phone")),
        "hours_corrected_on": corrected_on(office.correction("hours")),
    }


def corrected_on(correction: ContactCorrection | None) -> str | None:
    """The day a lead corrected a value (ISO, UTC), or None when it is as shipped."""
    return correction.created_at.date().isoformat() if correction is not None else None


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
        "email_corrected_on": corrected_on(person.correction("email")),
        # The app's own copy: an API client loads nothing from the House either.
        "photo_url": member_photo(person, external=True),
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
        "name_current_fr": riding.name_current_fr or None,
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


def office_hours(office: Office) -> str:
    """The office's opening hours in the current language, e.g. "Mon–Fri 9:00 AM–5:00 PM"."""
    return format_hours(stored_hours(office.hours), str(get_locale() or "en"))


def office_status(office: Office, now: datetime | None = None) -> str:
    """Whether the office is open by its own hours, with its local time ("Closed: it's ...")."""
    moment = now or utcnow()
    state = open_state(office.time_zone, moment, office.hours)
    time = local_time(office, moment)
    if state.open:
        return str(gettext("Open now (%(time)s there)", time=time))
    city = office.city or ("Ottawa" if office.kind == OfficeKind.hill else "")
    if city:
        return str(gettext("Closed: it's %(time)s in %(city)s", time=time, city=city))
    return str(gettext("Closed: it's %(time)s there", time=time))


def party_name(party: str) -> str:
    """A party's name in the current language (unknown names as written)."""
    return targets.party_name(party, gettext)


def display_name(person: Person) -> str:
    """A person's name with their honorific in the current language."""
    return targets.display_name(person, gettext)


def placeholder_values(
    campaign: Campaign, item: ResolvedTarget, postal_code: str | None, locale: str
) -> dict[str, str]:
    """Values for the placeholders of the campaign's texts, for one target."""
    code = postal_code or targets.POSTAL_CODE_BLANK
    return targets.placeholder_values(campaign, item, code, locale, gettext)


def talking_points(
    campaign: Campaign, item: ResolvedTarget, postal_code: str | None, locale: str
) -> str:
    """The target's talking points (else the campaign's), as sanitised HTML."""
    values = placeholder_values(campaign, item, postal_code, locale)
    return render_markdown(item.target.words("talking_points", locale), values)

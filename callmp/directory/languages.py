"""Members' preferred official language: the House's wording, our codes, where it came from.

A member's profile page on ourcommons.ca says "Preferred Language: English", "French" or
"English / French". The data keeps ``en``, ``fr`` or ``en fr`` (both, as a campaign's
languages are written) with the page it was read from, e.g. ``hoc_profile_2025-08-09``.
An empty language with an empty source means nobody has read it from an official page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from callmp.i18n import N_

#: The profile pages' values (English and French pages, any case) and our codes for them.
HOUSE_LANGUAGES = {
    "english": "en",
    "anglais": "en",
    "french": "fr",
    "français": "fr",
    "english / french": "en fr",
    "french / english": "en fr",
    "anglais / français": "en fr",
    "français / anglais": "en fr",
}
#: Each code as a msgid, for staff pages.
LANGUAGE_NAMES = {
    "en": N_("English"),
    "fr": N_("French"),
    "en fr": N_("English and French"),
}
#: A source naming a House of Commons profile page and the day it was read.
PROFILE_SOURCE = "hoc_profile_"
_PROFILE_SOURCE = re.compile(r"^hoc_profile_([0-9]{4}-[0-9]{2}-[0-9]{2})$")


def language_code(house_value: str) -> str:
    """Our code for a profile page's "Preferred Language" (ValueError for anything else)."""
    code = HOUSE_LANGUAGES.get(" ".join(house_value.split()).casefold())
    if code is None:
        raise ValueError(f"preferred language {house_value!r} is neither English nor French")
    return code


def profile_source(read_on: date) -> str:
    """The source of a language read from a profile page on ``read_on``."""
    return f"{PROFILE_SOURCE}{read_on.isoformat()}"


def both_languages(preferred: str) -> bool:
    """True when the member prefers English and French alike (``en fr``, as the House's
    "English / French"): letters then go in the supporter's language."""
    words = set(preferred.strip().lower().replace("/", " ").split())
    return words in ({"en", "fr"}, {"english", "french"})


@dataclass(frozen=True)
class LanguageSource:
    """Where a preferred language came from: a profile page and its date, or other text."""

    profile_on: date | None
    other: str


def read_source(source: str) -> LanguageSource | None:
    """What a ``preferred_language_source`` says; None when it is empty."""
    if not source:
        return None
    match = _PROFILE_SOURCE.match(source)
    if match:
        try:
            return LanguageSource(date.fromisoformat(match.group(1)), "")
        except ValueError:
            pass
    return LanguageSource(None, source)

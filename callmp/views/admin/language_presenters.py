"""What staff pages say about a member's preferred language and where it came from."""

from __future__ import annotations

from flask_babel import format_date, gettext

from callmp.directory.languages import LANGUAGE_NAMES, read_source
from callmp.models import Person


def preferred_language(person: Person) -> str:
    """E.g. "Preferred language: French (House of Commons profile, 9 August 2025)", or
    unknown when no official page gave it."""
    if not person.preferred_language:
        return str(gettext("Preferred language: unknown (no official source yet)"))
    msgid = LANGUAGE_NAMES.get(person.preferred_language)
    language = gettext(msgid) if msgid else person.preferred_language
    source = read_source(person.preferred_language_source)
    if source is None:
        return str(
            gettext("Preferred language: %(language)s (source not recorded)", language=language)
        )
    if source.profile_on is not None:
        return str(
            gettext(
                "Preferred language: %(language)s (House of Commons profile, %(date)s)",
                language=language,
                date=format_date(source.profile_on, "long"),
            )
        )
    return str(
        gettext(
            "Preferred language: %(language)s (source: %(source)s)",
            language=language,
            source=source.other,
        )
    )

"""The audit log in the reader's language: each entry's summary and its values."""

from __future__ import annotations

from flask_babel import gettext

from callmp.campaigns import version_diffs
from callmp.directory.corrections import Field
from callmp.i18n import N_
from callmp.models import AuditEntry
from callmp.views import presenters
from callmp.views.security import role_name
from callmp.views.template_globals import status_name

#: How the corrected contact fields are named (msgids already used on the contact pages).
_CONTACT_FIELDS = {
    Field.phone: N_("Phone"),
    Field.email: N_("Email"),
    Field.hours: N_("Opening hours"),
}


def _value(key: str, value: object) -> str:
    """One value of a summary in the reader's language (see ``audit.Summary``)."""
    if key == "role":
        return role_name(str(value))
    if key == "was":
        return status_name(value)
    if key == "field" and str(value) in set(Field):
        return str(gettext(_CONTACT_FIELDS[Field(str(value))]))
    if key == "fields" and isinstance(value, list):
        return ", ".join(gettext(version_diffs.field_label(str(name))) for name in value)
    return str(value)


def summary(entry: AuditEntry) -> str:
    """An entry's summary in the reader's language (older entries: as they were written)."""
    if not entry.message:
        return entry.summary
    language = presenters.locale_code()
    values: dict[str, str] = {}
    for key, value in (entry.params or {}).items():
        if key.endswith(("_en", "_fr")):
            if key.endswith(f"_{language}"):
                values[key[:-3]] = str(value)
            continue
        values[key] = _value(key, value)
    try:
        return str(gettext(entry.message, **values))
    except (KeyError, ValueError, TypeError):  # a sentence whose values changed since
        return entry.summary

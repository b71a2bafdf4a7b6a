"""Campaign leads correct an MP's email, or an office's phone number or opening hours.

Domain code: no Flask. A correction overwrites the imported value and is kept as a
``ContactCorrection`` row (who, when, what, the shipped value, a note) with an audit entry;
a re-import keeps corrected fields (see ``callmp.directory.data_import``). Undo puts the
shipped value back. Messages are msgids marked with ``N_``; the views translate them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.db import utcnow
from callmp.directory.email_addresses import AddressError, clean_address
from callmp.directory.office_hours import canonical_hours, parse_hours
from callmp.directory.phones import PhoneError, parse_office_phone
from callmp.i18n import N_, InputError
from callmp.models import ContactCorrection, Office, Person, User
from callmp.templating import one_line

NOTE_MAX = 300
VALUE_MAX = 200


class Field(enum.StrEnum):
    """What a lead can correct: an office's phone or hours, or the person's email."""

    phone = "phone"
    email = "email"
    hours = "hours"


OFFICE_FIELDS = frozenset({Field.phone, Field.hours})


class CorrectionError(InputError):
    """A correction we refuse; ``reason`` names the form field the message belongs to."""


def _one_line(raw: str | None, maximum: int, field: str) -> str:
    """``raw`` on one line (NFC, no control characters, spaces collapsed), at most ``maximum``."""
    text = one_line(raw)
    if len(text) > maximum:
        raise CorrectionError(
            field, N_("Please keep this under %(n)s characters."), {"n": str(maximum)}
        )
    return text


def clean_note(raw: str | None) -> str:
    """An optional note, e.g. "called the office on 12 Nov"."""
    return _one_line(raw, NOTE_MAX, "note")


def clean_phone(raw: str | None) -> tuple[str, str]:
    """A corrected office number as (E.164 for dialling, the text as typed)."""
    text = _one_line(raw, VALUE_MAX, "value")
    try:
        e164, _extension = parse_office_phone(text)
    except PhoneError as error:
        raise CorrectionError("value", error.message, error.params) from None
    return e164, text


def clean_email(raw: str | None) -> str:
    """A corrected MP address, checked for form only (no DNS)."""
    text = _one_line(raw, VALUE_MAX, "value")
    if not text:
        raise CorrectionError("value", N_("Please enter the email address."))
    try:
        return clean_address(text)
    except AddressError:
        raise CorrectionError("value", N_("Please enter a valid email address.")) from None


def clean_hours(raw: str | None) -> str:
    """Corrected opening hours, written the way ``parse_hours`` reads them."""
    text = _one_line(raw, VALUE_MAX, "value")
    try:
        return canonical_hours(parse_hours(text))
    except ValueError as error:
        message = getattr(error, "message", N_("Please check the opening hours."))
        raise CorrectionError("value", message, getattr(error, "params", {})) from None


def same_value(field: Field | str, first: str, second: str) -> bool:
    """Whether two values of ``field`` mean the same (number and extension, any case...)."""
    if field == Field.phone:
        try:
            return parse_office_phone(first) == parse_office_phone(second)
        except PhoneError:
            return first.strip() == second.strip()
    if field == Field.email:
        return first.strip().casefold() == second.strip().casefold()
    try:
        return parse_hours(first) == parse_hours(second)
    except ValueError:
        return first.strip() == second.strip()


def current_value(person: Person, office: Office | None, field: Field | str) -> str:
    """What the database holds now for ``field`` (a phone as published)."""
    if field == Field.email:
        return person.email
    if office is None:
        raise ValueError("phone and hours corrections belong to an office")
    if field == Field.phone:
        return office.phone_raw or office.phone
    return office.hours


def _write(person: Person, office: Office | None, field: Field | str, value: str) -> None:
    """Put ``value`` into the model (both the E.164 and as-typed form of a phone)."""
    if field == Field.email:
        person.email = value
    elif office is not None and field == Field.phone:
        office.phone = parse_office_phone(value)[0] if value else ""
        office.phone_raw = value
    elif office is not None:
        office.hours = value


def active(
    session: Session, person: Person, office: Office | None, field: Field | str
) -> ContactCorrection | None:
    """The active correction of ``field`` (of ``office`` for phone and hours), if any."""
    query = select(ContactCorrection).where(
        ContactCorrection.person_id == person.id,
        ContactCorrection.field == str(field),
        ContactCorrection.active.is_(True),
    )
    if office is None:
        query = query.where(ContactCorrection.office_id.is_(None))
    else:
        query = query.where(ContactCorrection.office_id == office.id)
    return session.scalars(query).first()


#: The audit log's sentences (msgids): without an office, then with one.
CORRECTED = (
    N_("Corrected %(person)s: %(field)s"),
    N_("Corrected %(person)s: %(field)s (%(office)s)"),
)
CORRECTED_REPLACING = (
    N_("Corrected %(person)s: %(field)s (replaces an earlier correction)"),
    N_("Corrected %(person)s: %(field)s (%(office)s) (replaces an earlier correction)"),
)
UNDONE = (
    N_("Undid the correction of %(person)s: %(field)s"),
    N_("Undid the correction of %(person)s: %(field)s (%(office)s)"),
)


def _describe(
    sentences: tuple[str, str], person: Person, office: Office | None, field: Field
) -> audit.Summary:
    """What was corrected, for the audit log (no values: they may be personal)."""
    params: dict[str, str] = {"person": person.full_name, "field": field.value}
    if office is None:
        return audit.Summary(sentences[0], params)
    params["office_en"] = office.label_en or str(office.kind)
    params["office_fr"] = office.label_fr or office.label_en or str(office.kind)
    return audit.Summary(sentences[1], params)


def correct(
    session: Session,
    actor: User | None,
    person: Person,
    field: Field | str,
    raw: str | None,
    *,
    office: Office | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> ContactCorrection:
    """Correct ``field`` to what was typed; a previous correction of it is replaced.

    Raises CorrectionError for a value we can't use or one that changes nothing.
    """
    field = Field(field)
    if (field in OFFICE_FIELDS) != (office is not None):
        raise ValueError("phone and hours need an office; email needs none")
    if office is not None and office.person_id != person.id:
        raise ValueError("the office belongs to someone else")
    note_text = clean_note(note)
    if field == Field.phone:
        value = clean_phone(raw)[1]
    elif field == Field.email:
        value = clean_email(raw)
    else:
        value = clean_hours(raw)
    before = current_value(person, office, field)
    if value == before or same_value(field, value, before):
        raise CorrectionError("value", N_("That is already what we have. Nothing changed."))
    previous = active(session, person, office, field)
    shipped = previous.shipped_value if previous is not None else before
    if previous is not None:
        previous.active = False
    _write(person, office, field, value)
    if field == Field.email:
        person.email_derived = False
    correction = ContactCorrection(
        person_id=person.id,
        office_id=office.id if office is not None else None,
        field=field.value,
        value=value,
        shipped_value=shipped,
        note=note_text,
        active=True,
        created_at=now or utcnow(),
        user_id=actor.id if actor else None,
        user_label=actor.label if actor else audit.COMMAND_LINE,
    )
    session.add(correction)
    session.flush()
    replaced = previous is not None
    audit.record(
        session,
        actor,
        "contact.correct",
        _describe(CORRECTED_REPLACING if replaced else CORRECTED, person, office, field),
        object_type="contact_correction",
        object_id=correction.id,
    )
    return correction


def undo(session: Session, actor: User | None, correction: ContactCorrection) -> None:
    """Put the shipped value back and retire ``correction`` (nothing to do if it is retired)."""
    if not correction.active:
        return
    person = session.get(Person, correction.person_id)
    office = session.get(Office, correction.office_id) if correction.office_id else None
    if person is None:  # pragma: no cover - the FK cascade removes corrections with people
        return
    field = Field(correction.field)
    try:
        _write(person, office, field, correction.shipped_value)
    except PhoneError:  # a shipped number we can't read: keep it as published, undialled
        if office is not None:
            office.phone, office.phone_raw = "", correction.shipped_value
    if field == Field.email:
        person.email_derived = derived_source(person.email_source)
    correction.active = False
    session.flush()
    audit.record(
        session,
        actor,
        "contact.undo",
        _describe(UNDONE, person, office, field),
        object_type="contact_correction",
        object_id=correction.id,
    )


def derived_source(email_source: str) -> bool:
    """Whether the shipped data marks an address as guessed from the usual pattern."""
    return "derived" in email_source.casefold()


def agrees(correction: ContactCorrection) -> bool:
    """Whether the shipped data now says what the correction says."""
    return same_value(correction.field, correction.value, correction.shipped_value)

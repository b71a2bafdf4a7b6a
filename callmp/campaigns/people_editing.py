"""Campaign leads create and edit custom people (not MPs) and their offices.

Domain code, no Flask. A custom person is a ``Person`` with no riding and no House of
Commons id: a minister's office, a committee chair's staff. Every change is an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callmp import audit
from callmp.campaigns import drafts, target_editing
from callmp.campaigns.address_forms import GENDERS
from callmp.directory.email_addresses import AddressError, clean_address
from callmp.directory.office_hours import canonical_hours, parse_hours
from callmp.directory.phones import PhoneError, parse_office_phone
from callmp.directory.postal_codes import PostalCodeError, normalise
from callmp.i18n import N_, InputError
from callmp.models import Office, OfficeKind, Person, User
from callmp.templating import one_line

#: Time zones of Canadian offices (IANA names), west to east.
TIME_ZONES = (
    "America/Vancouver",
    "America/Whitehorse",
    "America/Edmonton",
    "America/Yellowknife",
    "America/Regina",
    "America/Winnipeg",
    "America/Iqaluit",
    "America/Toronto",
    "America/Halifax",
    "America/St_Johns",
)
PROVINCES = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
LANGUAGES = ("", "en", "fr")
#: Column sizes of the text fields, for the "too long" check.
PERSON_SIZES = {"honorific": 40, "full_name": 200, "first_name": 100, "last_name": 100}
PERSON_SIZES |= {"party": 60, "address_en": 200, "address_fr": 200}
OFFICE_SIZES = {"label_en": 120, "label_fr": 120, "street": 300, "city": 120, "hours": 200}


#: Another lead saved the same person's offices while this one was editing.
CONFLICT = N_(
    "Someone else changed this person's offices at the same time. "
    "Nothing was saved: please check the offices below and save again."
)


class PersonInvalid(ValueError):
    """Refused input: untranslated (message, params) by field name (``offices-0-phone``)."""

    def __init__(self, errors: dict[str, tuple[str, dict[str, str]]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class PersonConflict(PersonInvalid):
    """Two saves collided (an office's place was taken meanwhile); the caller rolls back."""


@dataclass(frozen=True)
class OfficeData:
    """One office as a lead typed it; ``office_id`` None for a new one."""

    office_id: int | None = None
    remove: bool = False
    kind: str = OfficeKind.other.value
    label_en: str = ""
    label_fr: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    province_abbr: str = ""
    postal_code: str = ""
    time_zone: str = "America/Toronto"
    hours: str = ""

    @property
    def blank(self) -> bool:
        """True for the empty "add an office" row."""
        return self.office_id is None and not any(
            (
                self.label_en,
                self.label_fr,
                self.phone,
                self.street,
                self.city,
                self.postal_code,
                self.hours,
            )
        )


@dataclass(frozen=True)
class PersonData:
    """A custom person as a lead typed it."""

    honorific: str = ""
    full_name: str = ""
    first_name: str = ""
    last_name: str = ""
    party: str = ""
    email: str = ""
    preferred_language: str = ""
    address_en: str = ""  # how letters address them ("Minister Metlege Diab")
    address_fr: str = ""  # "Madame la Ministre"
    gender: str = ""  # grammatical gender for French forms: "f", "m" or "" (unknown)
    offices: list[OfficeData] = field(default_factory=list)


Errors = dict[str, tuple[str, dict[str, str]]]


def _check_person(data: PersonData, errors: Errors) -> dict[str, str]:
    """The person's cleaned fields; problems go to ``errors``."""
    values = {name: one_line(getattr(data, name)) for name in PERSON_SIZES}
    for name, size in PERSON_SIZES.items():
        if len(values[name]) > size:
            errors[name] = (N_("Please keep this under %(max)s characters."), {"max": str(size)})
    if not values["full_name"]:
        errors["full_name"] = (N_("Please enter the person's name."), {})
    values["email"] = ""
    if data.email.strip():
        try:
            values["email"] = clean_address(data.email.strip())
        except AddressError:
            errors["email"] = (N_("Please enter a valid email address."), {})
    if data.preferred_language not in LANGUAGES:
        errors["preferred_language"] = (N_("Please choose a language."), {})
    values["preferred_language"] = data.preferred_language
    if data.gender not in GENDERS:
        errors["gender"] = (N_("Please choose one of the listed forms."), {})
    values["gender"] = data.gender
    return values


def _check_office(data: OfficeData, prefix: str, errors: Errors) -> dict[str, str]:
    """One office's cleaned fields; problems go to ``errors`` under ``prefix-<field>``."""
    values = {name: one_line(getattr(data, name)) for name in OFFICE_SIZES}
    for name, size in OFFICE_SIZES.items():
        if len(values[name]) > size:
            errors[prefix + name] = (
                N_("Please keep this under %(max)s characters."),
                {"max": str(size)},
            )
    if data.kind not in set(OfficeKind):
        errors[prefix + "kind"] = (N_("Please choose a kind of office."), {})
    values["kind"] = data.kind
    values["phone"] = values["phone_raw"] = ""
    if data.phone.strip():
        try:
            values["phone"], _extension = parse_office_phone(data.phone.strip())
            values["phone_raw"] = one_line(data.phone)[:40]
        except PhoneError as error:
            errors[prefix + "phone"] = (error.message, error.params)
    values["province_abbr"] = data.province_abbr.strip().upper()
    if values["province_abbr"] and values["province_abbr"] not in PROVINCES:
        errors[prefix + "province_abbr"] = (N_("Please choose a province or territory."), {})
    values["postal_code"] = ""
    if data.postal_code.strip():
        try:
            values["postal_code"] = normalise(data.postal_code)
        except PostalCodeError as error:
            errors[prefix + "postal_code"] = (error.message, error.params)
    if data.time_zone not in TIME_ZONES:
        errors[prefix + "time_zone"] = (N_("Please choose a time zone from the list."), {})
    values["time_zone"] = data.time_zone
    try:
        week = parse_hours(data.hours)
        values["hours"] = canonical_hours(week) if data.hours.strip() else ""
    except InputError as error:
        errors[prefix + "hours"] = (error.message, error.params)
    return values


def _offices(person: Person, rows: list[tuple[Office | None, dict[str, str]]]) -> None:
    """Update, add and number the offices in place (counted calls keep their links)."""
    taken: dict[str, set[int]] = {}
    for office, values in rows:
        if office is not None and office.kind == values["kind"]:
            taken.setdefault(values["kind"], set()).add(office.position)
    for office, values in rows:
        if office is None or office.kind != values["kind"]:
            used = taken.setdefault(values["kind"], set())
            position = max(used, default=0) + 1
            used.add(position)
            if office is None:
                office = Office()
                person.offices.append(office)
            office.position = position
        for name, value in values.items():
            setattr(office, name, value)
        office.source = "lead"


def save(session: Session, person: Person | None, data: PersonData, actor: User | None) -> Person:
    """Create (``person`` None) or update a custom person and their offices; audit it."""
    if person is not None and (person.fed_num is not None or person.ourcommons_person_id):
        raise PersonInvalid({"full_name": (N_("MPs are edited on the contact data pages."), {})})
    errors: Errors = {}
    values = _check_person(data, errors)
    existing = {office.id: office for office in person.offices} if person else {}
    rows: list[tuple[Office | None, dict[str, str]]] = []
    removed: list[Office] = []
    for index, office_data in enumerate(data.offices):
        office = existing.get(office_data.office_id) if office_data.office_id else None
        if office_data.office_id and office is None:
            errors[f"offices-{index}-kind"] = (N_("This office does not exist any more."), {})
        elif office is not None and office_data.remove:
            removed.append(office)
        elif not office_data.blank:
            rows.append((office, _check_office(office_data, f"offices-{index}-", errors)))
    if errors:
        raise PersonInvalid(errors)
    created = person is None
    if person is None:
        person = Person(full_name=values["full_name"], source="lead")
        session.add(person)
    if values.get("email", "") != person.email:
        person.email_source = "lead"  # a lead's entry, no longer what a source said
    for name, value in values.items():
        setattr(person, name, value)
    for office in removed:
        person.offices.remove(office)
    session.flush()
    _offices(person, rows)
    try:
        session.flush()
    except IntegrityError as error:
        # Another save took an office's (kind, position) since this person was loaded.
        raise PersonConflict({"offices": (CONFLICT, {})}) from error
    message = (
        N_("custom person %(id)s created, %(offices)s office(s)")
        if created
        else N_("custom person %(id)s updated, %(offices)s office(s)")
    )
    audit.record(
        session,
        actor,
        "person.update",
        audit.Summary(message, {"id": person.id, "offices": len(person.offices)}),
        object_type="person",
        object_id=person.id,
    )
    return person


def delete(session: Session, person: Person, actor: User | None) -> None:
    """Delete a custom person, refused (TargetError) while a campaign's target uses them."""
    campaigns = target_editing.used_by(session, person)
    campaigns += [c for c in drafts.naming(session, person.id) if c not in campaigns]
    if campaigns:
        raise target_editing.TargetError(
            "person",
            N_("%(name)s is a target of %(campaigns)s: remove those targets first."),
            name=person.full_name,
            campaigns=", ".join(c.slug for c in campaigns),
        )
    if person.fed_num is not None or person.ourcommons_person_id:
        raise target_editing.TargetError("person", N_("MPs come from the House of Commons data."))
    person_id = person.id
    session.delete(person)
    session.flush()
    audit.record(
        session,
        actor,
        "person.update",
        audit.Summary(N_("custom person %(id)s deleted"), {"id": person_id}),
        object_type="person",
        object_id=person_id,
    )

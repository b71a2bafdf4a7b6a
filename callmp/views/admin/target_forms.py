"""WTForms classes for a campaign's targets and for custom people with their offices."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget, Select

from callmp import numbers
from callmp.campaigns import people_editing
from callmp.campaigns.target_editing import ListedPerson, TargetChoice
from callmp.campaigns.target_words import LIMITS, WORD_FIELDS, TargetWords
from callmp.models import OfficeKind, Person, Portfolio, TargetKind
from callmp.views import presenters


class PeopleSelect(Select):  # type: ignore[misc]
    """WTForms' select, each plain option written in one step: the lists of people hold
    every MP (the target editor shows 343 of them twice)."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        """The same ``<option>`` as WTForms writes, for a text value with no attributes."""
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)  # type: ignore[no-any-return]
        selected = "selected " if choice.selected else ""  # html_params sorts by name
        label = escape(choice.label or choice.value)
        value = escape(choice.value)
        return Markup(f'<option {selected}value="{value}">{label}</option>')  # noqa: S704 - escaped


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as a list of checkboxes; choices nobody offered are left to the domain."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        """The domain checks the values against the data."""


def _role_fields() -> tuple[StringField, StringField]:
    """The two role texts of a target."""
    return (
        StringField(lazy_gettext("Role in English"), render_kw={"maxlength": "200"}),
        StringField(lazy_gettext("Role in French"), render_kw={"maxlength": "200"}),
    )


def _area(label: str, name: str) -> TextAreaField:
    """A text box for one of a target's own texts."""
    rows = "10" if name.startswith(("talking_points", "email_body")) else "3"
    return TextAreaField(label, render_kw={"rows": rows, "spellcheck": "true"})


def _line(label: str, name: str) -> StringField:
    """A one-line field for a target's subject or form of address."""
    return StringField(label, render_kw={"maxlength": str(LIMITS[name][0])})


GENDER_CHOICES = [
    SelectChoice("", lazy_gettext("Not set: wording that needs no gender")),
    SelectChoice("f", lazy_gettext("Feminine (Madame la Députée, Madame)")),
    SelectChoice("m", lazy_gettext("Masculine (Monsieur le Député, Monsieur)")),
]


class WordsFields:
    """A target's own words (a mixin: both target forms carry them)."""

    talking_points_en = _area(lazy_gettext("Talking points (English)"), "talking_points_en")
    talking_points_fr = _area(lazy_gettext("Talking points (French)"), "talking_points_fr")
    email_subject_en = _line(lazy_gettext("Email subject (English)"), "email_subject_en")
    email_subject_fr = _line(lazy_gettext("Email subject (French)"), "email_subject_fr")
    email_body_en = _area(lazy_gettext("Email body (English)"), "email_body_en")
    email_body_fr = _area(lazy_gettext("Email body (French)"), "email_body_fr")
    address_en = _line(lazy_gettext("Form of address (English)"), "address_en")
    address_fr = _line(lazy_gettext("Form of address (French)"), "address_fr")

    def words(self) -> TargetWords | None:
        """The target's own words as typed; None when the page had no words fields."""
        form: Any = self
        present = [name for name in WORD_FIELDS if name in form and form[name].raw_data]
        if not present:
            return None
        return TargetWords(**{name: form[name].data or "" for name in present})


class OwnMpForm(WordsFields, FlaskForm):  # type: ignore[misc]
    """The supporter's own MP, optionally only in some parties or provinces, with a fallback."""

    parties = CheckboxesField(lazy_gettext("Only MPs of these parties (none ticked: any party)"))
    provinces = CheckboxesField(
        lazy_gettext("Only ridings in these provinces (none ticked: anywhere)")
    )
    fallback_person_id = SelectField(
        lazy_gettext("Instead, outside these filters or when the seat is vacant"),
        validate_choice=False,
        widget=PeopleSelect(),
    )
    role_en, role_fr = _role_fields()

    def choice(self) -> TargetChoice:
        """What the lead asked for."""
        return TargetChoice(
            kind=TargetKind.own_mp,
            parties=tuple(self.parties.data or ()),
            provinces=tuple(self.provinces.data or ()),
            fallback_person_id=_id(self.fallback_person_id.data),
            role_en=self.role_en.data or "",
            role_fr=self.role_fr.data or "",
            words=self.words(),
        )


class PersonTargetForm(WordsFields, FlaskForm):  # type: ignore[misc]
    """A fixed person: an MP found by name or riding, or a custom person."""

    q = HiddenField()
    person_id = SelectField(lazy_gettext("Person"), validate_choice=False, widget=PeopleSelect())
    role_en, role_fr = _role_fields()
    gender = SelectField(
        lazy_gettext("Grammatical gender, for French forms of address"),
        choices=GENDER_CHOICES,
        validate_choice=False,
    )

    def choice(self) -> TargetChoice:
        """What the lead asked for."""
        return TargetChoice(
            kind=TargetKind.person,
            person_id=_id(self.person_id.data),
            role_en=self.role_en.data or "",
            role_fr=self.role_fr.data or "",
            words=self.words(),
        )


class PortfolioTargetForm(WordsFields, FlaskForm):  # type: ignore[misc]
    """A minister's portfolio: whoever holds it when a supporter comes, with a fallback."""

    portfolio_id = SelectField(lazy_gettext("Portfolio"), validate_choice=False)
    fallback_person_id = SelectField(
        lazy_gettext("Instead, while the post is vacant"),
        validate_choice=False,
        widget=PeopleSelect(),
    )
    role_en, role_fr = _role_fields()

    def choice(self) -> TargetChoice:
        """What the lead asked for."""
        return TargetChoice(
            kind=TargetKind.portfolio,
            portfolio_id=_id(self.portfolio_id.data),
            fallback_person_id=_id(self.fallback_person_id.data),
            role_en=self.role_en.data or "",
            role_fr=self.role_fr.data or "",
            words=self.words(),
        )


def portfolio_label(portfolio: Portfolio, locale: str) -> str:
    """A portfolio in a list: its title and who holds it now."""
    holder = portfolio.holder.full_name if portfolio.holder else str(lazy_gettext("vacant"))
    return f"{portfolio.title(locale)} · {holder}"


def _id(raw: str | None) -> int | None:
    """A submitted id, None when empty or not a number (the domain then says what is wrong)."""
    return numbers.whole_number(raw or "")


def person_label(person: Person) -> str:
    """A person in a list: name, party and riding number for MPs."""
    return _PeopleLabels(presenters.locale_code())(ListedPerson.of(person))


class _PeopleLabels:
    """Labels of people in one language, each party's name translated once (a list of
    every MP names a handful of parties 343 times)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.parties: dict[str, str] = {}

    def __call__(self, person: ListedPerson) -> str:
        parts = [person.full_name]
        if party := person.party:
            name = self.parties.get(party)
            if name is None:
                name = self.parties[party] = presenters.party_name(party)
            parts.append(name)
        if person.fed_num is not None:
            parts.append(f"{person.riding_name(self.locale)} ({person.fed_num})")
        return " · ".join(parts)


def people_choices(
    groups: list[tuple[str, list[Person] | list[ListedPerson]]], empty: str | None
) -> list[SelectChoice]:
    """Select choices grouped by kind of person, with an optional empty first choice."""
    choices = [SelectChoice("", empty)] if empty is not None else []
    label = _PeopleLabels(presenters.locale_code())
    for group, people in groups:
        listed = [p if isinstance(p, ListedPerson) else ListedPerson.of(p) for p in people]
        choices += [SelectChoice(str(p.id), label(p), optgroup=group) for p in listed]
    return choices


KIND_CHOICES = [
    SelectChoice(OfficeKind.other.value, lazy_gettext("Other office")),
    SelectChoice(OfficeKind.hill.value, lazy_gettext("Parliament Hill")),
    SelectChoice(OfficeKind.constituency.value, lazy_gettext("Constituency office")),
]
LANGUAGE_CHOICES = [
    SelectChoice("", lazy_gettext("Not known")),
    SelectChoice("en", "English"),
    SelectChoice("fr", "Français"),
]


class OfficeForm(Form):  # type: ignore[misc]
    """One office of a custom person (a sub-form: the page's form carries the CSRF token)."""

    office_id = HiddenField()
    remove = BooleanField(lazy_gettext("Remove this office"))
    kind = SelectField(lazy_gettext("Kind"), choices=KIND_CHOICES, validate_choice=False)
    label_en = StringField(lazy_gettext("Label in English"), render_kw={"maxlength": "120"})
    label_fr = StringField(lazy_gettext("Label in French"), render_kw={"maxlength": "120"})
    phone = StringField(lazy_gettext("Phone"), render_kw={"maxlength": "40", "autocomplete": "off"})
    street = StringField(lazy_gettext("Street"), render_kw={"maxlength": "300"})
    city = StringField(lazy_gettext("City"), render_kw={"maxlength": "120"})
    province_abbr = SelectField(
        lazy_gettext("Province or territory"),
        choices=[SelectChoice("", "—"), *[SelectChoice(p, p) for p in people_editing.PROVINCES]],
        validate_choice=False,
    )
    postal_code = StringField(lazy_gettext("Postal code"), render_kw={"maxlength": "10"})
    time_zone = SelectField(
        lazy_gettext("Time zone"),
        choices=[SelectChoice(z, z) for z in people_editing.TIME_ZONES],
        default="America/Toronto",
        validate_choice=False,
    )
    hours = StringField(lazy_gettext("Opening hours"), render_kw={"maxlength": "200"})


class PersonForm(FlaskForm):  # type: ignore[misc]
    """A custom person (not an MP) and their offices."""

    honorific = StringField(lazy_gettext("Honorific (e.g. Hon.)"), render_kw={"maxlength": "40"})
    full_name = StringField(lazy_gettext("Name as shown"), render_kw={"maxlength": "200"})
    first_name = StringField(lazy_gettext("First name"), render_kw={"maxlength": "100"})
    last_name = StringField(lazy_gettext("Last name"), render_kw={"maxlength": "100"})
    party = StringField(lazy_gettext("Party (optional)"), render_kw={"maxlength": "60"})
    email = EmailField(lazy_gettext("Email"), render_kw={"maxlength": "254"})
    preferred_language = SelectField(
        lazy_gettext("Preferred language"), choices=LANGUAGE_CHOICES, validate_choice=False
    )
    address_en = StringField(
        lazy_gettext("Form of address (English)"), render_kw={"maxlength": "200"}
    )
    address_fr = StringField(
        lazy_gettext("Form of address (French)"), render_kw={"maxlength": "200"}
    )
    gender = SelectField(
        lazy_gettext("Grammatical gender, for French forms of address"),
        choices=GENDER_CHOICES,
        validate_choice=False,
    )
    offices = FieldList(FormField(OfficeForm))

    def data_for_domain(self) -> people_editing.PersonData:
        """The typed values, for ``people_editing.save``."""
        offices = [
            people_editing.OfficeData(
                office_id=_id(entry.office_id.data),
                remove=bool(entry.remove.data),
                **{name: entry[name].data or "" for name in _OFFICE_TEXT},
            )
            for entry in self.offices
        ]
        return people_editing.PersonData(
            offices=offices, **{name: self[name].data or "" for name in _PERSON_TEXT}
        )

    def show_errors(self, errors: people_editing.Errors, translate: Any) -> None:
        """Put each refused value's message next to its field (``offices-0-phone``)."""
        for key, (message, params) in errors.items():
            parts = key.split("-")
            field = self[parts[0]]
            if len(parts) == 3:
                field = field.entries[int(parts[1])][parts[2]]
            field.errors = [translate(message, **params)]


_PERSON_TEXT = (
    "honorific",
    "full_name",
    "first_name",
    "last_name",
    "party",
    "email",
    "preferred_language",
    "address_en",
    "address_fr",
    "gender",
)
_OFFICE_TEXT = (
    "kind",
    "label_en",
    "label_fr",
    "phone",
    "street",
    "city",
    "province_abbr",
    "postal_code",
    "time_zone",
    "hours",
)


def person_form_data(person: Person | None) -> dict[str, Any]:
    """A person's stored values as the form's data, with an empty office row to add one."""
    offices: list[dict[str, Any]] = []
    if person is not None:
        offices = [
            {"office_id": str(o.id), **{name: getattr(o, name) for name in _OFFICE_TEXT}}
            for o in person.offices
        ]
        offices = [{**o, "kind": str(o["kind"])} for o in offices]
    offices.append({"kind": OfficeKind.other.value, "time_zone": "America/Toronto"})
    values = {name: getattr(person, name) for name in _PERSON_TEXT} if person else {}
    return {**values, "offices": offices}

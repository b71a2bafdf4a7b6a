"""The petition form, and reading it into a signature the domain can store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, lazy_gettext
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField

from callmp.directory import lookup
from callmp.i18n import InputError
from callmp.letters import compose
from callmp.models import Campaign
from callmp.petitions import signing
from callmp.views.letter_input import riding_from_input
from callmp.views.public_forms import PublicForm

#: The honeypot's name: a field people never see (visually hidden, hidden from screen
#: readers, out of the tab order, labelled "leave empty"); bots fill in what they find.
HONEYPOT = "website"


class PetitionForm(PublicForm):
    """Add your name: who signs, where they live, their comment and three unticked boxes."""

    name = StringField(
        lazy_gettext("Your name"), render_kw={"autocomplete": "name", "maxlength": "100"}
    )
    email = EmailField(
        lazy_gettext("Your email address"),
        render_kw={"autocomplete": "email", "maxlength": "254", "spellcheck": "false"},
    )
    postal_code = StringField(
        lazy_gettext("Your postal code"),
        render_kw={
            "autocomplete": "postal-code",
            "autocapitalize": "characters",
            "class": "postal-code",
            "spellcheck": "false",
            "maxlength": "12",
        },
    )
    city = StringField(
        lazy_gettext("Your city or town (optional)"),
        render_kw={"autocomplete": "address-level2", "maxlength": "100"},
    )
    fed_num = RadioField(lazy_gettext("Your riding"), validate_choice=False)
    comment = TextAreaField(
        lazy_gettext("A comment (optional)"),
        render_kw={"rows": "3", "maxlength": str(signing.COMMENT_MAX)},
    )
    show_publicly = BooleanField(
        lazy_gettext("Show my first name and city on this page among the recent signers.")
    )
    share_with_target = BooleanField(
        lazy_gettext("My MP may receive my name, city and comment with the petition.")
    )
    consent_followup = BooleanField(lazy_gettext("Follow-up email"))
    website = StringField(
        lazy_gettext("Leave this field empty"),
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )


@dataclass
class PetitionInputError(Exception):
    """What is wrong, per field, in the supporter's language (ridings to pick from when
    the postal code leaves the riding open)."""

    errors: dict[str, str]
    candidates: list[lookup.Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """A signature that passed every check of the form, with its settled riding."""

    name: str
    email: str
    city: str
    comment: str
    postal_code: str
    candidate: lookup.Candidate
    match: str


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def prepare(data: Mapping[str, Any]) -> Prepared:
    """Check the form's fields and settle the riding; raises PetitionInputError."""
    errors: dict[str, str] = {}

    def clean(name: str, fn: Any, raw: str | None) -> str:
        try:
            return str(fn(raw))
        except InputError as error:
            errors[name] = gettext(error.message, **error.params)
            return ""

    name = clean("name", compose.clean_name, _text(data, "name"))
    email = clean("email", compose.clean_email, _text(data, "email"))
    city = clean("city", compose.clean_city, _text(data, "city"))
    comment = clean("comment", signing.clean_comment, _text(data, "comment"))
    settled, choices = riding_from_input(
        _text(data, "postal_code"), lookup.parse_fed_num(data.get("fed_num")), False, errors
    )
    if errors or settled is None or settled.result is None:
        raise PetitionInputError(errors, choices if "fed_num" in errors else [])
    return Prepared(
        name=name,
        email=email,
        city=city,
        comment=comment,
        postal_code=settled.result.postal_code,
        candidate=settled.candidate,
        match=str(settled.result.match),
    )


def ask(
    campaign: Campaign,
    prepared: Prepared,
    form: PetitionForm,
    *,
    locale: str,
    referral: str,
    share_source: str,
    ip: str,
) -> signing.SignAsk:
    """The signature to store, with the boxes as ticked and where it came from."""
    member = prepared.candidate.member
    return signing.SignAsk(
        campaign=campaign,
        name=prepared.name,
        email=prepared.email,
        postal_code=prepared.postal_code,
        fed_num=prepared.candidate.riding.fed_num,
        person_id=member.id if member is not None else None,
        city=prepared.city,
        comment=prepared.comment,
        locale=locale,
        show_publicly=bool(form.show_publicly.data),
        share_with_target=bool(form.share_with_target.data),
        consent_followup=bool(form.consent_followup.data),
        referral=referral,
        share_source=share_source,
        ip=ip,
    )

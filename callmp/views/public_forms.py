"""WTForms classes for the supporter's pages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired

from callmp.directory import postal_codes
from callmp.i18n import InputError
from callmp.views.form_tokens import SignedCsrf


def translate_postal_error(error: InputError) -> str:
    """The supporter-facing message for refused input, in the current language."""
    return str(gettext(error.message, **error.params))


def valid_postal_code(_form: Any, field: Field) -> None:
    """WTForms validator: the field must normalise to a Canadian postal code."""
    try:
        field.data = postal_codes.normalise(field.data)
    except postal_codes.PostalCodeError as error:
        raise ValidationError(translate_postal_error(error)) from error


class PublicForm(FlaskForm):  # type: ignore[misc]
    """A supporter's form: its CSRF token is signed and needs no session (see form_tokens)."""

    class Meta:
        csrf_class = SignedCsrf


class LookupForm(FlaskForm):  # type: ignore[misc]
    """The postal code box on a campaign page."""

    class Meta:
        # Looking up a riding changes nothing on the server, and the form must work in
        # partner-site embeds where third-party cookies (and so CSRF tokens) are blocked.
        csrf = False

    postal_code = StringField(
        lazy_gettext("Your postal code"),
        validators=[valid_postal_code],
        render_kw={
            "autocomplete": "postal-code",
            "autocapitalize": "characters",
            "class": "postal-code",
            "spellcheck": "false",
            "maxlength": "12",
            "inputmode": "text",
        },
    )


def _followup_email() -> EmailField:
    """The address for follow-up, asked beside the opt-in (needed only when it is ticked)."""
    return EmailField(
        lazy_gettext("Your email address (only if you tick the box)"),
        render_kw={"autocomplete": "email", "maxlength": "254", "spellcheck": "false"},
    )


def _followup_box() -> BooleanField:
    """The unticked opt-in; its words (``consent_wording``) are the label templates show."""
    return BooleanField(lazy_gettext("Follow-up email"))


class CallForm(PublicForm):
    """ "Call me": the supporter's phone number and their consent to one call now."""

    phone = TelField(
        lazy_gettext("Your phone number"),
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": "30"},
    )
    consent = BooleanField(
        lazy_gettext(
            "Call me now at this number. I can press 9 during the call so it never calls me again."
        ),
        validators=[InputRequired(lazy_gettext("Please tick the box so we may call you."))],
    )
    consent_followup = _followup_box()
    email = _followup_email()


class ReportForm(PublicForm):
    """ "How did it go?" after calling an office directly."""

    token = HiddenField()
    office = RadioField(
        lazy_gettext("Which office did you call?"), coerce=int, validate_choice=False
    )
    outcome = RadioField(
        lazy_gettext("How did it go?"),
        choices=[
            SelectChoice("talked_to_staff", lazy_gettext("I talked to someone")),
            SelectChoice("left_voicemail", lazy_gettext("I left a voicemail")),
            SelectChoice("no_answer", lazy_gettext("Nobody answered")),
            SelectChoice("skipped", lazy_gettext("I didn't call")),
        ],
        validators=[InputRequired(lazy_gettext("Please tell us how the call went."))],
    )
    consent_followup = _followup_box()
    email = _followup_email()


class EmailForm(PublicForm):
    """The letter: who writes, from where, what it says (checked by ``letters.compose``)."""

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
    subject = StringField(lazy_gettext("Subject"), render_kw={"maxlength": "200"})
    body = TextAreaField(lazy_gettext("Your letter"), render_kw={"rows": "14"})
    personal_line = TextAreaField(
        lazy_gettext("A line in your own words"), render_kw={"rows": "3", "maxlength": "1000"}
    )
    consent_followup = _followup_box()

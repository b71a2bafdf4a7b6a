"""WTForms classes for the supporter's pages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Field, StringField, ValidationError

from callmp import postal
from callmp.i18n import InputError


def translate_postal_error(error: InputError) -> str:
    """The supporter-facing message for refused input, in the current language."""
    return str(gettext(error.message, **error.params))


def valid_postal_code(_form: Any, field: Field) -> None:
    """WTForms validator: the field must normalise to a Canadian postal code."""
    try:
        field.data = postal.normalise(field.data)
    except postal.PostalCodeError as error:
        raise ValidationError(translate_postal_error(error)) from error


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
            "spellcheck": "false",
            "maxlength": "12",
            "inputmode": "text",
        },
    )

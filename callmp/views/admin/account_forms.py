"""WTForms classes for staff logins and accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)

from callmp.models import Role
from callmp.stats.dashboard import TIME_ZONES

#: The zones staff pages can show times in, by the names staff know them.
ZONE_LABELS = {
    "America/St_Johns": lazy_gettext("Newfoundland (St. John's)"),
    "America/Halifax": lazy_gettext("Atlantic (Halifax)"),
    "America/Toronto": lazy_gettext("Eastern (Ottawa, Toronto)"),
    "America/Winnipeg": lazy_gettext("Central (Winnipeg)"),
    "America/Regina": lazy_gettext("Saskatchewan (Regina)"),
    "America/Edmonton": lazy_gettext("Mountain (Edmonton)"),
    "America/Vancouver": lazy_gettext("Pacific (Vancouver)"),
    "America/Whitehorse": lazy_gettext("Yukon (Whitehorse)"),
    "UTC": lazy_gettext("UTC"),
}

ROLE_CHOICES = [
    SelectChoice(Role.organizer.value, lazy_gettext("Organizer: sees counts")),
    SelectChoice(
        Role.lead.value, lazy_gettext("Campaign lead: also edits campaigns and contact data")
    ),
    SelectChoice(Role.admin.value, lazy_gettext("Admin: also manages accounts")),
]


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Email and password."""

    email = EmailField(
        lazy_gettext("Email"), render_kw={"autocomplete": "email", "maxlength": "254"}
    )
    password = PasswordField(
        lazy_gettext("Password"), render_kw={"autocomplete": "current-password"}
    )


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """An account holder's own password change."""

    current = PasswordField(
        lazy_gettext("Current password"), render_kw={"autocomplete": "current-password"}
    )
    new = PasswordField(lazy_gettext("New password"), render_kw={"autocomplete": "new-password"})


class NewUserForm(FlaskForm):  # type: ignore[misc]
    """An admin adds an account."""

    email = EmailField(lazy_gettext("Email"), render_kw={"maxlength": "254"})
    name = StringField(lazy_gettext("Name"), render_kw={"maxlength": "100"})
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES, default=Role.organizer.value)
    password = PasswordField(
        lazy_gettext("First password (they can change it)"),
        render_kw={"autocomplete": "new-password"},
    )


class EditUserForm(FlaskForm):  # type: ignore[misc]
    """An admin changes an account's name, role or standing, or sets a new password."""

    name = StringField(lazy_gettext("Name"), render_kw={"maxlength": "100"})
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES)
    active = BooleanField(lazy_gettext("Active (can log in)"))
    password = PasswordField(
        lazy_gettext("New password (leave empty to keep it)"),
        render_kw={"autocomplete": "new-password"},
    )


class ButtonForm(FlaskForm):  # type: ignore[misc]
    """A form with nothing but its CSRF token, for buttons such as "Log out"."""


def zone_label(zone: str) -> str:
    """A zone's name as offered in the lists, in the current language."""
    label = ZONE_LABELS.get(zone)
    return str(label) if label is not None else zone


class ZoneForm(FlaskForm):  # type: ignore[misc]
    """The time zone an account's staff pages show times in."""

    zone = SelectField(
        lazy_gettext("Show times in"),
        choices=[SelectChoice(z, ZONE_LABELS[z]) for z in TIME_ZONES],
    )

"""WTForms classes for the campaign editor and its preview.

The forms only carry what was typed; ``campaigns.editing.clean`` checks it, so a refused
value comes back with the domain's message next to its field.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FileField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from callmp.campaigns.fields import (
    BOOLEANS,
    DELIVERY_LABELS,
    INPUT_FIELDS,
    LABELS,
    LANGUAGE_LABELS,
    POLICY_LABELS,
    CampaignInput,
)


def _label(name: str) -> Any:
    """The field's label from the domain's list, translated when shown."""
    return lazy_gettext(LABELS[name])


def _line(name: str, maximum: int, **attrs: str) -> StringField:
    """A one-line text input."""
    return StringField(_label(name), render_kw={"maxlength": str(maximum), **attrs})


def _area(name: str, rows: int = 8) -> TextAreaField:
    """A multi-line text input."""
    return TextAreaField(_label(name), render_kw={"rows": str(rows), "spellcheck": "true"})


def _upload(name: str) -> FileField:
    """A JPEG or PNG file to upload."""
    return FileField(_label(name), render_kw={"accept": "image/png,image/jpeg"})


def _when(name: str) -> StringField:
    """A date and time on Ottawa's wall clock."""
    return StringField(_label(name), render_kw={"type": "datetime-local", "maxlength": "19"})


class CampaignForm(FlaskForm):  # type: ignore[misc]
    """Every editable field of a campaign."""

    title_en = _line("title_en", 200)
    title_fr = _line("title_fr", 200)
    slug = _line("slug", 80, autocapitalize="none", spellcheck="false", pattern="[a-z0-9-]+")
    summary_en = _area("summary_en", 4)
    summary_fr = _area("summary_fr", 4)
    languages = SelectField(
        _label("languages"),
        choices=[SelectChoice(key, lazy_gettext(label)) for key, label in LANGUAGE_LABELS.items()],
    )
    starts_at = _when("starts_at")
    ends_at = _when("ends_at")
    goal = _line("goal", 12, inputmode="numeric")
    bridged_calls = BooleanField(_label("bridged_calls"))
    direct_calls = BooleanField(_label("direct_calls"))
    emails = BooleanField(_label("emails"))
    phone_number = _line("phone_number", 20, type="tel", inputmode="tel")
    office_policy = SelectField(
        _label("office_policy"),
        choices=[SelectChoice(key, lazy_gettext(label)) for key, label in POLICY_LABELS.items()],
    )
    email_from_address = _line("email_from_address", 254, type="email")
    email_confirm = BooleanField(_label("email_confirm"))
    email_personal_line_required = BooleanField(_label("email_personal_line_required"))
    email_block_identical = BooleanField(_label("email_block_identical"))
    email_mailto = BooleanField(_label("email_mailto"))
    petitions = BooleanField(_label("petitions"))
    petition_title_en = _line("petition_title_en", 200)
    petition_title_fr = _line("petition_title_fr", 200)
    petition_text_en = _area("petition_text_en", 8)
    petition_text_fr = _area("petition_text_fr", 8)
    petition_goal = _line("petition_goal", 12, inputmode="numeric")
    petition_ends_at = _when("petition_ends_at")
    petition_confirm = BooleanField(_label("petition_confirm"))
    petition_show_signers = BooleanField(_label("petition_show_signers"))
    petition_delivery = SelectField(
        _label("petition_delivery"),
        choices=[SelectChoice(key, lazy_gettext(label)) for key, label in DELIVERY_LABELS.items()],
    )
    petition_delivery_every = _line("petition_delivery_every", 12, inputmode="numeric")
    petition_delivery_at = _when("petition_delivery_at")
    referral_codes = _area("referral_codes", 4)
    organization_name = _line("organization_name", 200)
    org_legal_name = _line("org_legal_name", 200, autocomplete="organization")
    org_mailing_address = _area("org_mailing_address", 4)
    org_contact = _line("org_contact", 254, spellcheck="false")
    privacy_notice_en = _area("privacy_notice_en", 6)
    privacy_notice_fr = _area("privacy_notice_fr", 6)
    accent_color = _line(
        "accent_color", 7, autocapitalize="none", spellcheck="false", pattern="#?[0-9a-fA-F]{6}"
    )
    # Each image: its stored key (kept across saves), a new file, or a tick to remove it.
    logo_image = HiddenField()
    logo_image_upload = _upload("logo_image")
    logo_image_remove = BooleanField(lazy_gettext("Remove this image"))
    header_image = HiddenField()
    header_image_upload = _upload("header_image")
    header_image_remove = BooleanField(lazy_gettext("Remove this image"))
    share_image = HiddenField()
    share_image_upload = _upload("share_image")
    share_image_remove = BooleanField(lazy_gettext("Remove this image"))
    call_intro_en = _area("call_intro_en", 4)
    call_intro_fr = _area("call_intro_fr", 4)
    talking_points_en = _area("talking_points_en", 12)
    talking_points_fr = _area("talking_points_fr", 12)
    email_subject_en = _line("email_subject_en", 200)
    email_subject_fr = _line("email_subject_fr", 200)
    email_body_en = _area("email_body_en", 12)
    email_body_fr = _area("email_body_fr", 12)
    # The revision of the draft the form was filled from (published campaigns only).
    draft_revision = HiddenField()

    def to_input(self) -> CampaignInput:
        """What was typed, as the domain takes it."""
        values: dict[str, Any] = {}
        for name in INPUT_FIELDS:
            data = self[name].data
            values[name] = bool(data) if name in BOOLEANS else str(data or "")
        return CampaignInput(**values)

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Put translated messages next to their fields."""
        for name, messages in errors.items():
            field: Field = self[name]
            field.errors = messages


class PreviewForm(FlaskForm):  # type: ignore[misc]
    """Which supporter to preview: a postal code, or a riding number (GET, no token)."""

    class Meta:
        csrf = False

    postal_code = StringField(
        lazy_gettext("Postal code"),
        render_kw={"maxlength": "12", "autocapitalize": "characters", "spellcheck": "false"},
    )
    fed_num = StringField(
        lazy_gettext("Or a riding number (5 digits)"),
        render_kw={"maxlength": "5", "inputmode": "numeric"},
    )

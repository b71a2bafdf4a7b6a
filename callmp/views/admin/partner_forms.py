"""The WTForms class of the partner screens."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from callmp.partners.editing import NAME_MAX, PartnerInput


class PartnerForm(FlaskForm):  # type: ignore[misc]
    """A partner's name, referral code and the sites allowed to embed the campaign.

    The page's CSRF token is checked for every staff POST (``callmp.views.security``).
    """

    class Meta:
        csrf = False

    name = StringField(lazy_gettext("Organization's name"), render_kw={"maxlength": str(NAME_MAX)})
    code = StringField(
        lazy_gettext("Referral code"),
        render_kw={"maxlength": "64", "autocapitalize": "none", "spellcheck": "false"},
    )
    origins = TextAreaField(
        lazy_gettext("Sites allowed to embed the campaign and call its API"),
        render_kw={"rows": "4", "autocapitalize": "none", "spellcheck": "false"},
    )

    def values(self) -> PartnerInput:
        """What the lead typed, as the domain code takes it."""
        return PartnerInput(
            name=self.name.data or "", code=self.code.data or "", origins=self.origins.data or ""
        )

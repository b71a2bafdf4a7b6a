"""The opt-in box on the supporters' forms: its words, its email field, its record.

The words come from ``supporters.consent.wording`` (the template global
``consent_wording`` and ``record`` below both call it), so what a supporter read is what
is stored. Thin: the record itself is written by the domain.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from callmp.i18n import InputError
from callmp.letters import compose
from callmp.models import Campaign, ConsentRecord
from callmp.supporters import consent
from callmp.views import presenters
from callmp.views.context import db, referral_for, services, share_source_for
from callmp.views.embed import embedded


def consent_wording(campaign: Campaign) -> str:
    """The opt-in's words for ``campaign`` in the page's language (a template global)."""
    return consent.wording(campaign, presenters.locale_code())


def source() -> str:
    """Where the action was taken: a partner's embed or our own page."""
    return "embed" if embedded() else "page"


def followup_email(form: Any) -> tuple[bool, str]:
    """For a form with ``consent_followup`` and an optional ``email``: (ok, address).

    The address is needed only when the box is ticked; it is checked like letters'
    addresses, and a refusal goes next to the field. Unticked, nothing typed is kept.
    """
    if not form.consent_followup.data:
        return True, ""
    raw = form.email.data or ""
    if not raw.strip():
        form.email.errors = [gettext(consent.EMAIL_NEEDED)]
        return False, ""
    try:
        return True, compose.clean_email(raw)
    except InputError as error:
        form.email.errors = [gettext(error.message, **error.params)]
        return False, ""


def record(
    campaign: Campaign,
    action: str,
    email: str,
    *,
    slug: str | None = None,
    src: str | None = None,
    locale: str | None = None,
    referral: str | None = None,
    share_source: str | None = None,
    **links: Any,
) -> ConsentRecord:
    """Store the ticked box's consent in the request's session (the view commits).

    ``links``: name, postal_code, fed_num, phone_hmac and the action's row id.
    """
    slug = slug or campaign.slug
    ask = consent.ConsentAsk(
        campaign=campaign,
        action=action,
        locale=locale or presenters.locale_code(),
        email=email,
        source=src or source(),
        referral=referral_for(slug) if referral is None else referral,
        share_source=share_source_for(slug) if share_source is None else share_source,
        **links,
    )
    return consent.record_consent(db(), ask, services().mail.settings)

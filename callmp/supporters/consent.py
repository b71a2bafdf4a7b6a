"""Express consent to follow-up email (CASL): the words of the opt-in and its record.

Domain code: no Flask. ``wording`` is the one source of the opt-in's words: the form shows
them and ``record_consent`` stores them, recomputed in the request's language, so what
is kept is exactly what was read. A record is written only when the (unticked by
default) box was ticked, in the same transaction as the action it came with.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from callmp.i18n import N_, french_spacing, translator
from callmp.letters.records import MailSettings, keyed_hash
from callmp.models import Campaign, ConsentRecord

#: The actions an opt-in comes with, and where the action was taken.
ACTIONS = ("call", "report", "letter", "petition")
SOURCES = ("page", "embed", "api")

WORDING = N_(
    "Yes, %(organization)s may email me about this campaign and future actions. "
    "I can withdraw at any time."
)
#: Who asks, when a campaign names no organization yet (a draft, a preview).
NO_ORGANIZATION = N_("the organization running this campaign")

#: A ticked box with no address to write to (calls and reports ask for it only then).
EMAIL_NEEDED = N_("Please enter your email address so we can write to you, or untick the box.")


def organization(campaign: Campaign) -> str:
    """The organization that asks: its legal name, else the name shown on the pages."""
    return (campaign.org_legal_name or campaign.organization_name or "").strip()


def wording(campaign: Campaign, locale: str) -> str:
    """The opt-in's exact words for ``campaign`` in ``locale`` (``en`` or ``fr``)."""
    gettext = translator(locale)
    who = organization(campaign) or gettext(NO_ORGANIZATION)
    text = gettext(WORDING) % {"organization": who}
    return french_spacing(text) if locale.lower().startswith("fr") else text


@dataclass(frozen=True)
class ConsentAsk:
    """Who ticked the box, with which action, and where they were."""

    campaign: Campaign
    action: str
    locale: str
    email: str
    source: str = "page"
    name: str = ""
    postal_code: str = ""
    fed_num: int | None = None
    referral: str = ""
    share_source: str = ""
    phone_hmac: str = ""
    submission_id: int | None = None
    signature_id: int | None = None
    call_request_id: int | None = None


def record_consent(session: Session, ask: ConsentAsk, settings: MailSettings) -> ConsentRecord:
    """Store the consent, with the words ``wording`` gives for its campaign and language.

    ``ask.email`` is an address already checked by the form (``clean_address``); its
    keyed hash is the one letters and signatures use, so a person is found by either.
    """
    if ask.action not in ACTIONS or ask.source not in SOURCES:
        raise ValueError(f"unknown consent action or source: {ask.action}/{ask.source}")
    locale = "fr" if ask.locale.lower().startswith("fr") else "en"
    record = ConsentRecord(
        unsubscribe_key=secrets.token_urlsafe(32),
        campaign_id=ask.campaign.id,
        action=ask.action,
        source=ask.source,
        referral=ask.referral[:64],
        share_source=ask.share_source[:16],
        locale=locale,
        wording=wording(ask.campaign, locale),
        organization=organization(ask.campaign)[:200],
        name=ask.name[:100],
        email=ask.email,
        email_hmac=keyed_hash(ask.email, settings),
        phone_hmac=ask.phone_hmac,
        postal_code=ask.postal_code[:7],
        fed_num=ask.fed_num,
        submission_id=ask.submission_id,
        signature_id=ask.signature_id,
        call_request_id=ask.call_request_id,
    )
    session.add(record)
    session.flush()
    return record

"""A campaign's editable fields as people see them: labels, form input, messages, errors.

Domain code: no Flask. Labels are untranslated msgids (``N_``): forms show them as field
labels, and the publish check names what is missing with the same words. Dates are shown
and entered on Ottawa's wall clock.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from callmp.directory.office_hours import OfficePolicy
from callmp.i18n import N_
from callmp.models import Campaign

#: What a campaign's slug may be (its address, /c/<slug>).
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
SLUG_MIN, SLUG_MAX = 3, 80


def is_slug(text: str) -> bool:
    """Whether ``text`` can be a campaign's slug (anything else names no campaign)."""
    return SLUG_MIN <= len(text) <= SLUG_MAX and SLUG.fullmatch(text) is not None


#: Dates are entered and shown on Ottawa's wall clock (Parliament's), stored in UTC.
EDIT_TIME_ZONE = ZoneInfo("America/Toronto")
BOOLEANS = (
    "bridged_calls",
    "direct_calls",
    "emails",
    "email_confirm",
    "email_personal_line_required",
    "email_block_identical",
    "email_mailto",
    "petitions",
    "petition_confirm",
    "petition_show_signers",
)

#: Field (or requirement) -> label, in the order the edit form shows them.
LABELS: dict[str, str] = {
    "title_en": N_("Title (English)"),
    "title_fr": N_("Title (French)"),
    "slug": N_("Web address (slug)"),
    "summary_en": N_("Summary (English)"),
    "summary_fr": N_("Summary (French)"),
    "languages": N_("Languages"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "goal": N_("Goal (number of actions)"),
    "bridged_calls": N_("Bridged calls: we call the supporter and connect them"),
    "direct_calls": N_("Direct calls: the supporter dials the office themselves"),
    "emails": N_("Email letters"),
    "phone_number": N_("Twilio phone number (caller ID)"),
    "office_policy": N_("Which office to call first"),
    "email_from_address": N_("Letters are sent from"),
    "email_confirm": N_("Supporters confirm each letter from a link we email them"),
    "email_personal_line_required": N_("Supporters must add a personal line"),
    "email_block_identical": N_("Refuse letters identical to the template"),
    "email_mailto": N_("Supporters send letters from their own mail app (mailto link)"),
    "petitions": N_("Petition: supporters add their name"),
    "petition_title_en": N_("Petition title (English)"),
    "petition_title_fr": N_("Petition title (French)"),
    "petition_text_en": N_("Petition text (English)"),
    "petition_text_fr": N_("Petition text (French)"),
    "petition_goal": N_("Petition goal (number of signatures)"),
    "petition_ends_at": N_("Petition closes"),
    "petition_confirm": N_("Signers confirm their signature from a link we email them"),
    "petition_show_signers": N_(
        "Show recent signers' first names and cities (only those who agree)"
    ),
    "petition_delivery": N_("How the targets receive the petition"),
    "petition_delivery_every": N_("Deliver every this many new signatures"),
    "petition_delivery_at": N_("Deliver on"),
    "referral_codes": N_("Referral codes"),
    "organization_name": N_("Organization name"),
    "org_legal_name": N_("Organization's legal name"),
    "org_mailing_address": N_("Organization's mailing address"),
    "org_contact": N_("Organization's contact (email address or phone number)"),
    "privacy_notice_en": N_("Privacy notice, the organization's own words (English)"),
    "privacy_notice_fr": N_("Privacy notice, the organization's own words (French)"),
    "accent_color": N_("Accent colour"),
    "logo_image": N_("Logo"),
    "header_image": N_("Header image"),
    "share_image": N_("Share image"),
    "call_intro_en": N_("Call intro (English)"),
    "call_intro_fr": N_("Call intro (French)"),
    "talking_points_en": N_("Talking points (English)"),
    "talking_points_fr": N_("Talking points (French)"),
    "email_subject_en": N_("Email subject (English)"),
    "email_subject_fr": N_("Email subject (French)"),
    "email_body_en": N_("Email body (English)"),
    "email_body_fr": N_("Email body (French)"),
    "targets": N_("at least one target"),
    "channels": N_(
        "at least one way to take part (bridged calls, direct calls, email or a petition)"
    ),
}

#: Office policies as people read them.
POLICY_LABELS: dict[str, str] = {
    "hill": N_("The Parliament Hill office first, then the others"),
    "constituency": N_("The constituency (riding) office first, then the others"),
    "open_first": N_("Whichever office is open now first"),
}

#: Statuses as people read them.
STATUS_LABELS: dict[str, str] = {
    "draft": N_("draft"),
    "published": N_("published"),
    "archived": N_("archived"),
}

#: How a petition reaches its targets, as people read it.
DELIVERY_LABELS: dict[str, str] = {
    "hand": N_("By hand: a lead delivers it when ready"),
    "every": N_("Every so many new signatures"),
    "date": N_("On a date"),
}

#: Languages as people read them.
LANGUAGE_LABELS: dict[str, str] = {
    "en fr": N_("English and French"),
    "en": N_("English only"),
    "fr": N_("French only"),
}


@dataclass
class CampaignInput:
    """A campaign's editable fields as a form holds them (strings and ticks)."""

    slug: str = ""
    title_en: str = ""
    title_fr: str = ""
    summary_en: str = ""
    summary_fr: str = ""
    languages: str = "en fr"
    starts_at: str = ""
    ends_at: str = ""
    goal: str = ""
    bridged_calls: bool = True
    direct_calls: bool = True
    emails: bool = True
    phone_number: str = ""
    office_policy: str = OfficePolicy.hill.value
    email_from_address: str = ""
    email_confirm: bool = True
    email_personal_line_required: bool = False
    email_block_identical: bool = False
    email_mailto: bool = False
    petitions: bool = False
    petition_title_en: str = ""
    petition_title_fr: str = ""
    petition_text_en: str = ""
    petition_text_fr: str = ""
    petition_goal: str = ""
    petition_ends_at: str = ""
    petition_confirm: bool = True
    petition_show_signers: bool = False
    petition_delivery: str = "hand"
    petition_delivery_every: str = ""
    petition_delivery_at: str = ""
    referral_codes: str = ""
    organization_name: str = ""
    org_legal_name: str = ""
    org_mailing_address: str = ""
    org_contact: str = ""
    privacy_notice_en: str = ""
    privacy_notice_fr: str = ""
    accent_color: str = ""
    logo_image: str = ""
    header_image: str = ""
    share_image: str = ""
    call_intro_en: str = ""
    call_intro_fr: str = ""
    talking_points_en: str = ""
    talking_points_fr: str = ""
    email_subject_en: str = ""
    email_subject_fr: str = ""
    email_body_en: str = ""
    email_body_fr: str = ""


INPUT_FIELDS = tuple(f.name for f in fields(CampaignInput))
#: Fields entered as dates and times, and as whole numbers.
MOMENTS = ("starts_at", "ends_at", "petition_ends_at", "petition_delivery_at")
WHOLE_NUMBERS = ("goal", "petition_goal", "petition_delivery_every")


def wall_clock(moment: datetime | None) -> str:
    """A stored UTC time as Ottawa's wall clock, ``YYYY-MM-DD HH:MM`` ("" for none)."""
    if moment is None:
        return ""
    return moment.astimezone(EDIT_TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def form_values(campaign: Campaign | None) -> dict[str, Any]:
    """The campaign's fields as the edit form shows them (a new campaign's defaults for None)."""
    if campaign is None:
        return asdict(CampaignInput())
    values: dict[str, Any] = {}
    for name in INPUT_FIELDS:
        if name in MOMENTS:
            values[name] = wall_clock(getattr(campaign, name)).replace(" ", "T")
        elif name in WHOLE_NUMBERS:
            number = getattr(campaign, name)
            values[name] = "" if number is None else str(number)
        elif name == "referral_codes":
            values[name] = "\n".join(
                f"{ref.code} {ref.label}".strip() for ref in campaign.referral_codes
            )
        else:
            values[name] = getattr(campaign, name)
    return values


# Messages for refused input.
UNKNOWN_PLACEHOLDER = N_("Unknown placeholder %(names)s. You can use: %(allowed)s.")
UNKNOWN_PLACEHOLDERS = N_("Unknown placeholders %(names)s. You can use: %(allowed)s.")
TOO_LONG = N_("Please keep this under %(n)s characters (it has %(length)s).")
BAD_SLUG = N_(
    "Use 3 to 80 lowercase letters, digits and hyphens, starting and ending with a letter "
    "or digit, like status-for-all."
)
SLUG_TAKEN = N_("The address %(slug)s is already taken by another campaign. Please pick another.")
BAD_LANGUAGES = N_("Please choose the campaign's languages.")
TITLE_NEEDED = N_("Please give the campaign a title.")
BAD_DATE = N_("Please enter a date and time like 2026-03-01 09:00, or leave it empty.")
ENDS_BEFORE_START = N_("The end must come after the start.")
BAD_GOAL = N_("Please enter a whole number above zero, like 5000, or leave it empty.")
BAD_DELIVERY = N_("Please choose how the targets receive the petition.")
DELIVERY_EVERY_NEEDED = N_("Please say after how many new signatures, like 500.")
DELIVERY_AT_NEEDED = N_("Please give the date and time of the delivery.")
BAD_PHONE = N_(
    "Please enter a Canadian or US number in international form, like +16135550123, or "
    "leave it empty."
)
BAD_POLICY = N_("Please choose which office to call first.")
BAD_EMAIL = N_("Please enter a valid email address, like letters@example.org, or leave it empty.")
BAD_CONTACT = N_(
    "Please enter an email address, like privacy@example.org, or a Canadian or US phone "
    "number, like +16135550123."
)
BAD_CODE = N_(
    "Line %(line)s: %(code)s is not a valid code. Use up to 64 letters, digits, dots, "
    "hyphens and underscores, then a space and the label."
)
DUPLICATE_CODE = N_("Line %(line)s: the code %(code)s is already listed above.")
LONG_LABEL = N_("Line %(line)s: please keep the label under %(n)s characters.")
STILL_PUBLISHED = N_(
    "This campaign is published, so it must stay complete. Missing: %(missing)s. "
    "Unpublish it first to save it incomplete."
)


@dataclass(frozen=True)
class FieldError:
    """One refused field: ``message`` an untranslated msgid filled with ``params``.

    ``missing`` lists keys of ``LABELS`` that the message names (translated one by one).
    An empty ``name`` means the error is about the whole campaign.
    """

    name: str
    message: str
    params: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


class CampaignInvalid(ValueError):
    """A campaign edit we refuse, with every refused field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(error.name or "campaign" for error in errors))
        self.errors = errors

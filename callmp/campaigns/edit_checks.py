"""The pieces the campaign editor checks input with, and the petition's own checks.

Domain code: no Flask. ``Checker`` collects checked column values and refusals for one
``CampaignInput``; the helpers turn typed text into what a column holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from callmp import numbers
from callmp.campaigns import fields
from callmp.campaigns.fields import EDIT_TIME_ZONE, CampaignInput, FieldError
from callmp.directory.email_addresses import AddressError, clean_address
from callmp.templating import one_line, strip_control

TITLE_MAX = 200
TEXT_MAX = 10000
GOAL_MAX = 100_000_000
_DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_NUMBER_SEPARATORS = re.compile(r"[\s,_\u00a0\u202f]")


@dataclass
class Cleaned:
    """Checked values: the columns to set and the referral codes (code, label) in order."""

    columns: dict[str, Any] = field(default_factory=dict)
    referral_codes: list[tuple[str, str]] = field(default_factory=list)


def text(raw: str) -> str:
    """Multi-line text as typed, with control characters dropped and newlines made ``\\n``."""
    value = strip_control((raw or "").replace("\r\n", "\n").replace("\r", "\n"))
    return value if value.strip() else ""


def parse_moment(raw: str) -> datetime:
    """Ottawa wall-clock text as an aware UTC datetime; ValueError if it isn't one."""
    for pattern in _DATE_FORMATS:
        try:
            naive = datetime.strptime(raw, pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=EDIT_TIME_ZONE).astimezone(UTC)
    raise ValueError(raw)


def e164(raw: str) -> str:
    """A Canadian or US number as E.164; ValueError otherwise."""
    try:
        number = phonenumbers.parse(raw, "CA")
    except NumberParseException:
        raise ValueError(raw) from None
    region = phonenumbers.region_code_for_number(number)
    if not phonenumbers.is_valid_number(number) or region not in ("CA", "US"):
        raise ValueError(raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


class Checker:
    """Collects cleaned values and errors for one input."""

    def __init__(self, data: CampaignInput) -> None:
        self.data = data
        self.cleaned = Cleaned()
        self.errors: list[FieldError] = []

    def refuse(self, name: str, message: str, **params: str) -> None:
        """Note an error for field ``name``."""
        self.errors.append(FieldError(name, message, params))

    def set(self, name: str, value: Any) -> None:
        """Keep a checked column value."""
        self.cleaned.columns[name] = value

    def bounded(self, name: str, value: str, maximum: int) -> str:
        """``value``, noting an error when it is longer than ``maximum``."""
        if len(value) > maximum:
            self.refuse(name, fields.TOO_LONG, n=str(maximum), length=str(len(value)))
        return value

    def moment(self, name: str) -> datetime | None:
        """The date field ``name`` (None when empty, or refused)."""
        raw = one_line(getattr(self.data, name))
        try:
            value = parse_moment(raw) if raw else None
        except ValueError:
            self.refuse(name, fields.BAD_DATE)
            return None
        self.set(name, value)
        return value

    def whole(self, name: str) -> int | None:
        """The whole-number field ``name`` above zero, separators allowed (None: empty)."""
        raw = _NUMBER_SEPARATORS.sub("", one_line(getattr(self.data, name)))
        if not raw:
            self.set(name, None)
        elif 0 < (number := numbers.whole_number(raw, 11) or 0) <= GOAL_MAX:
            self.set(name, number)
            return number
        else:
            self.refuse(name, fields.BAD_GOAL)
        return None


def check_petition(check: Checker) -> None:
    """The petition's words, goal, closing date and delivery schedule.

    Texts are checked whether or not the petition is on, so a lead can prepare it before
    switching it on; the schedule's number or date is needed only for that schedule.
    """
    data = check.data
    for lang in ("en", "fr"):
        title, body = f"petition_title_{lang}", f"petition_text_{lang}"
        check.set(title, check.bounded(title, one_line(getattr(data, title)), TITLE_MAX))
        check.set(body, check.bounded(body, text(getattr(data, body)), TEXT_MAX))
    check.whole("petition_goal")
    check.moment("petition_ends_at")
    # Left out (a form without the petition's fields) is the default: by hand.
    delivery = one_line(data.petition_delivery) or "hand"
    check.set("petition_delivery", delivery if delivery in fields.DELIVERY_LABELS else "hand")
    if delivery not in fields.DELIVERY_LABELS:
        check.refuse("petition_delivery", fields.BAD_DELIVERY)
    every = check.whole("petition_delivery_every")
    at = check.moment("petition_delivery_at")
    refused = {error.name for error in check.errors}
    if delivery == "every" and every is None and "petition_delivery_every" not in refused:
        check.refuse("petition_delivery_every", fields.DELIVERY_EVERY_NEEDED)
    if delivery == "date" and at is None and "petition_delivery_at" not in refused:
        check.refuse("petition_delivery_at", fields.DELIVERY_AT_NEEDED)


ADDRESS_MAX = 500
CONTACT_MAX = 254


def contact(raw: str) -> str:
    """The organization's contact: a checked email address, or a Canadian or US phone
    number as E.164; ValueError otherwise."""
    value = one_line(raw)
    if "@" in value:
        try:
            return clean_address(value)
        except AddressError:
            raise ValueError(value) from None
    return e164(value)


def check_organization(check: Checker) -> None:
    """Who asks supporters' consent and answers privacy requests: the organization's legal
    name, mailing address and contact, and its own words for the privacy notice."""
    data = check.data
    name = one_line(data.org_legal_name)
    check.set("org_legal_name", check.bounded("org_legal_name", name, TITLE_MAX))
    address = text(data.org_mailing_address).strip()
    check.set("org_mailing_address", check.bounded("org_mailing_address", address, ADDRESS_MAX))
    raw = one_line(data.org_contact)
    try:
        value = contact(raw) if raw else ""
    except ValueError:
        check.refuse("org_contact", fields.BAD_CONTACT)
    else:
        check.set("org_contact", check.bounded("org_contact", value, CONTACT_MAX))
    for lang in ("en", "fr"):
        name = f"privacy_notice_{lang}"
        check.set(name, check.bounded(name, text(getattr(data, name)), TEXT_MAX))

"""Phone numbers: a supporter's own number, MP office numbers, and how we show and store them.

Pure functions on top of ``phonenumbers``: no database, no Flask. Error messages are
English msgids marked with ``N_``; the views translate them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

from callmp.i18n import N_, InputError

#: Where a number written without a country code is assumed to be.
DEFAULT_REGION = "CA"
#: Regions whose numbers we call back (the rest of the +1 zone is the Caribbean etc.).
CALLABLE_REGIONS = frozenset({"CA", "US"})
#: ``sendDigits`` pause before an extension: each ``w`` waits half a second.
EXTENSION_PAUSE = "wwww"

# French "poste" (extension): without this, phonenumbers reads the letters as a vanity
# number (P-O-S-T-E -> 76783) and appends them to the digits.
_POSTE = re.compile(r"\bposte\b\.?", re.IGNORECASE)


class PhoneError(InputError):
    """Input that is not a phone number we can use; ``message`` is an untranslated msgid."""


#: Number types nobody answers as "their own phone", with the reason and message for each.
_REFUSED_TYPES: dict[int, tuple[str, str]] = {
    PhoneNumberType.TOLL_FREE: (
        "toll_free",
        N_(
            "We can't call toll-free numbers (1-800, 1-888 and the like). "
            "Please enter the number of the phone you will answer."
        ),
    ),
    PhoneNumberType.PREMIUM_RATE: (
        "premium_rate",
        N_(
            "We can't call premium-rate numbers (1-900). "
            "Please enter the number of the phone you will answer."
        ),
    ),
    PhoneNumberType.SHARED_COST: (
        "shared_cost",
        N_(
            "We can't call shared-cost numbers. "
            "Please enter the number of the phone you will answer."
        ),
    ),
    # In the +1 zone, phonenumbers' metadata gives this type only to area code 600,
    # Canada's non-geographic services (satellite phones, data and private networks).
    PhoneNumberType.VOIP: (
        "non_geographic",
        N_(
            "We can't call non-geographic numbers (area code 600). "
            "Please enter the number of the phone you will answer."
        ),
    ),
}
# What phonenumbers' metadata does not know (it calls these ordinary fixed lines, checked
# with phonenumbers 9.0): numbers that cost the caller or reach a service, not a person.
# N11 area codes (211-911) are already invalid for it.
#: Exchanges of pay-per-call information services, in every area code.
_PAY_PER_CALL_EXCHANGE = "976"
#: Directory assistance, in every area code.
_DIRECTORY_ASSISTANCE_LINE = "5551212"
#: N11 codes (211 community services ... 911 emergencies) used as an exchange.
_N11 = re.compile(r"^[2-9]11$")
_NUISANCE_MESSAGES: dict[str, str] = {
    "pay_per_call": N_(
        "We can't call pay-per-call numbers (the 976 exchange). "
        "Please enter the number of the phone you will answer."
    ),
    "directory_assistance": N_(
        "We can't call directory assistance (555-1212). "
        "Please enter the number of the phone you will answer."
    ),
    "service_exchange": N_(
        "We can't call service codes such as 211, 411 or 911, even after an area code. "
        "Please enter the number of the phone you will answer."
    ),
}
_SERVICE_TYPES = frozenset(
    {
        PhoneNumberType.UAN,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.PAGER,
        PhoneNumberType.VOICEMAIL,
    }
)
_SERVICE_MESSAGE = N_(
    "This is a service number (personal-number, pager or voicemail service), which we can't "
    "call. Please enter the number of the phone you will answer."
)


def _parse(raw: str | None, empty_message: str) -> PhoneNumber:
    """Parse ``raw`` as written in Canada, raising PhoneError unless it is a valid +1 number."""
    text = _POSTE.sub(" ext. ", unicodedata.normalize("NFKC", raw or "")).strip()
    if not text:
        raise PhoneError("empty", empty_message)
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.NOT_A_NUMBER:
            raise PhoneError(
                "not_a_number",
                N_(
                    "This doesn't look like a phone number. Please enter a Canadian or US "
                    "phone number, like 613-555-0123."
                ),
            ) from None
        raise _invalid() from None
    if number.country_code != 1:
        raise _not_ca_us()
    if not phonenumbers.is_valid_number(number):
        raise _invalid()
    return number


def _invalid() -> PhoneError:
    return PhoneError(
        "invalid",
        N_(
            "This phone number is incomplete or does not exist. Please enter the area code "
            "and the 7-digit number, like 613-555-0123."
        ),
    )


def _not_ca_us() -> PhoneError:
    return PhoneError(
        "not_ca_us",
        N_(
            "We can only call phone numbers in Canada and the US. Please enter a Canadian or "
            "US phone number, like 613-555-0123."
        ),
    )


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_fictional(e164: str) -> bool:
    """True for North American 555-0100 to 555-0199 numbers, reserved for fiction."""
    return len(e164) == 12 and e164.startswith("+1") and e164[5:10] == "55501"


def _nuisance(number: PhoneNumber) -> str | None:
    """Which of the +1 numbers that only cost or annoy ``number`` is, if any."""
    national = str(number.national_number)
    if number.country_code != 1 or len(national) != 10:
        return None
    exchange = national[3:6]
    if exchange == _PAY_PER_CALL_EXCHANGE:
        return "pay_per_call"
    if national[3:] == _DIRECTORY_ASSISTANCE_LINE:
        return "directory_assistance"
    if _N11.match(exchange):
        return "service_exchange"
    return None


def parse_supporter_phone(raw: str | None, *, allow_fictional: bool = False) -> str:
    """Return the supporter's own phone number as E.164 or raise PhoneError saying what is wrong."""
    number = _parse(raw, N_("Please enter your phone number, like 613-555-0123."))
    number_type = phonenumbers.number_type(number)
    if number_type in _REFUSED_TYPES:
        reason, message = _REFUSED_TYPES[number_type]
        raise PhoneError(reason, message)
    if number_type in _SERVICE_TYPES:
        raise PhoneError("service_number", _SERVICE_MESSAGE)
    if phonenumbers.region_code_for_number(number) not in CALLABLE_REGIONS:
        raise _not_ca_us()
    nuisance = _nuisance(number)
    if nuisance is not None:
        raise PhoneError(nuisance, _NUISANCE_MESSAGES[nuisance])
    if number.extension:
        raise PhoneError(
            "extension",
            N_(
                "We can't dial an extension when we call you. Please enter a number that "
                "rings your phone directly, without the extension."
            ),
        )
    e164 = _e164(number)
    if not allow_fictional and is_fictional(e164):
        raise PhoneError(
            "fictional",
            N_(
                "Numbers 555-0100 to 555-0199 are examples and never ring anyone. "
                "Please enter your own phone number."
            ),
        )
    return e164


def parse_office_phone(raw: str) -> tuple[str, str | None]:
    """Return an office number as published as (E.164, extension or None), or raise PhoneError."""
    number = _parse(raw, N_("Please enter the office's phone number, like 613-992-0946."))
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.PREMIUM_RATE:
        reason, message = _REFUSED_TYPES[number_type]
        raise PhoneError(reason, message)
    region = phonenumbers.region_code_for_number(number)
    if region not in CALLABLE_REGIONS:
        raise _not_ca_us()
    return _e164(number), number.extension or None


def dial_digits(extension: str | None) -> str | None:
    """The Twilio ``sendDigits`` value that reaches ``extension`` after a pause, or None."""
    if not extension:
        return None
    if not (extension.isascii() and extension.isdigit()):
        raise ValueError("an extension has only the digits 0-9")
    return EXTENSION_PAUSE + extension


def phone_hmac(e164: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of ``e164`` under ``key``: a keyed, non-reversible id for a number."""
    if not key:
        # Without a secret key the hash of a phone number is reversed by brute force.
        raise ValueError("phone_hmac needs a non-empty secret key")
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()


def _from_e164(e164: str) -> PhoneNumber:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        raise _invalid() from None
    if (
        not e164.startswith("+")
        or _e164(number) != e164
        or not phonenumbers.is_possible_number(number)
    ):
        raise _invalid()
    return number


def mask(e164: str) -> str:
    """What a supporter may see to confirm their number: only its last four digits."""
    number = _from_e164(e164)
    national = str(number.national_number)
    if number.country_code == 1:
        return f"+1 ···-···-{national[-4:]}"
    return f"+{number.country_code} ···{national[-4:]}"


def spoken(e164: str) -> str:
    """A number as people write and read it, like ``613-992-0946`` or ``1-800-665-8711``."""
    number = _from_e164(e164)
    if number.country_code != 1:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    digits = str(number.national_number)
    local = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    # Toll-free numbers are always dialled and published with the leading 1.
    if phonenumbers.number_type(number) == PhoneNumberType.TOLL_FREE:
        return f"1-{local}"
    return local

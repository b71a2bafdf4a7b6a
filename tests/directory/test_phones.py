"""Phone numbers: the spellings supporters type, the numbers we refuse, and how we show them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from callmp.directory import phones
from callmp.directory.phones import PhoneError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("613-992-0946", "+16139920946", id="dashes"),
        pytest.param("(613) 992-0946", "+16139920946", id="parentheses"),
        pytest.param("(613)9920946", "+16139920946", id="parentheses-no-space"),
        pytest.param("613.992.0946", "+16139920946", id="dots"),
        pytest.param("613 992 0946", "+16139920946", id="spaces"),
        pytest.param("6139920946", "+16139920946", id="digits-only"),
        pytest.param("1 613 992 0946", "+16139920946", id="leading-1"),
        pytest.param("16139920946", "+16139920946", id="leading-1-no-spaces"),
        pytest.param("1-613-992-0946", "+16139920946", id="leading-1-dashes"),
        pytest.param("+1 613 992 0946", "+16139920946", id="plus-1"),
        pytest.param("+1 (613) 992-0946", "+16139920946", id="plus-1-parentheses"),
        pytest.param("+16139920946", "+16139920946", id="e164"),
        pytest.param("  613-992-0946\n", "+16139920946", id="surrounding-whitespace"),
        pytest.param("613\u00a0992\u00a00946", "+16139920946", id="non-breaking-spaces"),
        pytest.param("613\u2013992\u20130946", "+16139920946", id="en-dashes"),
        pytest.param("６１３－９９２－０９４６", "+16139920946", id="full-width"),
        pytest.param("＋１ ６１３ ９９２ ０９４６", "+16139920946", id="full-width-plus"),
        pytest.param("709-729-1234", "+17097291234", id="newfoundland"),
        pytest.param("867-979-1234", "+18679791234", id="nunavut"),
        pytest.param("514 555 1234", "+15145551234", id="555-outside-01xx-is-real"),
        pytest.param("212-736-5000", "+12127365000", id="us-number"),
        pytest.param("+1 212 736 5000", "+12127365000", id="us-number-plus-1"),
    ],
)
def test_parse_supporter_phone_accepts_common_spellings(raw: str, expected: str) -> None:
    assert phones.parse_supporter_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "empty", id="spaces-only"),
        pytest.param("\t\u00a0\n", "empty", id="whitespace-only"),
        pytest.param(None, "empty", id="none"),
        pytest.param("abc", "not_a_number", id="letters"),
        pytest.param("six one three", "not_a_number", id="words"),
        pytest.param("+", "not_a_number", id="plus-only"),
        pytest.param("12", "invalid", id="two-digits"),
        pytest.param("911", "invalid", id="emergency-short-code"),
        pytest.param("992-0946", "invalid", id="no-area-code"),
        pytest.param("613 992 094", "invalid", id="nine-digits"),
        pytest.param("613 992 09466", "invalid", id="eleven-digits"),
        pytest.param("0613-992-0946", "invalid", id="leading-zero"),
        pytest.param("1-888-123-4567", "invalid", id="exchange-starting-with-1"),
        pytest.param("456-555-1234", "invalid", id="unassigned-area-code"),
        pytest.param("+999 1234", "invalid", id="unknown-country-code"),
        pytest.param("+44 20 7946 0018", "not_ca_us", id="uk-landline"),
        pytest.param("+44 7700 900123", "not_ca_us", id="uk-invalid-still-foreign"),
        pytest.param("011 44 20 7946 0018", "not_ca_us", id="uk-dialled-with-011"),
        pytest.param("+33 1 42 68 53 00", "not_ca_us", id="france"),
        pytest.param("+1 876 927 1234", "not_ca_us", id="jamaica-shares-plus-1"),
        pytest.param("+1 264 497 1234", "not_ca_us", id="anguilla-shares-plus-1"),
        pytest.param("1-800-665-8711", "toll_free", id="toll-free-800"),
        pytest.param("1-866-599-4999", "toll_free", id="toll-free-866"),
        pytest.param("1 877 555 1234", "toll_free", id="toll-free-877"),
        pytest.param("1-833-555-1234", "toll_free", id="toll-free-833"),
        pytest.param("1-800-O-CANADA", "toll_free", id="toll-free-vanity"),
        pytest.param("1-900-654-3210", "premium_rate", id="premium-900"),
        pytest.param("1-500-555-1234", "service_number", id="personal-number-500"),
        pytest.param("1-622-555-1234", "service_number", id="personal-number-622-ca"),
        pytest.param("+1 600 234 5678", "non_geographic", id="non-geographic-600"),
        pytest.param("1-600-555-1234", "non_geographic", id="non-geographic-600-555"),
        pytest.param("416-976-1234", "pay_per_call", id="pay-per-call-976-toronto"),
        pytest.param("+1 212 976 5000", "pay_per_call", id="pay-per-call-976-us"),
        pytest.param("613-555-1212", "directory_assistance", id="directory-assistance"),
        pytest.param("1 (212) 555-1212", "directory_assistance", id="directory-assistance-us"),
        pytest.param("416-411-1234", "service_exchange", id="n11-exchange-411"),
        pytest.param("613-911-0000", "service_exchange", id="n11-exchange-911"),
        pytest.param("514-211-2345", "service_exchange", id="n11-exchange-211"),
        pytest.param("604-811-2345", "service_exchange", id="n11-exchange-811"),
        pytest.param("211-555-1234", "invalid", id="n11-area-code-211"),
        pytest.param("911-555-1234", "invalid", id="n11-area-code-911"),
        pytest.param("411", "invalid", id="n11-alone"),
        pytest.param("1-811", "invalid", id="n11-alone-with-1"),
        pytest.param("613-992-0946 ext. 5", "extension", id="extension-ext"),
        pytest.param("613-992-0946 x5", "extension", id="extension-x"),
        pytest.param("613-992-0946 #123", "extension", id="extension-hash"),
        pytest.param("613-992-0946 poste 5", "extension", id="extension-poste"),
        pytest.param("613-992-0946, 5", "extension", id="extension-after-comma"),
        pytest.param("613-555-0123", "fictional", id="fictional"),
        pytest.param("+1 613 555 0100", "fictional", id="fictional-first"),
        pytest.param("1 (212) 555-0199", "fictional", id="fictional-last-us"),
    ],
)
def test_parse_supporter_phone_refuses_with_reason(raw: str | None, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        phones.parse_supporter_phone(raw)
    assert caught.value.reason == reason
    assert caught.value.message
    assert str(caught.value) == caught.value.message


def test_fictional_numbers_accepted_when_allowed() -> None:
    assert phones.parse_supporter_phone("613-555-0123", allow_fictional=True) == "+16135550123"
    assert phones.parse_supporter_phone("６１３ ５５５ ０１９９", allow_fictional=True) == (
        "+16135550199"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("1-800-665-8711", "toll_free", id="toll-free"),
        pytest.param("+44 20 7946 0018", "not_ca_us", id="uk"),
        pytest.param("613-555-0123 ext. 5", "extension", id="extension"),
        pytest.param("613-555-1212", "directory_assistance", id="directory-assistance"),
        pytest.param("416-976-0142", "pay_per_call", id="pay-per-call"),
        pytest.param("+1 600 555 0142", "non_geographic", id="non-geographic"),
    ],
)
def test_allow_fictional_does_not_lift_other_checks(raw: str, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        phones.parse_supporter_phone(raw, allow_fictional=True)
    assert caught.value.reason == reason


def test_refusals_tell_the_supporter_what_to_do() -> None:
    messages = {}
    for raw in ("", "abc", "12", "+44 20 7946 0018", "1-800-665-8711", "613-992-0946 x5"):
        with pytest.raises(PhoneError) as caught:
            phones.parse_supporter_phone(raw)
        messages[caught.value.reason] = caught.value.message
    assert len(messages) == 6
    for message in messages.values():
        assert "Please enter" in message
        assert "613-992-0946" not in message  # examples use a fictional number


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        pytest.param("+1 600 234 5678", ("non-geographic", "600"), id="non-geographic"),
        pytest.param("416-976-1234", ("pay-per-call", "976"), id="pay-per-call"),
        pytest.param("613-555-1212", ("directory assistance", "555-1212"), id="555-1212"),
        pytest.param("416-411-1234", ("service", "411", "911"), id="n11-exchange"),
    ],
)
def test_cost_or_nuisance_numbers_are_refused_with_a_clear_message(
    raw: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(PhoneError) as caught:
        phones.parse_supporter_phone(raw, allow_fictional=True)
    message = caught.value.message
    assert all(word in message for word in words), message
    assert "Please enter the number of the phone you will answer." in message


@pytest.mark.parametrize(
    "raw", ["613-555-0100", "613-555-0199", "416-555-0142", "212-555-0150"], ids=str
)
def test_fictional_numbers_next_to_the_refused_ones_stay_allowed(raw: str) -> None:
    assert phones.is_fictional(phones.parse_supporter_phone(raw, allow_fictional=True))


@pytest.mark.parametrize(
    "raw", ["416-977-1234", "613-555-1213", "613-412-1234", "416-912-1234"], ids=str
)
def test_numbers_close_to_the_refused_ones_are_accepted(raw: str) -> None:
    assert phones.parse_supporter_phone(raw).startswith("+1")


def test_phone_error_is_a_value_error_that_interpolates_params() -> None:
    error = PhoneError("x", "Call %(who)s.", {"who": "me"})
    assert isinstance(error, ValueError)
    assert str(error) == "Call me."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("613-992-0946", ("+16139920946", None), id="hill-office"),
        pytest.param("(613) 992-0946", ("+16139920946", None), id="parentheses"),
        pytest.param("1-800-665-8711", ("+18006658711", None), id="toll-free-is-fine"),
        pytest.param("1-866-599-4999", ("+18665994999", None), id="parliament-info-line"),
        pytest.param("613-555-0100 ext. 5", ("+16135550100", "5"), id="ext-dot"),
        pytest.param("613-555-0100 ext 123", ("+16135550100", "123"), id="ext-no-dot"),
        pytest.param("613-555-0100 x5", ("+16135550100", "5"), id="x"),
        pytest.param("613-555-0100 extension 42", ("+16135550100", "42"), id="extension"),
        pytest.param("613 555-0100 poste 5", ("+16135550100", "5"), id="poste"),
        pytest.param("613 555-0100 Poste. 7", ("+16135550100", "7"), id="poste-capital-dot"),
        pytest.param("+1 613 555 0100;ext=5", ("+16135550100", "5"), id="rfc3966-ext"),
        pytest.param("tel:+1-613-992-0946", ("+16139920946", None), id="tel-uri"),
        pytest.param("212-736-5000", ("+12127365000", None), id="us-office"),
    ],
)
def test_parse_office_phone_accepts_published_numbers(
    raw: str, expected: tuple[str, str | None]
) -> None:
    assert phones.parse_office_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("n/a", "not_a_number", id="not-available"),
        pytest.param("613-992-094", "invalid", id="digit-missing"),
        pytest.param("613-992-0946 *5", "invalid", id="star-is-not-an-extension"),
        pytest.param("+44 20 7946 0018", "not_ca_us", id="uk"),
        pytest.param("+1 876 927 1234", "not_ca_us", id="jamaica"),
        pytest.param("1-900-654-3210", "premium_rate", id="premium-rate"),
    ],
)
def test_parse_office_phone_refuses_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        phones.parse_office_phone(raw)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param("5", "wwww5", id="one-digit"),
        pytest.param("1234", "wwww1234", id="four-digits"),
    ],
)
def test_dial_digits_pauses_then_dials_the_extension(
    extension: str | None, expected: str | None
) -> None:
    assert phones.dial_digits(extension) == expected


@pytest.mark.parametrize("extension", ["5#", "12a", "٥"])
def test_dial_digits_refuses_anything_but_ascii_digits(extension: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        phones.dial_digits(extension)


def test_office_extension_round_trips_to_send_digits() -> None:
    _, extension = phones.parse_office_phone("613-555-0100 ext. 5")
    assert phones.dial_digits(extension) == "wwww5"


def test_phone_hmac_is_keyed_sha256() -> None:
    number = "+16135550123"
    digest = phones.phone_hmac(number, b"key-one")
    assert digest == hmac.new(b"key-one", number.encode(), hashlib.sha256).hexdigest()
    assert len(digest) == 64
    assert int(digest, 16) >= 0  # hex


def test_phone_hmac_differs_with_the_key_and_the_number() -> None:
    number = "+16135550123"
    assert phones.phone_hmac(number, b"key-one") != phones.phone_hmac(number, b"key-two")
    assert phones.phone_hmac(number, b"key-one") != phones.phone_hmac("+16135550124", b"key-one")
    assert phones.phone_hmac(number, b"key-one") == phones.phone_hmac(number, b"key-one")


def test_phone_hmac_is_not_a_plain_hash_of_the_number() -> None:
    number = "+16135550123"
    digest = phones.phone_hmac(number, b"key-one")
    assert digest != hashlib.sha256(number.encode()).hexdigest()
    assert digest != hashlib.sha256(b"6135550123").hexdigest()
    assert digest != hashlib.sha256(b"key-one" + number.encode()).hexdigest()


def test_phone_hmac_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="key"):
        phones.phone_hmac("+16135550123", b"")


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        pytest.param("+16135550123", "+1 ···-···-0123", id="canada"),
        pytest.param("+12127365000", "+1 ···-···-5000", id="us"),
        pytest.param("+442079460018", "+44 ···0018", id="uk"),
    ],
)
def test_mask_shows_only_the_last_four_digits(e164: str, expected: str) -> None:
    masked = phones.mask(e164)
    assert masked == expected
    hidden = e164[2:-4] if e164.startswith("+1") else e164[3:-4]
    assert hidden not in masked


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        pytest.param("+16139920946", "613-992-0946", id="hill"),
        pytest.param("+17097291234", "709-729-1234", id="newfoundland"),
        pytest.param("+18006658711", "1-800-665-8711", id="toll-free-keeps-the-1"),
        pytest.param("+18665994999", "1-866-599-4999", id="parliament-info-line"),
        pytest.param("+442079460018", "+44 20 7946 0018", id="uk-international"),
    ],
)
def test_spoken_formats_for_reading_aloud(e164: str, expected: str) -> None:
    assert phones.spoken(e164) == expected


@pytest.mark.parametrize(
    "bad", ["", "6139920946", "613-992-0946", "+1 613 992 0946", "+1613992094", "nope"]
)
def test_mask_and_spoken_refuse_what_is_not_e164(bad: str) -> None:
    with pytest.raises(PhoneError):
        phones.mask(bad)
    with pytest.raises(PhoneError):
        phones.spoken(bad)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+16135550100", True),
        ("+16135550199", True),
        ("+16135550200", False),
        ("+16135551234", False),
        ("+16135550123", True),
        ("+442079460100", False),
    ],
)
def test_is_fictional(e164: str, expected: bool) -> None:
    assert phones.is_fictional(e164) is expected

"""Email addresses from forms: checked offline, ASCII for mail headers."""

from __future__ import annotations

import pytest

from callmp.directory.email_addresses import AddressError, clean_address


def test_an_accented_domain_comes_back_in_its_ascii_form() -> None:
    ascii_domain = "québec.example".encode("idna").decode()
    assert ascii_domain.startswith("xn--")
    assert clean_address("Jo@Québec.example") == f"Jo@{ascii_domain}"


@pytest.mark.parametrize(
    "text",
    ["", "no-at-sign", "a@b", "josé@example.org", "a@example.org\r\nBcc: x@example.org"],
)
def test_what_we_cannot_write_to_is_refused(text: str) -> None:
    with pytest.raises(AddressError):
        clean_address(text)

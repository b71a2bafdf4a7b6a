"""Email addresses typed into forms, checked once, the same way everywhere. Domain code.

Checked for form only: offline, so no DNS lookup. No SMTPUTF8, since not every MP
office's mail server takes such addresses. The address comes back in its ASCII form (an
accented domain in IDNA, the same mailbox), because mail headers must be ASCII.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class AddressError(ValueError):
    """Not an email address we can write to."""


def clean_address(text: str) -> str:
    """``text`` as a checked address in ASCII form; raises AddressError."""
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise AddressError(str(error)) from None
    return str(checked.ascii_email or checked.normalized)

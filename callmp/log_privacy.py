"""Keep supporters' phone numbers, email addresses and postal codes out of every log line.

Code logs ids, never personal data; this is the net under it, for what other libraries
log (a database error quotes its SQL parameters, a traceback quotes its arguments).
``install`` scrubs each record when it is made, so every handler sees the scrubbed
record, including handlers added later (gunicorn's, pytest's), and also puts
``PrivacyFilter`` on the root logger's handlers for records made elsewhere. No Flask here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

#: E.164 (+ and 8 to 15 digits) and North American numbers with or without +1, spaces,
#: dots, dashes or brackets; area code and exchange start with 2-9, as in the NANP.
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+[1-9]\d{7,14}"
    r"|(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?[2-9]\d{2}[\s.-]?\d{4}"
    r")(?!\w)"
)
#: An address; a local part of digits and dots only is a Message-ID (``make_msgid``),
#: which the mail logs name messages by (a number in such a part is caught as a phone).
_EMAIL = re.compile(
    r"(?<![\w.!#$%&*+/=?^`{|}~-])(?![\d.]+@)[\w.!#$%&*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"
)
#: A Canadian postal code: letters never used (D F I O Q U; W and Z not first) left out.
_POSTAL_CODE = re.compile(
    r"(?<!\w)[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][\s-]?\d[ABCEGHJ-NPRSTV-Z]\d(?!\w)",
    re.IGNORECASE,
)

#: What every match needs: a digit (phones, postal codes; ``\d`` as the patterns read it,
#: any script's digits) or an ``@`` (addresses). Most log text has neither.
_MAYBE_PERSONAL = re.compile(r"[\d@]")

#: A run of ASCII letters and digits this long holds no match: each pattern must start and
#: end at a word boundary (so inside such a run it can only be the whole run), and a whole
#: run is a match only at a phone's 10 or 11 digits or a postal code's 6 characters; an
#: address needs its ``@``. Request ids and other hex tokens are such runs.
TOKEN_LENGTH = 12

_MARK = "_callmp_scrubbed"

#: Short texts the patterns found nothing in, so that a text logged again (an access
#: line's path and message, the same on every request to a page) is not searched again.
#: Only texts with nothing to replace are kept: nothing personal is held here.
_CLEAN: dict[str, None] = {}
#: How many texts ``_CLEAN`` holds before it starts again, and how long each may be.
CLEAN_TEXTS = 4096
CLEAN_LENGTH = 256


def scrub(text: str) -> str:
    """``text`` with phone numbers, email addresses and postal codes replaced."""
    if _MAYBE_PERSONAL.search(text) is None:
        return text
    if len(text) >= TOKEN_LENGTH and text.isascii() and text.isalnum():
        return text
    if text in _CLEAN:
        return text
    scrubbed = _scrub_all(text)
    if scrubbed == text and len(text) <= CLEAN_LENGTH:
        if len(_CLEAN) >= CLEAN_TEXTS:
            _CLEAN.clear()
        _CLEAN[text] = None
    return scrubbed


def _scrub_all(text: str) -> str:
    """``scrub`` without its shortcuts: the three patterns in turn."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _POSTAL_CODE.sub("[postal code]", text)


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Scrub ``record`` in place: message and arguments, traceback, stack; returns it."""
    if getattr(record, _MARK, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep its parts, scrubbed
        message = f"{record.msg!s} {record.args!r}"
    record.msg = scrub(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        if not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        # The exception object itself still holds the values: formatters and handlers
        # that format ``exc_info`` again would print them, so only the scrubbed text stays.
        record.exc_info = None
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    setattr(record, _MARK, True)
    return record


class PrivacyFilter(logging.Filter):
    """A logging filter that scrubs each record and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record``; never drop it."""
        scrub_record(record)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Scrub every record from now on: at creation, and on ``logger``'s handlers (root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PrivacyFilter) for f in handler.filters):
            handler.addFilter(PrivacyFilter())
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MARK, False):
        return
    made: Callable[..., logging.LogRecord] = factory

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub_record(made(*args, **kwargs))

    setattr(scrubbing_factory, _MARK, True)
    logging.setLogRecordFactory(scrubbing_factory)

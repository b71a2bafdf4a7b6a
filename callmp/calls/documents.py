"""TwiML documents of the call flow, built once per process and given each call's id.

Domain code: no Flask. What a webhook answers depends on the call's plan (shared by every
call of a riding and campaign), the step, the language and the call's own webhook URLs;
only the call's opaque id in those URLs differs from one call to the next. ``document``
builds a document with ``CALL_ID`` standing in for the id, keeps it, and puts the call's
id in its place: building it with the SDK's ``VoiceResponse`` cost more than the rest of
a webhook's own work.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from typing import Any

#: Stands in for a call's public id in kept documents (random: no text can hold it).
CALL_ID = "id" + secrets.token_hex(16)
# The ids calls are given (``secrets.token_urlsafe``): nothing in them needs escaping in XML.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _key(value: Any) -> Any:
    """``value`` as part of a cache key (lists of notes as tuples)."""
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=2048)
def _built(builder: Callable[..., str], arguments: tuple[tuple[str, Any], ...]) -> str:
    """``builder``'s document for ``arguments``, kept."""
    return builder(**dict(arguments))


def document(public_id: str, builder: Callable[..., str], **arguments: Any) -> str:
    """``builder(**arguments)`` for the call ``public_id``; URLs in ``arguments`` hold ``CALL_ID``.

    ``builder`` must depend on its arguments only (the TwiML builders do; ``translate`` is
    gettext bound to one catalogue).
    """
    if not _PLAIN_ID.fullmatch(public_id):
        own = {
            name: value.replace(CALL_ID, public_id) if isinstance(value, str) else value
            for name, value in arguments.items()
        }
        return builder(**own)
    key = tuple(sorted((name, _key(value)) for name, value in arguments.items()))
    return _built(builder, key).replace(CALL_ID, public_id)

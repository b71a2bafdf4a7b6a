"""Translation markers usable by domain code, which does not import Flask."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction; the view layer translates it at display time."""
    return message

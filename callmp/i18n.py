"""Translation markers usable by domain code, which does not import Flask."""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Mark ``message`` for extraction; the view layer translates it at display time."""
    return message


@dataclass
class InputError(ValueError):
    """Input we refuse: ``reason`` for machines, ``message`` an untranslated msgid."""

    reason: str
    message: str
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message

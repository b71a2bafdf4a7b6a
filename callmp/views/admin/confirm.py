"""Confirmation pages for staff actions that change what supporters see or remove things.

A destructive action is two steps that work without JavaScript: a GET page that says
what will happen, with a POST form carrying ``confirmed=yes``; the POST endpoint refuses
(400, the same page with a message) when the field is missing, so a stray or forged form
that skips the page does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import render_template, request
from flask_babel import gettext

#: The form field the confirmation page's button sends.
FIELD = "confirmed"


@dataclass
class Confirmation:
    """What the confirmation page says and where its button posts."""

    heading: str
    explanation: list[str]
    action: str  # the POST endpoint's URL
    button: str
    cancel: str  # where "Cancel" goes back to
    hidden: dict[str, str] = field(default_factory=dict)
    diffs: list[Any] = field(default_factory=list)  # version_diffs.FieldDiff, if any
    diffs_heading: str = ""


def page(confirmation: Confirmation, error: str = "", status: int = 200) -> tuple[str, int]:
    """The confirmation page, with a refusal's reason on top if there is one."""
    html = render_template("admin/confirm.html", confirmation=confirmation, error=error)
    return html, status


def confirmed() -> bool:
    """True when the POST came from a confirmation page's button."""
    return request.form.get(FIELD) == "yes"


def refused(confirmation: Confirmation) -> tuple[str, int]:
    """The page again (400) for a POST that skipped the confirmation."""
    error = gettext("Nothing was done yet: please confirm with the button below.")
    return page(confirmation, error, 400)

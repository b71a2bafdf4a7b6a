"""Names every template may use: formatting in the visitor's language, MPs, staff roles."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_number, format_percent, gettext

from callmp.audit import COMMAND_LINE
from callmp.campaigns.fields import STATUS_LABELS, wall_clock
from callmp.models import Campaign
from callmp.views import presenters
from callmp.views.security import current_staff, role_name
from callmp.views.times import staff_time


def elections_canada_url() -> str:
    """Elections Canada's own riding lookup, in the visitor's language."""
    lang = "f" if presenters.locale_code() == "fr" else "e"
    return str(current_app.config["ELECTIONS_CANADA_LOOKUP_URL"]).format(lang=lang)


def status_name(status: object) -> str:
    """A campaign status (draft, published, archived) in the current language."""
    return str(gettext(STATUS_LABELS.get(str(status), str(status))))


def campaign_title(campaign: Campaign) -> str:
    """A campaign's title in the page's language (else the other one, else its address)."""
    return campaign.text("title", presenters.locale_code()) or campaign.title_fr or campaign.slug


def who(user_label: str) -> str:
    """Who made a change: the account's label, or "command line" translated."""
    return str(gettext(COMMAND_LINE)) if user_label == COMMAND_LINE else user_label


def _globals() -> dict[str, Any]:
    """Values every template may use."""
    return {
        "locale": presenters.locale_code(),
        "elections_canada_url": elections_canada_url,
        "display_name": presenters.display_name,
        "party_name": presenters.party_name,
        "office_status": presenters.office_status,
        "office_hours": presenters.office_hours,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_number": format_number,
        "format_percent": format_percent,
        # staff pages
        "current_staff": current_staff,
        "role_name": role_name,
        "status_name": status_name,
        "wall_clock": wall_clock,
        "staff_time": staff_time,
        "campaign_title": campaign_title,
        "who": who,
    }


def init_template_globals(app: Flask) -> None:
    """Make the names available to every template of ``app``."""
    app.context_processor(_globals)

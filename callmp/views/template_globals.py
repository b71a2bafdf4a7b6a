"""Names every template may use: formatting in the visitor's language, MPs, staff roles."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask, current_app, g, request
from flask_babel import format_date, format_datetime, format_number, format_percent, gettext

from callmp.audit import COMMAND_LINE
from callmp.campaigns.fields import STATUS_LABELS, wall_clock
from callmp.campaigns.images import parse_key as parse_image_key
from callmp.models import Campaign
from callmp.models.portfolios import is_unofficial
from callmp.views import branding, presenters, sharing
from callmp.views.admin.data import data_overview
from callmp.views.consent_input import consent_wording
from callmp.views.security import current_staff, role_name
from callmp.views.times import staff_time


def elections_canada_url() -> str:
    """Elections Canada's own riding lookup, in the visitor's language."""
    lang = "f" if presenters.locale_code() == "fr" else "e"
    return str(current_app.config["ELECTIONS_CANADA_LOOKUP_URL"]).format(lang=lang)


def language_url(lang: str, path: str | None = None) -> str:
    """This page (or ``path``) in language ``lang``: the same place, its query kept."""
    # A path may hold a query of its own (an embedded flow's state): keep it, but one lang.
    base, _sep, query = (path or "").partition("?")
    pairs = request.args.items(multi=True) if path is None else parse_qsl(query)
    args = [(k, v) for k, v in pairs if k != "lang"]
    return f"{base or request.path}?{urlencode([*args, ('lang', lang)])}"


def first_error_focus(field: Any) -> bool:
    """True for the first field with an error rendered in this request, so that a page
    focuses one field at most (the first thing to fix; HTML allows one autofocus)."""
    if not field.errors or g.get("autofocus_given"):
        return False
    g.autofocus_given = True
    return True


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
        "language_url": language_url,
        "display_name": presenters.display_name,
        "party_name": presenters.party_name,
        "office_hours": presenters.office_hours,
        "unofficial_source": is_unofficial,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_number": format_number,
        "format_percent": format_percent,
        "share_panel": sharing.share_panel,
        "preview_card": sharing.preview_card,
        "brand_css_url": branding.brand_css_url,
        "image_url": branding.image_url,
        "image_size": parse_image_key,
        # staff pages
        "current_staff": current_staff,
        "role_name": role_name,
        "status_name": status_name,
        "wall_clock": wall_clock,
        "staff_time": staff_time,
        "campaign_title": campaign_title,
        "who": who,
        "data_overview": data_overview,
    }


def init_template_globals(app: Flask) -> None:
    """Make the names available to every template of ``app``."""
    app.context_processor(_globals)
    # Macros imported by templates see the environment's globals, not the context.
    app.jinja_env.globals["first_error_focus"] = first_error_focus
    app.jinja_env.globals["consent_wording"] = consent_wording

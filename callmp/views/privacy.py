"""The privacy notices: each campaign's (its organization's), and the site's own."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from callmp.supporters import privacy_notice
from callmp.views import presenters
from callmp.views.context import db

bp = Blueprint("privacy", __name__)

#: The public page where a supporter withdraws consent by email address (issue 20).
WITHDRAW_PATH = "/unsubscribe"


@bp.get("/c/<slug>/privacy")
def campaign(slug: str) -> str:
    """The campaign's privacy notice, filled from its organization and the settings."""
    item = privacy_notice.notice_campaign(db(), slug)
    if item is None:
        abort(404)
    words, words_lang = privacy_notice.own_words(item, presenters.locale_code())
    return render_template(
        "privacy/campaign.html",
        campaign=item,
        org=privacy_notice.organization(item),
        retention=privacy_notice.retention(current_app.config),
        own_words=words,
        own_words_lang=words_lang,
        withdraw_path=WITHDRAW_PATH,
    )


@bp.get("/privacy")
def site() -> str:
    """The site's own notice, listing each published campaign's notice."""
    return render_template(
        "privacy/site.html",
        campaigns=privacy_notice.published_campaigns(db()),
        retention=privacy_notice.retention(current_app.config),
        withdraw_path=WITHDRAW_PATH,
    )

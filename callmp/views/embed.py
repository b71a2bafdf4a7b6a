"""The embeddable action: a campaign's supporter flow inside a partner's page.

``/embed.js`` (the partner's snippet) inserts an iframe showing ``/c/<slug>/embed``. Inside
the frame the browser sends no cookie of ours, so every link and form of the flow carries
the flow's state in a signed token (``form_tokens``): links get ``?s=<state>&lang=`` from a
URL default, forms their signed CSRF token. Embedded responses may be framed by the
campaign's partners' origins only (``frame_ancestors``); every other page keeps
``frame-ancestors 'none'``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Flask,
    g,
    has_request_context,
    make_response,
    render_template,
    request,
)
from flask_babel import force_locale, gettext
from werkzeug.wrappers import Response

from callmp.partners.origins import allowed_origins
from callmp.views import counts, form_tokens, presenters
from callmp.views.context import content_revision, db, running_campaign, services
from callmp.views.public_forms import LookupForm
from callmp.views.riding_page import campaign_or_404

bp = Blueprint("embed", __name__)

#: Blueprints whose links stay inside the frame (and so carry the flow's state).
FLOW_BLUEPRINTS = ("public", "call", "email", "petition", "embed")

#: How long browsers and proxies may keep the partner's script.
SCRIPT_MAX_AGE = 3600


def embedded() -> bool:
    """Whether this request is part of an embedded flow (its entry page or carried state)."""
    if "embedded" not in g:
        entry = request.endpoint == "embed.campaign"
        g.embedded = entry or bool(form_tokens.carried_state().get("embed"))
    return bool(g.embedded)


def frame_ancestors() -> str | None:
    """The origins that may frame this response: the campaign's partners' origins when the
    page is embedded, else None (the site-wide ``'none'`` stays)."""
    slug = form_tokens.current_slug()
    if not slug or not embedded():
        return None
    campaign = running_campaign(slug)
    if campaign is None:
        return None
    origins: frozenset[str] = services().running.derived.get(
        content_revision(),
        ("frame ancestors", campaign.id),
        lambda: allowed_origins(db(), campaign.id),
    )
    return " ".join(sorted(origins)) or None


def _add_flow_state(endpoint: str, values: dict[str, Any]) -> None:
    """URL default: inside the frame, links and redirects of the flow carry its state and
    the language (there is no cookie to remember them)."""
    if endpoint.partition(".")[0] not in FLOW_BLUEPRINTS or "slug" not in values:
        return
    if not has_request_context() or not embedded():
        return
    values.setdefault("s", form_tokens.state_link())
    values.setdefault("lang", presenters.locale_code().partition("_")[0])


@bp.get("/c/<slug>/embed")
def campaign(slug: str) -> tuple[str, int]:
    """The campaign's ask and postal code box, compact, for a partner's iframe.

    ``?lang=`` and ``?ref=`` (the partner's referral code) come from the snippet.
    """
    item = campaign_or_404(slug)
    found = counts.public_counts(slug, presenters.locale_code(), by_office=False)
    page = render_template(
        "public/campaign.html",
        campaign=item,
        form=LookupForm(formdata=None),
        notice=None,
        counter=found.payload if found is not None else None,
    )
    return page, 200


@bp.get("/embed.js")
def script() -> Response:
    """The partner's snippet script, with its few words in both languages."""
    texts: dict[str, dict[str, str]] = {}
    for language in ("en", "fr"):
        with force_locale(f"{language}_CA"):
            texts[language] = {
                "open": gettext("Open this campaign on its own page"),
                "title": gettext("Take action"),
            }
    body = render_template("embed/embed.js", texts=json.dumps(texts, ensure_ascii=False))
    response = make_response(body)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    # Partners' pages load it cross-origin: nothing in it is private.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def init_embed(app: Flask) -> None:
    """The URL default that keeps an embedded flow's state in its links."""
    app.url_defaults(_add_flow_state)
    app.jinja_env.globals["embedded"] = embedded

"""Supporter pages: campaigns, postal code lookup, choosing a riding, the MP card."""

from __future__ import annotations

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from callmp.campaigns import active
from callmp.directory import lookup, postal_codes
from callmp.models import Campaign
from callmp.views import counts, front_cache, presenters
from callmp.views.context import (
    cached_ridings,
    content_revision,
    db,
    last_lookup,
    lookup_postal_code,
    remember_lookup,
    services,
)
from callmp.views.embed import embedded
from callmp.views.public_forms import LookupForm, translate_postal_error
from callmp.views.riding_page import campaign_or_404, shared_riding_page

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    """The campaigns running now."""
    return render_template("public/home.html", campaigns=active.list_active(db()))


@bp.get("/c/<slug>")
def campaign(slug: str) -> tuple[str, int]:
    """The campaign's ask and its postal code box.

    The page is the same for everyone in a language (the form carries no token): it is
    rendered once per content revision, language and counter figures, per process.
    """
    item = campaign_or_404(slug)
    if embedded():  # its links carry the visitor's own state: not shared
        return _campaign_page(item, LookupForm(formdata=None), 200)
    found = counts.public_counts(slug, presenters.locale_code(), by_office=False)
    key = ("campaign page", slug, presenters.locale_code(), found.etag if found else "")
    page = services().running.derived.get(
        content_revision(), key, lambda: _campaign_page(item, LookupForm(formdata=None), 200)[0]
    )
    # Strangers may get it again while its counter holds, until the campaign closes.
    if found is not None:
        front_cache.offer(
            revision=content_revision(), seconds=found.holds_for(), until=item.ends_at
        )
    return page, 200


@bp.post("/c/<slug>")
def lookup_form(slug: str) -> Response | tuple[str, int]:
    """Look up the postal code typed in (kept in the session); a valid one leads to the
    riding. Only POST reaches here, so a HEAD never changes the session."""
    item = campaign_or_404(slug)
    form = LookupForm()
    if request.form.get("action") == "language":
        return _campaign_page(item, form, 200)  # the same page in the other language
    if not form.validate():
        return _campaign_page(item, form, 400)
    try:
        result = lookup_postal_code(form.postal_code.data)
    except postal_codes.PostalCodeError as error:  # pragma: no cover - validated above
        form.postal_code.errors = [translate_postal_error(error)]
        return _campaign_page(item, form, 400)
    remember_lookup(slug, result)
    if result.best is not None:
        return redirect(url_for(".riding", slug=slug, fed_num=result.best.riding.fed_num))
    if result.candidates:
        return redirect(url_for(".choose", slug=slug))
    return _campaign_page(item, form, 404, gettext(result.notice) if result.notice else None)


def _campaign_page(
    item: Campaign, form: LookupForm, status: int, notice: str | None = None
) -> tuple[str, int]:
    """The campaign page with its lookup form (and a notice when the code is unknown)."""
    slug = item.slug
    found = counts.public_counts(slug, presenters.locale_code(), by_office=False)
    counter = found.payload if found is not None else None
    page = render_template(
        "public/campaign.html", campaign=item, form=form, notice=notice, counter=counter
    )
    return page, status


@bp.get("/c/<slug>/choose")
def choose(slug: str) -> Response | str:
    """Pick your riding when the postal code's area spans several."""
    item = campaign_or_404(slug)
    last = last_lookup(slug)
    if not last or len(last["ridings"]) < 1:
        return redirect(url_for(".campaign", slug=slug))
    found = cached_ridings(last["ridings"])
    choices = [
        lookup.Candidate(riding=found[fed], member=found[fed].member, share=share)
        for fed, share in zip(last["ridings"], last["shares"], strict=True)
        if fed in found
    ]
    notice = lookup.NOTICES.get(lookup.Match(last["match"]))
    return render_template(
        "public/choose.html",
        campaign=item,
        choices=choices,
        postal_code=last["postal_code"],
        notice=gettext(notice) if notice else None,
    )


@bp.get("/c/<slug>/riding/<int:fed_num>")
def riding(slug: str, fed_num: int) -> tuple[str, int]:
    """Who to contact for a supporter in this riding, with offices and talking points."""
    return shared_riding_page(slug, fed_num)

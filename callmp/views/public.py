"""Supporter pages: campaigns, postal code lookup, choosing a riding, the MP card."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, format_number, format_percent, gettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from callmp.calls.service import CallService
from callmp.campaigns import active, targets
from callmp.campaigns.targets import targets_for
from callmp.directory import lookup, postal_codes
from callmp.models import Campaign
from callmp.stats import self_reports
from callmp.views import context as web
from callmp.views import counts, presenters
from callmp.views.context import db, lookup_postal_code
from callmp.views.public_forms import CallForm, LookupForm, ReportForm, translate_postal_error

bp = Blueprint("public", __name__)

LOOKUP_KEY = "lookup"  # session: the last lookup (postal code, match, candidate ridings)
REFERRAL_KEY = "ref"  # session: the share link's referral code, per campaign


@bp.before_app_request
def _remember_referral() -> None:
    """A campaign link's ``?ref=`` code is kept so the contacts it brings are credited."""
    slug = (request.view_args or {}).get("slug")
    code = web.clean_referral(request.args.get("ref", ""))
    if slug and code:
        session[REFERRAL_KEY] = {"slug": slug, "code": code}


def referral_for(slug: str) -> str:
    """The referral code remembered for campaign ``slug``, or ""."""
    saved = session.get(REFERRAL_KEY)
    if isinstance(saved, dict) and saved.get("slug") == slug:
        return str(saved.get("code", ""))
    return ""


def _campaign_or_404(slug: str) -> Campaign:
    """The running campaign with ``slug``, or a 404."""
    campaign = active.get_active(db(), slug)
    if campaign is None:
        abort(404)
    return campaign


def elections_canada_url() -> str:
    """Elections Canada's own riding lookup, in the visitor's language."""
    lang = "f" if presenters.locale_code() == "fr" else "e"
    return str(current_app.config["ELECTIONS_CANADA_LOOKUP_URL"]).format(lang=lang)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
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
    }


@bp.get("/")
def home() -> str:
    """The campaigns running now."""
    return render_template("public/home.html", campaigns=active.list_active(db()))


@bp.route("/c/<slug>", methods=["GET", "POST"])
def campaign(slug: str) -> Response | tuple[str, int] | str:
    """The campaign's ask and its postal code box; a valid code leads to the riding."""
    item = _campaign_or_404(slug)
    form = LookupForm()
    status = 200
    notice = None
    if form.is_submitted():
        if form.validate():
            try:
                result = lookup_postal_code(form.postal_code.data)
            except postal_codes.PostalCodeError as error:  # pragma: no cover - validated above
                form.postal_code.errors = [translate_postal_error(error)]
                status = 400
            else:
                session[LOOKUP_KEY] = {
                    "slug": slug,
                    "postal_code": result.postal_code,
                    "match": str(result.match),
                    "ridings": [c.riding.fed_num for c in result.candidates],
                    "shares": [c.share for c in result.candidates],
                }
                if result.best is not None:
                    return redirect(
                        url_for(".riding", slug=slug, fed_num=result.best.riding.fed_num)
                    )
                if result.candidates:
                    return redirect(url_for(".choose", slug=slug))
                status = 404
                notice = gettext(result.notice) if result.notice else None
        else:
            status = 400
    found = counts.public_counts(slug, presenters.locale_code(), by_office=False)
    counter = found.payload if found is not None else None
    page = render_template(
        "public/campaign.html", campaign=item, form=form, notice=notice, counter=counter
    )
    return page, status


def last_lookup(slug: str) -> dict[str, Any] | None:
    """The session's last lookup when it was made on this campaign."""
    last = session.get(LOOKUP_KEY)
    if isinstance(last, dict) and last.get("slug") == slug:
        return last
    return None


@bp.get("/c/<slug>/choose")
def choose(slug: str) -> Response | str:
    """Pick your riding when the postal code's area spans several."""
    item = _campaign_or_404(slug)
    last = last_lookup(slug)
    if not last or len(last["ridings"]) < 1:
        return redirect(url_for(".campaign", slug=slug))
    found = lookup.ridings_with_members(db(), last["ridings"])
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
    return riding_page(slug, fed_num)


def _report_form(item: targets.ResolvedTarget, token: str, locale: str) -> ReportForm:
    """The "how did it go?" form for one target, listing its offices with a number."""
    form = ReportForm(prefix=f"t{item.target.id}", formdata=None)
    offices = [o for o in item.person.offices if o.phone] if item.person else []
    form.office.choices = [SelectChoice(str(o.id), o.label(locale)) for o in offices]
    form.office.data = offices[0].id if offices else None
    form.token.data = token
    return form


def riding_page(
    slug: str,
    fed_num: int,
    *,
    call_form: CallForm | None = None,
    report_forms: dict[int, ReportForm] | None = None,
    status: int = 200,
    preview: Campaign | None = None,
    preview_postal_code: str | None = None,
    template: str = "public/riding.html",
    **context: Any,
) -> tuple[str, int]:
    """Render the riding page, with forms carrying the supporter's input and errors if given.

    Staff previews pass the campaign (any status), the postal code to fill in, and their
    own template extending the riding page; the supporter's session is not read.
    """
    item = preview if preview is not None else _campaign_or_404(slug)
    candidate = lookup.riding(db(), fed_num)
    if candidate is None:
        abort(404)
    locale = presenters.locale_code()
    last = last_lookup(slug) if preview is None else None
    postal_code = preview_postal_code
    notice = None
    alternatives: list[lookup.Candidate] = []
    if last and fed_num in last["ridings"]:
        postal_code = last["postal_code"]
        match = lookup.Match(last["match"])
        if match not in (lookup.Match.exact, lookup.Match.territory):
            message = lookup.NOTICES.get(match)
            notice = gettext(message) if message else None
            others = [f for f in last["ridings"] if f != fed_num]
            found = lookup.ridings_with_members(db(), others)
            alternatives = [
                lookup.Candidate(found[f], found[f].member) for f in others if f in found
            ]
    targets = targets_for(item, candidate)
    token = self_reports.new_report_token()
    forms = report_forms or {}
    cards = [
        {
            "item": target,
            "talking_points": presenters.talking_points(item, target, postal_code, locale),
            "report": forms.get(target.target.id) or _report_form(target, token, locale),
        }
        for target in targets
    ]
    service: CallService = current_app.extensions["callmp.calls"]
    page = render_template(
        template,
        campaign=item,
        candidate=candidate,
        cards=cards,
        postal_code=postal_code,
        notice=notice,
        alternatives=alternatives,
        local_time=presenters.local_time,
        call_form=call_form or CallForm(formdata=None),
        bridged=item.bridged_calls,
        direct=item.direct_calls or service.local,
        local_telephony=service.local,
        emails=item.emails,
        **context,
    )
    return page, status

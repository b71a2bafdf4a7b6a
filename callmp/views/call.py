"""Supporter pages for calls: "call me", the live status of a call, and direct-call reports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from callmp.calls import call_requests, plan
from callmp.calls.call_requests import CallAsk, CallRefused
from callmp.calls.service import CallService
from callmp.campaigns.targets import targets_for
from callmp.directory.phones import PhoneError
from callmp.i18n import translator
from callmp.models.calls import FINAL
from callmp.petitions.ladder import Step
from callmp.stats import self_reports
from callmp.views import call_presenters, consent_input, counts, presenters
from callmp.views.context import (
    db,
    last_lookup,
    referral_for,
    riding_candidate,
    running_campaign,
    services,
    share_source_for,
)
from callmp.views.embed import embedded
from callmp.views.petition_ladder import note_step
from callmp.views.public_forms import CallForm, ReportForm
from callmp.views.riding_page import reporter, riding_page

bp = Blueprint("call", __name__)


def _postal_code(slug: str, fed_num: int) -> str:
    """The postal code the supporter looked up for this riding, if any (for the consent)."""
    last = last_lookup(slug)
    return str(last["postal_code"]) if last and fed_num in last["ridings"] else ""


def _service() -> CallService:
    service: CallService = services().calls
    return service


@bp.post("/c/<slug>/riding/<int:fed_num>/call")
def call_me(slug: str, fed_num: int) -> Response | tuple[str, int]:
    """Store a "call me" request and queue it; then show its live status."""
    campaign = running_campaign(slug)
    # A call needs no corrections; the riding page shown on an error loads them.
    candidate = riding_candidate(fed_num) if campaign else None
    if campaign is None or candidate is None:
        abort(404)
    form = CallForm()
    # This page holds what was typed: the language switch sends it back here.
    again = ("call-form", url_for(".call_me", slug=slug, fed_num=fed_num))
    if request.form.get("action") == "language":
        return riding_page(slug, fed_num, call_form=form, language=again)
    valid = form.validate()  # first: it resets every field's errors
    consented, email = consent_input.followup_email(form)
    if not valid or not consented:
        return riding_page(slug, fed_num, call_form=form, status=400, language=again)
    service = _service()
    try:
        ask = CallAsk(
            campaign=campaign,
            phone_raw=form.phone.data,
            fed_num=fed_num,
            locale=presenters.locale_code(),
            referral=referral_for(slug),
            share_source=share_source_for(slug),
            ip=request.remote_addr or "",
            riding=candidate,
        )
        call, _stops = service.request(db(), ask, queued=True)
    except PhoneError as error:
        form.phone.errors = [gettext(error.message, **error.params)]
        return riding_page(slug, fed_num, call_form=form, status=400, language=again)
    except CallRefused as error:
        form.phone.errors = [gettext(error.message)]
        return riding_page(slug, fed_num, call_form=form, status=error.status, language=again)
    if email:
        consent_input.record(
            campaign,
            "call",
            email,
            postal_code=_postal_code(slug, fed_num),
            fed_num=fed_num,
            phone_hmac=call.phone_hmac,
            call_request_id=call.id,
        )
    note_step(campaign, Step.call)  # after a petition signature: its next step
    db().commit()
    service.push(call.id)  # stored as queued: no second transaction for the hand-over
    return redirect(url_for(".status", slug=slug, public_id=call.public_id), code=303)


@bp.get("/c/<slug>/calls/<public_id>")
def status(slug: str, public_id: str) -> str:
    """ "We're calling you now": the call's status, refreshed until it ends."""
    call = call_requests.by_public_id(db(), public_id)
    campaign = running_campaign(slug)
    if call is None or campaign is None or call.campaign_id != campaign.id:
        abort(404)
    locale = presenters.locale_code()
    progress = plan.progress(db(), call, translator(call.locale))
    finished = call.status in FINAL
    found = counts.public_counts(slug, locale, by_office=False, fresh=True) if finished else None
    return render_template(
        "call/status.html",
        campaign=campaign,
        call=call,
        finished=finished,
        info=call_presenters.call_json(call, progress, locale),
        counter=found.payload if found else None,
    )


@bp.post("/c/<slug>/riding/<int:fed_num>/report")
def report(slug: str, fed_num: int) -> Response | tuple[str, int]:
    """Count a call the supporter made themselves, with how it went.

    Only with the token the riding page issued, once per target and token (a double tap
    still says thank you), under the hourly limits, and only where direct calls are on.
    """
    campaign = running_campaign(slug)
    candidate = riding_candidate(fed_num)
    if campaign is None or candidate is None:
        abort(404)
    if not (campaign.direct_calls or _service().local):
        abort(404)  # the page offers no direct calls, so nothing to report
    targets = targets_for(campaign, candidate)
    target_id = request.form.get("target_id", "")
    item = next((t for t in targets if str(t.target.id) == target_id), None)
    if item is None:
        abort(400)
    form = ReportForm(prefix=f"t{item.target.id}")
    offices = [o for o in item.offices if o.phone]
    form.office.choices = [
        SelectChoice(str(o.id), o.label(presenters.locale_code())) for o in offices
    ]
    again = (f"report-{item.target.id}", url_for(".report", slug=slug, fed_num=fed_num))
    if request.form.get("action") == "language":
        return riding_page(slug, fed_num, report_forms={item.target.id: form}, language=again)
    valid = form.validate()  # first: it resets every field's errors
    consented, email = consent_input.followup_email(form)
    if not valid or not consented:
        return riding_page(
            slug, fed_num, report_forms={item.target.id: form}, status=400, language=again
        )
    try:
        counted = self_reports.report_direct_call(
            db(),
            campaign,
            targets,
            target_id=item.target.id,
            office_id=form.office.data if offices else None,
            outcome=form.outcome.data,
            fed_num=fed_num,
            referral=referral_for(slug),
            share_source=share_source_for(slug),
            reporter=reporter(form.token.data or ""),
        )
    except (self_reports.ReportError, self_reports.TokenError) as error:
        db().rollback()
        form.outcome.errors = [gettext(error.message)]
        return riding_page(
            slug, fed_num, report_forms={item.target.id: form}, status=400, language=again
        )
    except self_reports.ReportLimited as error:
        db().rollback()
        form.outcome.errors = [gettext(error.message)]
        return riding_page(
            slug, fed_num, report_forms={item.target.id: form}, status=429, language=again
        )
    if email and counted:  # a double tap records nothing twice
        consent_input.record(
            campaign, "report", email, postal_code=_postal_code(slug, fed_num), fed_num=fed_num
        )
    note_step(campaign, Step.call)
    db().commit()
    flash(gettext("Thank you! Your call is counted."), f"reported-{item.target.id}")
    # In a partner's frame the flash (kept in the cookie) is lost: the link says it.
    done: dict[str, Any] = {"reported": item.target.id} if embedded() else {}
    anchor = f"target-{item.target.id}"
    url = url_for("public.riding", slug=slug, fed_num=fed_num, _anchor=anchor, **done)
    return redirect(url, code=303)

"""Supporter pages of the petition: the ask and its form, signing, thanks, confirmation.

Thin views: the form is read by ``petition_forms``, signing and confirming are
``callmp.petitions``. Only POST reaches a save path; a GET of the confirmation link shows
a button (mail scanners open links too).
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from callmp.db import utcnow
from callmp.directory import lookup
from callmp.letters.confirmation import ConfirmError
from callmp.models import Campaign, SignatureStatus
from callmp.petitions import confirmation, public, signing
from callmp.petitions.settings import PetitionSettings, petition_settings
from callmp.views import consent_input, form_tokens, presenters
from callmp.views.context import (
    db,
    referral_for,
    remember_settled_lookup,
    remember_signature,
    running_campaign,
    services,
    share_source_for,
    signature_for,
)
from callmp.views.petition_forms import HONEYPOT, PetitionForm, PetitionInputError, ask, prepare

bp = Blueprint("petition", __name__)

#: The confirmation link of ``petitions.confirmation``, as a route.
CONFIRM_RULE = confirmation.CONFIRM_PATH.format(slug="<slug>", token="<token>")  # noqa: S106

#: Recent signers shown on the petition page (when the campaign lists them).
RECENT_SIGNERS = 10


def _settings() -> PetitionSettings:
    return petition_settings(current_app.config, services().mail.settings)


def _campaign(slug: str) -> Campaign:
    """The running campaign with ``slug`` whose petition is on, or a 404."""
    campaign = running_campaign(slug)
    if campaign is None or not campaign.petitions:
        abort(404)
    return campaign


def _page(
    campaign: Campaign,
    form: PetitionForm,
    status: int = 200,
    *,
    choices: list[lookup.Candidate] | None = None,
    refusal: str = "",
) -> tuple[str, int]:
    """The petition page: the ask, the counter, recent signers and the form."""
    locale = presenters.locale_code()
    form.fed_num.choices = [
        SelectChoice(str(c.riding.fed_num), c.riding.name(locale)) for c in choices or []
    ]
    form.website.data = ""
    page = render_template(
        "petition/page.html",
        campaign=campaign,
        form=form,
        counter=public.counter(db(), campaign),
        signers=public.recent_signers(db(), campaign, RECENT_SIGNERS),
        open=signing.is_open(campaign, utcnow()),
        refusal=refusal,
    )
    return page, status


@bp.get("/c/<slug>/petition")
def page(slug: str) -> tuple[str, int]:
    """The petition's ask, its counter and the form to add your name."""
    return _page(_campaign(slug), PetitionForm(formdata=None))


def _too_soon(slug: str, settings: PetitionSettings) -> bool:
    """A bot's marks: the hidden field filled in, or the form sent too soon after it was
    shown (the signed form token holds when it was issued)."""
    if request.form.get(HONEYPOT, ""):
        return True
    age = form_tokens.age(request.form.get("csrf_token", ""), slug, time.time())
    return age is not None and age < settings.min_form_seconds


@bp.post("/c/<slug>/petition")
def sign(slug: str) -> Response | tuple[str, int]:
    """Add the supporter's name; an uncertain postal code asks for their riding first."""
    campaign = _campaign(slug)
    form = PetitionForm()
    if request.form.get("action") == "language":
        return _page(campaign, form)  # the same page in the other language, input kept
    if not form.validate():  # the signed form token
        return _page(campaign, form, 400)
    settings = _settings()
    if _too_soon(slug, settings):
        refusal = gettext("Please check your details and send the form again.")
        return _page(campaign, form, 400, refusal=refusal)
    try:
        prepared = prepare(request.form)
    except PetitionInputError as error:
        for name, message in error.errors.items():
            getattr(form, name).errors = [message]
        return _page(campaign, form, 400, choices=error.candidates)
    locale = presenters.locale_code().partition("_")[0]
    try:
        signed = signing.sign(
            db(),
            ask(
                campaign,
                prepared,
                form,
                locale=locale,
                referral=referral_for(slug),
                share_source=share_source_for(slug),
                ip=request.remote_addr or "",
            ),
            settings=settings,
            now=utcnow(),
        )
    except signing.SignatureRefused as error:
        db().rollback()
        return _page(campaign, form, error.status, refusal=gettext(error.message, **error.params))
    if form.consent_followup.data:
        consent_input.record(
            campaign,
            "petition",
            signed.signature.email or prepared.email,
            name=prepared.name,
            postal_code=prepared.postal_code,
            fed_num=prepared.candidate.riding.fed_num,
            signature_id=signed.signature.id,
        )
    db().commit()
    services().mail.enqueue(signed.message_ids)
    signature = signed.signature
    remember_signature(slug, signature.public_id)
    remember_settled_lookup(
        slug, prepared.postal_code, prepared.candidate.riding.fed_num, prepared.match
    )
    return redirect(url_for(".thanks", slug=slug, public_id=signature.public_id), code=303)


@bp.get("/c/<slug>/petition/<public_id>")
def thanks(slug: str, public_id: str) -> str:
    """Waiting for the confirmation or counted; the counter; the next steps."""
    campaign = _campaign(slug)
    signature = confirmation.by_public_id(db(), public_id)
    if signature is None or signature.campaign_id != campaign.id:
        abort(404)
    # The next steps name the signer's riding: only for the flow that signed.
    mine = signature_for(slug) == signature.public_id
    return render_template(
        "petition/thanks.html",
        campaign=campaign,
        signature=signature,
        counted=signature.status == SignatureStatus.confirmed,
        counter=public.counter(db(), campaign),
        fed_num=signature.fed_num if mine else None,
        outbox=services().mail.outbox is not None,
    )


def _confirm_error(campaign: Campaign, error: ConfirmError) -> tuple[str, int]:
    page = render_template(
        "petition/confirm.html", campaign=campaign, error=gettext(error.message), signature=None
    )
    return page, 410 if error.reason == "expired" else 400


@bp.get(CONFIRM_RULE)
def confirm_page(slug: str, token: str) -> tuple[str, int]:
    """The link from the confirmation email: one button counts the signature."""
    campaign = _campaign(slug)
    try:
        signature = confirmation.find_by_token(db(), token, _settings().mail, utcnow())
    except ConfirmError as error:
        return _confirm_error(campaign, error)
    if signature.campaign_id != campaign.id:
        abort(404)
    page = render_template(
        "petition/confirm.html", campaign=campaign, signature=signature, error=None
    )
    return page, 200


@bp.post(CONFIRM_RULE)
def confirm(slug: str, token: str) -> Response | tuple[str, int]:
    """Confirm the signature (counted once, however many clicks)."""
    campaign = _campaign(slug)
    try:
        signature, confirmed = confirmation.confirm(db(), token, _settings().mail, utcnow())
    except ConfirmError as error:
        return _confirm_error(campaign, error)
    if signature.campaign_id != campaign.id:
        abort(404)
    db().commit()
    # Opened from the email, maybe in another browser: this flow is the signer's now.
    remember_signature(slug, signature.public_id)
    if signature.postal_code and signature.fed_num is not None:
        remember_settled_lookup(slug, signature.postal_code, signature.fed_num, "exact")
    if confirmed:
        flash(gettext("Thank you! Your signature is confirmed and counted."))
    else:
        flash(gettext("This signature was already confirmed. It counts once."))
    return redirect(url_for(".thanks", slug=slug, public_id=signature.public_id), code=303)

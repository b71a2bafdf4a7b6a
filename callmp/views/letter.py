"""Supporter pages for email: write, preview, send, confirm, follow; the demo's outbox."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from callmp.campaigns.targets import targets_for
from callmp.db import utcnow
from callmp.directory import lookup
from callmp.letters import compose, confirmation, records
from callmp.letters import outbox as local_outbox
from callmp.letters.confirmation import ConfirmError
from callmp.letters.service import MailService
from callmp.letters.submit import LetterRefused
from callmp.models import Campaign, MessageKind, Role, SubmissionStatus
from callmp.petitions.ladder import Step
from callmp.stats import report_tokens, self_reports
from callmp.views import consent_input, counts, presenters
from callmp.views.context import (
    db,
    last_lookup,
    referral_for,
    riding_candidate,
    running_campaign,
    services,
    share_source_for,
)
from callmp.views.letter_input import LetterInputError, Prepared, count_identical, prepare
from callmp.views.petition_ladder import note_step
from callmp.views.public_forms import EmailForm
from callmp.views.riding_page import report_token, reporter
from callmp.views.security import role_required

bp = Blueprint("email", __name__)

#: The confirmation link of ``letters.confirmation``, as a route (``<token>`` is its variable).
CONFIRM_RULE = confirmation.CONFIRM_PATH.format(slug="<slug>", token="<token>")  # noqa: S106


def mail_service() -> MailService:
    """The app's mail service."""
    service: MailService = services().mail
    return service


def _campaign(slug: str) -> Campaign:
    """The running campaign with ``slug`` that takes letters, or a 404."""
    campaign = running_campaign(slug)
    if campaign is None or not campaign.emails:
        abort(404)
    return campaign


def _write_page(
    campaign: Campaign,
    candidate: lookup.Candidate,
    form: EmailForm,
    status: int = 200,
    choices: list[lookup.Candidate] | None = None,
) -> tuple[str, int]:
    """The letter form, with the supporter's input and errors when given."""
    locale = presenters.locale_code()
    form.fed_num.choices = [
        SelectChoice(str(c.riding.fed_num), c.riding.name(locale)) for c in choices or []
    ]
    targets = targets_for(campaign, candidate)
    recipients = compose.recipients(targets)
    page = render_template(
        "email/write.html",
        campaign=campaign,
        candidate=candidate,
        form=form,
        recipients=recipients,
        missing=[t for t in targets if t not in recipients],
        own_letters=", ".join(
            presenters.display_name(item.person)
            for item in compose.own_letters(targets, locale)
            if item.person is not None
        ),
        mailto=campaign.email_mailto,
        personal_required=campaign.email_personal_line_required,
    )
    return page, status


@bp.get("/c/<slug>/riding/<int:fed_num>/email")
def write(slug: str, fed_num: int) -> tuple[str, int]:
    """The campaign's letter, addressed to this riding's targets, ready to edit."""
    campaign = _campaign(slug)
    candidate = riding_candidate(fed_num)
    if candidate is None:
        abort(404)
    form = EmailForm(formdata=None)
    last = last_lookup(slug)
    if last and fed_num in last["ridings"]:
        form.postal_code.data = last["postal_code"]
    form.fed_num.data = str(fed_num)
    form.subject.data, form.body.data = compose.draft(
        campaign, targets_for(campaign, candidate), presenters.locale_code()
    )
    return _write_page(campaign, candidate, form)


def _form_errors(form: EmailForm, error: LetterInputError) -> None:
    """Put each message next to its field."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]


@bp.post("/c/<slug>/riding/<int:fed_num>/email")
def submit(slug: str, fed_num: int) -> Response | tuple[str, int]:
    """Preview the letter, go back to edit it, or send it (``action``)."""
    campaign = _campaign(slug)
    candidate = riding_candidate(fed_num)
    if candidate is None:
        abort(404)
    form = EmailForm()
    action = request.form.get("action", "preview")
    if not form.validate():  # the CSRF token
        return _write_page(campaign, candidate, form, 400)
    locale = presenters.locale_code()
    data: dict[str, Any] = request.form.to_dict()
    if action == "language":
        # The same page in the other language, with everything typed kept (a draft left
        # untouched follows the language).
        form.subject.data, form.body.data = compose.redraft(
            campaign,
            targets_for(campaign, candidate),
            form.subject.data or "",
            form.body.data or "",
            locale,
            current_app.config["LOCALES"],
        )
        data = {**data, "subject": form.subject.data, "body": form.body.data}
        action = "preview" if request.form.get("shown") == "preview" else "edit"
    if action == "edit":
        return _write_page(campaign, candidate, form)
    if action == "mailto" and not campaign.email_mailto:
        abort(404)  # this campaign's letters go through our server: nothing to report
    # Sending: the same words are counted only if the letter is refused (its preview
    # then shows the nudge); a letter that goes needs no count but its checks'.
    sending = action == "send" and not campaign.email_mailto
    try:
        prepared = prepare(campaign, data, locale, known=candidate, count_identical=not sending)
    except LetterInputError as error:
        _form_errors(form, error)
        # Offer ridings only when the riding is in question, not for a mistyped name.
        choices = error.candidates if "fed_num" in error.errors else None
        return _write_page(campaign, candidate, form, 400, choices)
    form.fed_num.data = str(prepared.candidate.riding.fed_num)
    if action == "mailto":
        return _count_mailto(campaign, prepared, form)
    if action != "send" or campaign.email_mailto:
        return _preview(campaign, prepared, form)
    service = mail_service()
    try:
        ask = prepared.ask(
            consent_followup=bool(form.consent_followup.data),
            referral=referral_for(slug),
            share_source=share_source_for(slug),
            ip=request.remote_addr or "",
        )
        submission = service.submit(db(), ask)
    except LetterRefused as error:
        count_identical(prepared)
        return _preview(campaign, prepared, form, gettext(error.message), error.status)
    if form.consent_followup.data:
        consent_input.record(
            campaign,
            "letter",
            prepared.email,
            name=prepared.supporter.name,
            postal_code=prepared.supporter.postal_code,
            fed_num=prepared.candidate.riding.fed_num,
            submission_id=submission.id,
        )
    note_step(campaign, Step.write)  # after a petition signature: its next step
    db().commit()
    service.enqueue(submission.queued_ids)
    return redirect(url_for(".status", slug=slug, public_id=submission.public_id), code=303)


def _preview(
    campaign: Campaign, prepared: Prepared, form: EmailForm, refusal: str = "", status: int = 200
) -> tuple[str, int]:
    """Every message exactly as it will go out, with the send and edit buttons."""
    service = mail_service()
    page = render_template(
        "email/preview.html",
        campaign=campaign,
        candidate=prepared.candidate,
        form=form,
        prepared=prepared,
        sender=records.from_address(campaign, service.settings),
        nudge=prepared.identical >= service.settings.identical_nudge and not prepared.personal_line,
        refusal=refusal,
        mailto=campaign.email_mailto,
        mailto_links=[compose.mailto_url(letter) for letter in prepared.letters],
        token=report_token(
            report_tokens.MAILTO,
            campaign,
            prepared.candidate.riding.fed_num,
            [letter.item.target.id for letter in prepared.letters],
        )
        if campaign.email_mailto
        else "",
    )
    return page, status


def _count_mailto(
    campaign: Campaign, prepared: Prepared, form: EmailForm
) -> Response | tuple[str, int]:
    """The supporter says they sent the letters from their own mail app: count them.

    Only with the token this preview issued, once per token (a double tap still says
    thank you), and under the hourly limits.
    """
    fed_num = prepared.candidate.riding.fed_num
    try:
        self_reports.report_mailto(
            db(),
            campaign,
            [letter.item for letter in prepared.letters],
            fed_num=fed_num,
            referral=referral_for(campaign.slug),
            share_source=share_source_for(campaign.slug),
            reporter=reporter(request.form.get("token", "")),
        )
    except self_reports.TokenError as error:
        db().rollback()
        return _preview(campaign, prepared, form, gettext(error.message), 400)
    except self_reports.ReportLimited as error:
        db().rollback()
        return _preview(campaign, prepared, form, gettext(error.message), 429)
    db().commit()
    flash(gettext("Thank you! Your letters are counted."), "mailto-counted")
    return redirect(url_for("public.riding", slug=campaign.slug, fed_num=fed_num), code=303)


@bp.get("/c/<slug>/emails/<public_id>")
def status(slug: str, public_id: str) -> str:
    """Where the supporter's letter is: waiting for confirmation, queued, sent."""
    campaign = running_campaign(slug)
    submission = records.by_public_id(db(), public_id)
    if campaign is None or submission is None or submission.campaign_id != campaign.id:
        abort(404)
    messages = [m for m in submission.messages if m.kind == MessageKind.letter]
    confirmed = submission.status == SubmissionStatus.queued
    locale = presenters.locale_code()
    found = counts.public_counts(slug, locale, by_office=False, fresh=True) if confirmed else None
    return render_template(
        "email/status.html",
        campaign=campaign,
        submission=submission,
        messages=messages,
        pending=any(m.status in ("held", "queued", "sending") for m in messages),
        # Thanks only once something is on its way, never while it waits for the link.
        going=confirmed and any(m.status in ("queued", "sending", "sent") for m in messages),
        outbox=mail_service().outbox is not None,
        counter=found.payload if found else None,
    )


def _confirm_error(campaign: Campaign, error: ConfirmError) -> tuple[str, int]:
    """A link that confirms nothing: say why, and what to do."""
    page = render_template(
        "email/confirm.html", campaign=campaign, error=gettext(error.message), submission=None
    )
    return page, 410 if error.reason == "expired" else 400


@bp.get(CONFIRM_RULE)
def confirm_page(slug: str, token: str) -> tuple[str, int]:
    """The link from the confirmation email: one button sends the letter.

    A GET never sends anything: mail scanners open links too.
    """
    campaign = running_campaign(slug)
    if campaign is None:
        abort(404)
    try:
        submission = confirmation.find_by_token(db(), token, mail_service().settings, utcnow())
    except ConfirmError as error:
        return _confirm_error(campaign, error)
    if submission.campaign_id != campaign.id:
        abort(404)
    return render_template(
        "email/confirm.html",
        campaign=campaign,
        submission=submission,
        recipients=records.recipients_line(submission),
        error=None,
    ), 200


@bp.post(CONFIRM_RULE)
def confirm(slug: str, token: str) -> Response | tuple[str, int]:
    """Confirm the address: the held letters go to the queue (once, however many clicks)."""
    campaign = running_campaign(slug)
    if campaign is None:
        abort(404)
    service = mail_service()
    try:
        submission, confirmed = confirmation.confirm(db(), token, service.settings, utcnow())
    except ConfirmError as error:
        return _confirm_error(campaign, error)
    if submission.campaign_id != campaign.id:
        abort(404)
    db().commit()
    if confirmed:
        service.enqueue(records.queued_ids(submission))
        flash(gettext("Thank you! Your address is confirmed and your letter is on its way."))
    else:
        flash(gettext("This letter was already confirmed. It is sent only once."))
    return redirect(url_for(".status", slug=slug, public_id=submission.public_id), code=303)


def _outbox() -> Any:
    """The local backend's outbox folder, or a 404 when mail really goes out."""
    folder = mail_service().outbox
    if folder is None:
        abort(404)
    return folder


@bp.get("/dev/outbox")
@role_required(Role.organizer)
def outbox() -> Response:
    """Demo and development: the messages the local backend wrote instead of sending.

    They hold supporters' names, addresses and confirmation links: staff only.
    """
    page = render_template("email/outbox.html", entries=local_outbox.list_outbox(_outbox()))
    return _private(page)


@bp.get("/dev/outbox/<name>")
@role_required(Role.organizer)
def outbox_message(name: str) -> Response:
    """One message of the local outbox, headers and text."""
    message = local_outbox.read_outbox(_outbox(), name)
    if message is None:
        abort(404)
    body = message.get_body(preferencelist=("plain",))
    page = render_template(
        "email/outbox_message.html",
        name=name,
        headers=[(k, str(v)) for k, v in message.items()],
        text=body.get_content() if body is not None else "",
    )
    return _private(page)


def _private(page: str) -> Response:
    """A page with personal data: never kept in a cache."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response

"""JSON API, version 1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_babel import force_locale, gettext

from callmp.calls import call_requests, plan
from callmp.calls.call_requests import CallAsk, CallRefused
from callmp.calls.service import CallService
from callmp.directory import lookup, postal_codes
from callmp.directory.phones import PhoneError
from callmp.i18n import InputError, translator
from callmp.letters.service import MailService
from callmp.letters.submit import LetterRefused
from callmp.models import Campaign
from callmp.stats.share_sources import clean_source
from callmp.supporters import consent
from callmp.views import (
    api_cors,
    call_presenters,
    consent_input,
    context,
    counts,
    front_cache,
    inputs,
    letter_input,
    presenters,
)
from callmp.views.context import services
from callmp.views.public_forms import translate_postal_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api_cors.init_cors(bp)  # partners' sites, per campaign (callmp/views/api_cors.py)


@bp.route("/lookup", methods=["GET", "POST"])
def lookup_postal_code() -> tuple[Response, int]:
    """Ridings and members for a postal code (query string, form or JSON body)."""
    body = inputs.json_object() if request.method == "POST" else None
    raw = body.get("postal_code") if body is not None else None
    raw = raw if raw is not None else request.values.get("postal_code")
    if raw is not None and not isinstance(raw, str):
        raw = None
    try:
        code = postal_codes.normalise(raw)
    except postal_codes.PostalCodeError as error:
        services().metrics.lookup("invalid")
        return jsonify(error=translate_postal_error(error), reason=error.reason), 400
    locale = presenters.locale_code()
    # The same answer for everyone asking about this code in this language, until the
    # content (ridings, members, offices, corrections) changes: kept per process.
    match, payload = services().running.derived.get(
        context.content_revision(), ("lookup", code, locale), lambda: _lookup_answer(code, locale)
    )
    services().metrics.lookup(match)
    if request.method == "GET":
        front_cache.offer(revision=context.content_revision(), lookups=(match,))
    return jsonify(payload), 404 if match == lookup.Match.unknown else 200


def _lookup_answer(code: str, locale: str) -> tuple[str, dict[str, Any]]:
    """The lookup API's answer for a normalised postal ``code``: its match and its JSON."""
    result = context.lookup_postal_code(code, count=False)
    payload = {
        "postal_code": result.postal_code,
        "certain": result.certain,
        "match": str(result.match),
        "notice": gettext(result.notice) if result.notice else None,
        "ridings": [presenters.candidate_json(c, locale) for c in result.candidates],
    }
    if result.match == lookup.Match.unknown:
        payload["error"] = payload["notice"]
    return str(result.match), payload


def _error(
    error: InputError | CallRefused, status: int = 400, **extra: Any
) -> tuple[Response, int]:
    """A refused request: the message in the supporter's language and a machine reason."""
    params = error.params if isinstance(error, InputError) else {}
    return jsonify(error=gettext(error.message, **params), reason=error.reason, **extra), status


def _in_callers_language(
    campaign: Campaign, handle: Callable[[Campaign, dict[str, Any], str], tuple[Response, int]]
) -> tuple[Response, int]:
    """Run ``handle`` on the JSON object body, in the language its ``lang`` asks for."""
    body = inputs.json_object()
    if body is None:
        return jsonify(error=gettext("Send a JSON object."), reason="not_json"), 400
    lang = body.get("lang")
    locale = str(lang) if lang in current_app.config["LOCALES"] else presenters.locale_code()
    with force_locale(f"{locale}_CA"):
        return handle(campaign, body, locale)


@bp.get("/campaigns/<slug>/counts")
def campaign_counts(slug: str) -> Response:
    """The campaign's public counter: contacts made, by channel, toward the goal, per office.

    ``by_office=0`` leaves out the per-office list (what a campaign page polls). Answers
    are gzipped for clients that accept it, carry an ETag (``If-None-Match`` gets a 304)
    and may be read from any site (CORS).
    """
    by_office = request.args.get("by_office", "1").lower() not in {"0", "false", "no"}
    found = counts.public_counts(slug, presenters.locale_code(), by_office=by_office)
    if found is None:
        abort(404)
    if request.accept_encodings["gzip"]:
        response = Response(found.gzipped, mimetype="application/json")
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(found.etag + "-gz")
    else:
        response = Response(found.body, mimetype="application/json")
        response.set_etag(found.etag)
    max_age = int(current_app.config["COUNTS_CACHE_SECONDS"])
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept-Encoding, Accept-Language, Cookie"
    response.make_conditional(request)
    front_cache.offer(revision=context.content_revision(), seconds=found.holds_for())
    return response


@bp.get("/campaigns/<slug>/consent")
def campaign_consent(slug: str) -> Response:
    """The opt-in's exact words in each language, the organization that asks, and the
    privacy notice's address: what a partner's own form shows beside its box, so that
    ``consent_followup`` sent with a letter stands for the same words we record."""
    campaign = context.running_campaign(slug)
    if campaign is None:
        abort(404)
    response = jsonify(
        organization=consent.organization(campaign),
        wording={locale: consent.wording(campaign, locale) for locale in ("en", "fr")},
        privacy_url=url_for("privacy.campaign", slug=campaign.slug),
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.post("/campaigns/<slug>/calls")
def create_call(slug: str) -> tuple[Response, int]:
    """Ask to be called and bridged to the campaign's targets: 202 with the request's id.

    ``lang`` in the body picks the call's language and that of any error message.
    """
    campaign = context.running_campaign(slug)
    if campaign is None:
        abort(404)
    return _in_callers_language(campaign, _create_call)


def _share_source(body: dict[str, Any]) -> str:
    """The share channel a partner's front-end passes on (``src``, as on share links)."""
    src = body.get("src")
    return clean_source(src if isinstance(src, str) else "")


def _create_call(campaign: Campaign, body: dict[str, Any], locale: str) -> tuple[Response, int]:
    """The rest of ``create_call``, in the caller's language."""
    phone = body.get("phone")
    postal_code = body.get("postal_code")
    fed_num = lookup.parse_fed_num(body.get("fed_num"))
    ref = body.get("ref")
    try:
        settled = context.settle_riding(
            postal_code if isinstance(postal_code, str) else None,
            fed_num,
            code_required=False,
            pick_must_match=True,
        )
    except postal_codes.PostalCodeError as error:
        return _error(error, field="postal_code")
    except lookup.RidingNeeded as error:
        ridings = [presenters.candidate_json(c, locale) for c in error.candidates]
        return _error(error, field="fed_num", ridings=ridings)
    service: CallService = services().calls
    try:
        ask = CallAsk(
            campaign=campaign,
            phone_raw=phone if isinstance(phone, str) else None,
            fed_num=settled.candidate.riding.fed_num,
            locale=locale,
            referral=context.clean_referral(ref if isinstance(ref, str) else ""),
            share_source=_share_source(body),
            ip=request.remote_addr or "",
            riding=settled.candidate,
        )
        call, _stops = service.request(context.db(), ask, queued=True)
    except PhoneError as error:
        return _error(error, field="phone")
    except CallRefused as error:
        return _error(error, error.status)
    context.db().commit()
    service.push(call.id)  # stored as queued: no second transaction for the hand-over
    if services().queue.immediate:
        context.db().refresh(call)  # an inline queue (tests, demos) has placed it already
    status_url = url_for(".call_status", public_id=call.public_id)
    return jsonify(id=call.public_id, status=str(call.status), status_url=status_url), 202


@bp.get("/calls/<public_id>")
def call_status(public_id: str) -> tuple[Response, int]:
    """A call request's status and each target's outcome so far."""
    call = call_requests.by_public_id(context.db(), public_id)
    if call is None:
        abort(404)
    locale = presenters.locale_code()
    progress = plan.progress(context.db(), call, translator(call.locale))
    response = jsonify(call_presenters.call_json(call, progress, locale))
    response.headers["Cache-Control"] = "no-store"
    return response, 200


@bp.post("/campaigns/<slug>/emails")
def create_email(slug: str) -> tuple[Response, int]:
    """Send a letter to the campaign's targets: 202 with its id and status.

    The status is ``awaiting_confirmation`` when the campaign asks supporters to confirm
    their address first, else ``queued``. ``lang`` picks the letter's and errors' language.
    """
    campaign = context.running_campaign(slug)
    if campaign is None or not campaign.emails:
        abort(404)
    return _in_callers_language(campaign, _create_email)


def _create_email(campaign: Campaign, body: dict[str, Any], locale: str) -> tuple[Response, int]:
    """The rest of ``create_email``, in the supporter's language."""
    if campaign.email_mailto:
        message = gettext("This campaign's letters are sent from your own email app.")
        return jsonify(error=message, reason="mailto_only"), 409
    try:
        # The same-words count the answer reports comes with the submission's checks.
        prepared = letter_input.prepare(
            campaign, body, locale, strict_pick=True, count_identical=False
        )
    except letter_input.LetterInputError as error:
        field = next(iter(error.errors))
        ridings = [presenters.candidate_json(c, locale) for c in error.candidates]
        return jsonify(
            error=error.errors[field],
            errors=error.errors,
            reason=error.reason,
            field=field,
            ridings=ridings,
        ), 400
    service: MailService = services().mail
    ref = body.get("ref")
    try:
        ask = prepared.ask(
            consent_followup=body.get("consent_followup") is True,
            referral=context.clean_referral(ref if isinstance(ref, str) else ""),
            share_source=_share_source(body),
            ip=request.remote_addr or "",
            count_identical=True,
        )
        submission = service.submit(context.db(), ask)
    except LetterRefused as error:
        return _error(error, error.status)
    if ask.consent_followup:
        consent_input.record(
            campaign,
            "letter",
            prepared.email,
            src="api",
            locale=locale,
            referral=ask.referral,
            share_source=ask.share_source,
            name=prepared.supporter.name,
            postal_code=prepared.supporter.postal_code,
            fed_num=prepared.candidate.riding.fed_num,
            submission_id=submission.id,
        )
    context.db().commit()
    status = str(submission.status)
    service.enqueue(submission.queued_ids)
    return jsonify(
        id=submission.public_id,
        status=status,
        recipients=submission.recipients,
        identical=submission.identical,
    ), 202

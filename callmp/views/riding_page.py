"""The riding page: whom a supporter contacts, their offices, the talking points, the forms.

Shown by the public pages, re-shown with errors by the call and report forms, and by the
staff preview with its own template.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, render_template, request, session
from flask_babel import gettext
from markupsafe import escape
from wtforms import SelectChoice

from callmp import templating
from callmp.campaigns import targets
from callmp.campaigns.targets import targets_for
from callmp.db import utcnow
from callmp.directory import lookup
from callmp.models import Campaign
from callmp.stats import report_tokens, self_reports
from callmp.views import form_tokens, office_presenters, presenters
from callmp.views.context import (
    cached_ridings,
    content_revision,
    last_lookup,
    riding_candidate,
    running_campaign,
    services,
)
from callmp.views.public_forms import CallForm, ReportForm


def campaign_or_404(slug: str) -> Campaign:
    """The running campaign with ``slug`` (kept per process, see ``running_campaign``),
    or a 404."""
    campaign = running_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


#: The session key of the visitor's id for report limits (not personal: a random id).
CLIENT_KEY = "report_client"


def report_settings() -> report_tokens.ReportSettings:
    """Report tokens and limits, from the app's config."""
    return report_tokens.ReportSettings.from_config(current_app.config)


def report_token(
    kind: str, campaign: Campaign, fed_num: int, target_ids: list[int], *, own_session: bool = True
) -> str:
    """A signed token for this page's report form, bound to the visitor's session when
    there is one (without cookies, every page is its own client; staff previews never
    touch the session)."""
    client = session.get(CLIENT_KEY) if own_session else None
    if not isinstance(client, str) or not client:
        client = report_tokens.new_client_id()
        if own_session:
            session[CLIENT_KEY] = client
    return report_tokens.issue(
        report_settings(),
        kind,
        campaign_id=campaign.id,
        fed_num=fed_num,
        target_ids=target_ids,
        client=client,
        now=utcnow(),
    )


def reporter(token: str) -> self_reports.Reporter:
    """Who is reporting: the posted token, the client's address, now."""
    return self_reports.Reporter(
        settings=report_settings(),
        token=token,
        ip=request.remote_addr or "",
        now=utcnow(),
    )


def _report_form(item: targets.ResolvedTarget, token: str, locale: str) -> ReportForm:
    """The "how did it go?" form for one target, listing its offices with a number."""
    form = ReportForm(prefix=f"t{item.target.id}", formdata=None)
    offices = [o for o in item.offices if o.phone]
    form.office.choices = [SelectChoice(str(o.id), o.label(locale)) for o in offices]
    form.office.data = offices[0].id if offices else None
    form.token.data = token
    return form


@dataclass
class Marks:
    """What a riding page drawn with stand-ins needs to be finished for a visitor: the
    targets its report token covers, and the parts that change with the time of day."""

    reported: list[int] = field(default_factory=list)
    timely: office_presenters.Timely | None = None
    #: Whether the supporter's postal code is a stand-in too (asked by the caller).
    postal_code: bool = False


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
    language: tuple[str, str] | None = None,
    marked: Marks | None = None,
    **context: Any,
) -> tuple[str, int]:
    """Render the riding page, with forms carrying the supporter's input and errors if given.

    ``language``: the id of the form holding the supporter's input and where it posts; the
    language switch then sends that input along instead of losing it.

    Staff previews pass the campaign (any status), the postal code to fill in, and their
    own template extending the riding page; the supporter's session is not read.

    ``marked`` (see ``shared_riding_page``): render stand-ins instead of the visitor's
    tokens and of the parts that change with the time of day, and note in it what is
    needed to put them in.
    """
    item = preview if preview is not None else campaign_or_404(slug)
    candidate = riding_candidate(fed_num)
    if candidate is None:
        abort(404)
    locale = presenters.locale_code()
    last = last_lookup(slug) if preview is None else None
    postal_code = preview_postal_code
    notice = None
    alternatives: list[lookup.Candidate] = []
    chosen = False
    if last and fed_num in last["ridings"]:
        postal_code = last["postal_code"]
        if marked is not None and marked.postal_code:
            postal_code = _POSTAL_MARK
        match = lookup.Match(last["match"])
        # After the choice a split area or a rural code asks for, the supporter has
        # chosen: no "please choose" again.
        chosen = match in lookup.CHOOSE
        if not chosen and match not in (lookup.Match.exact, lookup.Match.territory):
            message = lookup.NOTICES.get(match)
            notice = gettext(message) if message else None
            others = [f for f in last["ridings"] if f != fed_num]
            found = cached_ridings(others)
            alternatives = [
                lookup.Candidate(found[f], found[f].member) for f in others if f in found
            ]
    targets = targets_for(item, candidate)
    reported = [t.target.id for t in targets if t.person]
    if marked is not None:
        marked.reported = reported
        token = _REPORT_MARK
    else:
        token = report_token(
            report_tokens.DIRECT, item, fed_num, reported, own_session=preview is None
        )
    forms = report_forms or {}
    for form in forms.values():
        form.token.data = token  # a form shown again gets a fresh token
    timely = office_presenters.Timely(targets, utcnow(), _TIME_MARK if marked is not None else None)
    cards: list[dict[str, Any]] = [
        {
            "item": target,
            "talking_points": presenters.talking_points(item, target, postal_code, locale),
            "report": forms.get(target.target.id) or _report_form(target, token, locale),
        }
        for target in targets
    ]
    service = services().calls
    call_form = call_form or CallForm(formdata=None)
    if marked is not None:
        for form in [call_form, *(card["report"] for card in cards)]:
            form.csrf_token.current_token = _CSRF_MARK
        marked.timely = timely
    page = render_template(
        template,
        campaign=item,
        candidate=candidate,
        cards=cards,
        postal_code=postal_code,
        notice=notice,
        alternatives=alternatives,
        chosen=chosen,
        timely=timely,
        call_form=call_form,
        bridged=item.bridged_calls,
        direct=item.direct_calls or service.local,
        local_telephony=service.local,
        emails=item.emails,
        language_form=language[0] if language else None,
        language_action=language[1] if language else None,
        **context,
    )
    return page, status


#: Stand-ins for a visitor's own tokens in a riding page kept per process: random, so no
#: text a lead or the data holds can be mistaken for them. The parts that change with the
#: time of day are marked by ``_TIME_MARK``, their name and a full stop.
_CSRF_MARK = f"csrf-{secrets.token_hex(16)}"
_REPORT_MARK = f"report-{secrets.token_hex(16)}"
_TIME_MARK = f"time-{secrets.token_hex(16)}-"
_POSTAL_MARK = f"postal-{secrets.token_hex(16)}"
_MARKS = re.compile(
    f"({_CSRF_MARK}|{_REPORT_MARK}|{_POSTAL_MARK}|{_TIME_MARK}[a-z_]+(?:-[0-9]+)?\\.)"
)


#: The placeholders that put the supporter's postal code in a text.
_POSTAL_PLACEHOLDERS = frozenset({"postal_code", "supporter_postal_code"})

#: How a campaign's riding pages show the supporter's postal code, in one language: not at
#: all, in text only (where a stand-in can be replaced by the code, escaped), or in a
#: link's address too (percent-encoded there: each code is then a page of its own).
NOT_SHOWN, IN_TEXT, IN_LINKS = "not shown", "in text", "in links"


def _postal_code_use(campaign: Campaign, locale: str) -> str:
    """How ``campaign``'s riding pages in ``locale`` show the supporter's postal code.

    Only talking points that say ``{postal_code}`` show it: the page's other parts read
    the last lookup's kind of match and its ridings, never its code.
    """
    texts = [target.words("talking_points", locale) for target in campaign.targets]
    if not any(_POSTAL_PLACEHOLDERS.intersection(templating.placeholders_in(t)) for t in texts):
        return NOT_SHOWN
    if any(_POSTAL_PLACEHOLDERS.intersection(templating.placeholders_in_links(t)) for t in texts):
        return IN_LINKS
    return IN_TEXT


def shared_riding_page(slug: str, fed_num: int) -> tuple[str, int]:
    """The riding page as a visitor gets it with nothing typed and no message waiting.

    It is the same for every such visitor with the same last lookup (its kind and
    ridings), in one language, except the tokens (the forms' CSRF token, the report
    token), the postal code where the talking points say it, and the parts that change
    with the time of day (offices say whether they are open, with their local time). So
    it is rendered once per content revision with stand-ins, kept per process; the time's
    parts are drawn once a minute, and each visitor's tokens and code are put in. A code
    in a link's address is percent-encoded, not a stand-in: each code is then a page of
    its own.
    """
    # Embedded pages carry the visitor's flow state in their links: not shared either.
    if session.get("_flashes") or form_tokens.carried_state().get("embed"):
        return riding_page(slug, fed_num)
    item = campaign_or_404(slug)
    last = last_lookup(slug)
    locale = presenters.locale_code()
    revision = content_revision()
    kept = services().running.derived
    seen = None
    use = NOT_SHOWN
    if last and fed_num in last["ridings"]:
        use = kept.get(
            revision, ("postal code use", slug, locale), lambda: _postal_code_use(item, locale)
        )
        # The code itself only where it is percent-encoded: each supporter's page is then
        # their own. In text it is a stand-in, like the tokens.
        code = last["postal_code"] if use == IN_LINKS else None
        seen = (code, last["match"], tuple(last["ridings"]))

    def render() -> tuple[tuple[str, ...], Marks]:
        marks = Marks(postal_code=use == IN_TEXT)
        page, _status = riding_page(slug, fed_num, marked=marks)
        return tuple(_MARKS.split(page)), marks

    # The kept page, cut at the stand-ins: text, mark, text, mark, ..., text.
    parts, marks = kept.get(revision, ("riding page", slug, fed_num, locale, seen), render)
    timely = marks.timely
    assert timely is not None
    minute = utcnow().replace(second=0, microsecond=0)
    times = kept.get(
        revision, ("riding times", slug, fed_num, locale, minute), lambda: timely.parts(minute)
    )
    fills = {
        **times,
        _REPORT_MARK: report_token(report_tokens.DIRECT, item, fed_num, marks.reported),
        _CSRF_MARK: form_tokens.issue(slug, form_tokens.flow_state()),
    }
    if use == IN_TEXT and last is not None:
        # As ``presenters.placeholder_values`` fills it in, escaped as any page text.
        fills[_POSTAL_MARK] = str(escape(last["postal_code"] or targets.POSTAL_CODE_BLANK))
    return "".join([fills[part] if i % 2 else part for i, part in enumerate(parts)]), 200

"""Read a letter from a form or a JSON body: the same checks for the page and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from callmp.campaigns.targets import ResolvedTarget, targets_for
from callmp.directory import lookup, postal_codes
from callmp.i18n import InputError
from callmp.letters import checks, submit
from callmp.letters import compose as letters
from callmp.letters.compose import Letter, Supporter
from callmp.models import Campaign
from callmp.views import context


@dataclass
class LetterInputError(Exception):
    """What is wrong, per field, in the supporter's language."""

    errors: dict[str, str]
    reason: str
    candidates: list[lookup.Candidate] = field(default_factory=list)


@dataclass
class Prepared:
    """A letter that passed every check, ready to preview or to send."""

    campaign: Campaign
    candidate: lookup.Candidate
    supporter: Supporter
    email: str
    personal_line: str
    letters: list[Letter]
    fingerprint: str
    identical: int  # letters with the same words already sent in this campaign (if counted)

    def ask(
        self,
        *,
        consent_followup: bool,
        referral: str,
        ip: str,
        share_source: str = "",
        count_identical: bool = False,
    ) -> submit.LetterAsk:
        """The letter to submit, with the supporter's consent and where it came from
        (``count_identical``: the submission counts the letters with the same words)."""
        return submit.LetterAsk(
            campaign=self.campaign,
            letters=self.letters,
            supporter=self.supporter,
            email=self.email,
            personal_line=self.personal_line,
            fingerprint=self.fingerprint,
            fed_num=self.candidate.riding.fed_num,
            consent_followup=consent_followup,
            referral=referral,
            share_source=share_source,
            ip=ip,
            count_identical=count_identical,
        )


def _text(data: Mapping[str, Any], name: str) -> str | None:
    """A string value from the form or JSON body (anything else counts as missing)."""
    value = data.get(name)
    return value if isinstance(value, str) else None


def riding_from_input(
    raw_postal: str | None,
    pick: int | None,
    strict: bool,
    errors: dict[str, str],
    known: lookup.Candidate | None = None,
) -> tuple[lookup.Settled | None, list[lookup.Candidate]]:
    """Settle the riding from the postal code (a pick only where it allows), noting errors.

    ``strict``: a pick that does not match the code is an error; otherwise it was the
    page's riding, and a code from elsewhere decides.
    """
    try:
        settled = context.settle_riding(
            raw_postal, pick, code_required=True, pick_must_match=strict, known=known
        )
    except postal_codes.PostalCodeError as error:
        errors["postal_code"] = gettext(error.message, **error.params)
        return None, []
    except lookup.RidingNeeded as error:
        unknown = error.reason == "fed_num"
        errors["fed_num" if error.candidates or unknown else "postal_code"] = gettext(error.message)
        return None, error.candidates
    return settled, settled.result.candidates if settled.result else []


def _draft(
    campaign: Campaign, candidate: lookup.Candidate, targets: list[ResolvedTarget], locale: str
) -> tuple[str, str]:
    """The draft the supporter starts from in this riding (``compose.draft``): content
    only, so worked out once per content revision in this process."""
    key = ("letter-draft", campaign.id, candidate.riding.fed_num, locale)
    return context.services().running.derived.get(
        context.content_revision(), key, lambda: letters.draft(campaign, targets, locale)
    )


def prepare(
    campaign: Campaign,
    data: Mapping[str, Any],
    locale: str,
    *,
    strict_pick: bool = False,
    known: lookup.Candidate | None = None,
    count_identical: bool = True,
) -> Prepared:
    """Check everything the supporter sent and compose the letters; raises LetterInputError.

    ``strict_pick``: a riding number that doesn't match the postal code is an error (API);
    otherwise the postal code wins (the page's own riding is only a default). ``known``:
    the page's riding, already loaded. ``count_identical=False``: ``identical`` is left at 0
    (the submission counts them: ``LetterAsk.count_identical``).
    """
    errors: dict[str, str] = {}

    def clean(name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InputError as error:
            errors[name] = gettext(error.message, **error.params)
            return None

    name = clean("name", letters.clean_name, _text(data, "name"))
    email = (
        "" if campaign.email_mailto else clean("email", letters.clean_email, _text(data, "email"))
    )
    city = clean("city", letters.clean_city, _text(data, "city")) or ""
    raw_subject = _text(data, "subject")
    raw_body = _text(data, "body")
    subject = clean("subject", letters.clean_subject, raw_subject) if raw_subject else None
    body = clean("body", letters.clean_body, raw_body) if raw_body is not None else None
    personal_line = clean(
        "personal_line",
        letters.clean_personal_line,
        _text(data, "personal_line"),
        campaign.email_personal_line_required,
    )
    settled, choices = riding_from_input(
        _text(data, "postal_code"),
        lookup.parse_fed_num(data.get("fed_num")),
        strict_pick,
        errors,
        known,
    )
    if errors or settled is None or settled.result is None:
        reason = "choose_riding" if "fed_num" in errors else "invalid"
        raise LetterInputError(errors, reason, choices)
    candidate, postal_code = settled.candidate, settled.result.postal_code
    supporter = Supporter(name=name, postal_code=postal_code, city=city, locale=locale)
    targets = targets_for(campaign, candidate)
    shown_subject, shown_body = _draft(campaign, candidate, targets, locale)
    composed = letters.compose(
        campaign,
        targets,
        supporter,
        subject=subject,
        body=body,
        personal_line=personal_line,
        shown=(shown_subject, shown_body),
    )
    if not composed:
        message = gettext("None of the people for your riding has an email address we know.")
        raise LetterInputError({"postal_code": message}, "no_recipient")
    fingerprint = letters.fingerprint(subject or shown_subject, body or shown_body, personal_line)
    return Prepared(
        campaign=campaign,
        candidate=candidate,
        supporter=supporter,
        email=email,
        personal_line=personal_line,
        letters=composed,
        fingerprint=fingerprint,
        identical=checks.identical_count(context.db(), campaign.id, fingerprint)
        if count_identical
        else 0,
    )


def count_identical(prepared: Prepared) -> None:
    """Count the letters with the same words, where ``prepare`` was told not to."""
    prepared.identical = checks.identical_count(
        context.db(), prepared.campaign.id, prepared.fingerprint
    )

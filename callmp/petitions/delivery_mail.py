"""The email that carries a petition to one recipient, in the recipient's language.

Domain code: no Flask. An MP hears how many of their own constituents signed (and how
many since their previous delivery) with those constituents' comments; a signer's name
and city go with a comment only when the signer ticked ``share_with_target``. A minister
hears the national total and the totals by province. Never a signer's email address,
postal code or IP. Everything a signer or a lead typed is put on one line, without
control characters, so it cannot start a header or fake a part of the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from callmp.campaigns import targets
from callmp.i18n import N_, french_spacing, translator
from callmp.letters import smtp
from callmp.letters.compose import letter_locale
from callmp.letters.records import MailSettings, from_address
from callmp.models import Campaign, EmailMessage, MessageKind, MessageStatus, Person

#: Comments quoted in one message at most (the newest first); the count says the rest.
MAX_COMMENTS = 200
COMMENT_MAX = 1000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, control characters gone, cut to ``limit`` characters."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


@dataclass(frozen=True)
class Comment:
    """A constituent's comment, with their name and city only when they agreed."""

    text: str
    name: str = ""
    city: str = ""


@dataclass(frozen=True)
class ProvinceCount:
    """Signatures from one province or territory."""

    name_en: str
    name_fr: str
    signatures: int

    def name(self, locale: str) -> str:
        """The province's name in ``locale``."""
        return self.name_fr if locale == "fr" else self.name_en


@dataclass(frozen=True)
class Counts:
    """What one recipient is told: their count, the new ones, and the national figures."""

    signatures: int
    new_signatures: int
    first: bool  # no previous delivery to this recipient
    national: int
    riding: str = ""  # the riding's name in the message's language (MPs only)
    provinces: Sequence[ProvinceCount] = ()
    comments: Sequence[Comment] = ()
    more_comments: int = 0


def recipient_locale(campaign: Campaign, person: Person | None) -> str:
    """The recipient's preferred language, else the campaign's first language."""
    first = (campaign.languages.split() or ["en"])[0]
    return letter_locale(person, "fr" if first == "fr" else "en")


def _petition(campaign: Campaign, locale: str, translate: Callable[[str], str]) -> list[str]:
    """The petition's title and text in ``locale``."""
    title = campaign.text("petition_title", locale) or campaign.text("title", locale)
    text = campaign.text("petition_text", locale).replace("\r\n", "\n").strip()
    return [translate(N_("The petition:")), one_line(title), _CONTROL.sub("", text) or "-"]


def _comment_lines(counts: Counts, translate: Callable[[str], str]) -> list[str]:
    """The constituents' comments, one per line."""
    if not counts.comments:
        return []
    lines = [translate(N_("Comments from your constituents:"))]
    for comment in counts.comments:
        who = ", ".join(part for part in (comment.name, comment.city) if part)
        signed = who or translate(N_("a constituent"))
        lines.append(f"- {comment.text} ({signed})")
    if counts.more_comments:
        lines.append(
            translate(N_("Comments not shown here: %(n)s.")) % {"n": str(counts.more_comments)}
        )
    return ["\n".join(lines)]


def body_text(
    campaign: Campaign, person: Person, counts: Counts, locale: str, mp: bool
) -> tuple[str, str]:
    """(subject, body) of one recipient's message in ``locale``."""
    translate = translator(locale)
    title = one_line(campaign.text("petition_title", locale) or campaign.text("title", locale))
    name = targets.display_name(person, translate)
    values = {
        "name": name,
        "title": title,
        "count": str(counts.signatures),
        "new": str(counts.new_signatures),
        "total": str(counts.national),
        "riding": counts.riding,
    }
    lines = [translate(N_("Dear %(name)s,")) % values]
    if mp:
        subject = translate(N_("Petition “%(title)s”: your constituents who signed: %(count)s"))
        lines.append(
            translate(
                N_("Your constituents in %(riding)s who have signed this petition: %(count)s.")
            )
            % values
        )
    else:
        subject = translate(N_("Petition “%(title)s”: signatures across Canada: %(total)s"))
        lines.append(
            translate(N_("People across Canada who have signed this petition: %(total)s.")) % values
        )
    if not counts.first:
        lines.append(translate(N_("New since our previous delivery: %(new)s.")) % values)
    if mp:
        lines.append(translate(N_("Signatures across Canada: %(total)s.")) % values)
    if counts.provinces:
        by_province = [translate(N_("Signatures by province or territory:"))]
        by_province += [f"- {p.name(locale)}: {p.signatures}" for p in counts.provinces]
        lines.append("\n".join(by_province))
    lines.extend(_petition(campaign, locale, translate))
    lines.extend(_comment_lines(counts, translate))
    lines.append(
        translate(
            N_(
                "Signers' names and cities are shared only with their agreement. Their email "
                "and postal addresses are never shared."
            )
        )
    )
    lines.append("— " + one_line(campaign.organization_name or campaign.text("title", locale)))
    body = "\n\n".join(lines) + "\n"
    if locale == "fr":
        subject, body = french_spacing(subject), french_spacing(body)
    return one_line(subject % values, 300), body


def delivery_message(
    campaign: Campaign,
    person: Person,
    to_address: str,
    counts: Counts,
    *,
    mp: bool,
    settings: MailSettings,
    now: datetime,
) -> EmailMessage:
    """The queued message that carries ``counts`` to ``person`` (ValueError: bad headers)."""
    locale = recipient_locale(campaign, person)
    subject, body = body_text(campaign, person, counts, locale, mp)
    sender = from_address(campaign, settings)
    from_name = one_line(campaign.organization_name or campaign.text("title", locale), 200)
    to_name = one_line(targets.display_name(person, translator(locale)), 200)
    # Built once now, as the worker will: a header that cannot be sent fails here, clearly.
    message_id = smtp.new_message_id(sender)
    smtp.build_message(
        smtp.OutgoingMail(
            message_id=message_id,
            from_name=from_name,
            from_address=sender,
            to_name=to_name,
            to_address=to_address,
            reply_to_name="",
            reply_to_address=None,
            subject=subject,
            body=body,
            locale=locale,
        ),
        now,
    )
    return EmailMessage(
        campaign_id=campaign.id,
        kind=MessageKind.petition_delivery,
        person_id=person.id,
        locale=locale,
        from_name=from_name,
        from_address=sender,
        to_name=to_name,
        to_address=to_address,
        subject=subject,
        body=body,
        message_id=message_id,
        status=MessageStatus.queued,
        queued_at=now,
        created_at=now,
        updated_at=now,
    )

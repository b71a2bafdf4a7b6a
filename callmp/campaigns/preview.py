"""What a supporter in one riding would hear on a bridged call and get as letter drafts.

Domain code: no Flask, and nothing is stored or counted. The spoken text comes from the
call flow's own builders (``calls.flow_plan``, ``calls.twiml``), so the preview says what the voice
will say; the letters come from ``letters.compose`` as it drafts them for each target.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from callmp.calls import flow_plan, twiml
from callmp.campaigns import targets
from callmp.campaigns.targets import ResolvedTarget
from callmp.directory import lookup
from callmp.i18n import translator
from callmp.letters import compose
from callmp.models import CallRequest, Campaign

#: Stand-ins for what only a real call has (webhook URLs, a caller ID): never shown.
_URL = "https://preview.invalid/"
_CALLER_ID = "+16135550100"
Translate = twiml.Translate


@dataclass(frozen=True)
class SpokenStop:
    """One target of the call: who the voice says, what it says, which numbers it dials."""

    label: str
    announce: list[str]  # said before dialling (or instead, when there is no number)
    talking_points: str  # read out when the supporter presses 2
    numbers: list[str]  # the offices dialled, in order


@dataclass(frozen=True)
class SpokenCall:
    """The whole call as the voice would say it."""

    greeting: list[str]
    stops: list[SpokenStop]


@dataclass(frozen=True)
class LetterDraft:
    """The letter a supporter starts from, for one target with an email address."""

    item: ResolvedTarget
    locale: str
    to_address: str
    subject: str
    salutation: str  # the greeting the letter opens with ("Dear Minister Metlege Diab,")
    body: str


@dataclass(frozen=True)
class Preview:
    """Everything the preview shows besides the riding page itself."""

    spoken: SpokenCall
    letters: list[LetterDraft]
    no_address: list[ResolvedTarget]  # targets no letter can go to


def _said(document: str) -> list[str]:
    """What a TwiML document says, in order, up to its menu's prompt.

    What follows a <Gather> is only said when no key is pressed; the preview leaves it out.
    """
    root = ET.fromstring(document)  # noqa: S314 - our own TwiML, built just above
    spoken: list[str] = []
    for element in root:
        if element.tag == "Say":
            spoken.append(element.text or "")
        elif element.tag == "Gather":
            return spoken + [say.text or "" for say in element.iter("Say")]
    return spoken


def _announce(
    stop: flow_plan.FlowStop, first: bool, voice: twiml.Voice, translate: Translate
) -> list[str]:
    """What the voice says from the previous step up to dialling this target."""
    spoken: list[str] = []
    if not first:
        spoken += _said(
            twiml.next_target(
                target_label=stop.label, gather_url=_URL, voice=voice, translate=translate
            )
        )
    if not stop.legs:
        return spoken + _said(
            twiml.no_number(target_label=stop.label, voice=voice, translate=translate)
        )
    leg = stop.legs[0]
    return spoken + _said(
        twiml.connect(
            target_label=stop.label,
            number=leg.number,
            send_digits=leg.send_digits,
            caller_id=_CALLER_ID,
            time_limit=60,
            dial_timeout=30,
            action_url=_URL,
            voice=voice,
            translate=translate,
        )
    )


def spoken_call(
    session: Session, campaign: Campaign, fed_num: int, locale: str, now: datetime
) -> SpokenCall:
    """The bridged call for a supporter in ``fed_num`` speaking ``locale``, as said aloud."""
    translate = translator(locale)
    # A call that is never stored: the plan is built exactly as for a real one.
    call = CallRequest(campaign_id=campaign.id, fed_num=fed_num, locale=locale, created_at=now)
    plan = flow_plan.build(session, call, translate)
    voice = twiml.voice_for(locale)
    greeting = _said(
        twiml.greeting(intro=plan.intro, gather_url=_URL, voice=voice, translate=translate)
    )
    stops = [
        SpokenStop(
            label=stop.label,
            announce=_announce(stop, index == 0, voice, translate),
            talking_points=stop.spoken_points(),
            numbers=[leg.number for leg in stop.legs],
        )
        for index, stop in enumerate(plan.stops)
    ]
    return SpokenCall(greeting=greeting, stops=stops)


def letter_drafts(
    campaign: Campaign, targets: list[ResolvedTarget], locale: str
) -> tuple[list[LetterDraft], list[ResolvedTarget]]:
    """Each target's letter as drafted in its own language, and the targets with no address."""
    reachable = compose.recipients(targets)
    drafts = []
    for item in reachable:
        assert item.person is not None  # recipients() keeps people with an address
        language = compose.letter_locale(item.person, locale)
        subject, body = compose.template_texts(campaign, item, None, language)
        salutation = compose.greeting(item, body, language)
        drafts.append(LetterDraft(item, language, item.email, subject, salutation, body))
    return drafts, [item for item in targets if item not in reachable]


def build(
    session: Session, campaign: Campaign, fed_num: int, locale: str, now: datetime
) -> Preview | None:
    """The call and letters for a supporter in riding ``fed_num``; None if no such riding."""
    candidate = lookup.riding(session, fed_num)
    if candidate is None:
        return None
    drafts, no_address = letter_drafts(campaign, targets.targets_for(campaign, candidate), locale)
    spoken = spoken_call(session, campaign, fed_num, locale, now)
    return Preview(spoken=spoken, letters=drafts, no_address=no_address)

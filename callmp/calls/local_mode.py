"""Local telephony's walk through a call: the same webhook handlers as Twilio, no phone.

The supporter "answers", presses 2 at the first menu to hear the talking points, then 1
at every menu; each office "answers" and talks for a while. Every TwiML document the
handlers return is parsed and followed like Twilio would, so what the demo shows is what
a real call would say and dial, and it is counted the same way. The transcript (speech,
keys, office numbers: no personal data) is kept on the request for the supporter's status
page and written to the log.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from sqlalchemy.orm import Session

from callmp.calls import webhooks
from callmp.models import CallRequest

log = logging.getLogger(__name__)

#: How many TwiML documents one simulated call may go through (a loop guard).
MAX_DOCUMENTS = 60
#: How long a simulated office conversation lasts beyond the "connected" threshold.
EXTRA_TALK_S = 45


def _query_int(url: str, name: str) -> int:
    """An integer query parameter of a webhook URL (0 when absent)."""
    values = parse_qs(urlsplit(url).query).get(name) or ["0"]
    return int(values[0])


def _follow(
    session: Session,
    call: CallRequest,
    ctx: webhooks.FlowContext,
    document: str,
    transcript: list[dict[str, Any]],
) -> str | None:
    """Note what ``document`` says and does; the next document, or None when it hangs up."""
    root = ElementTree.fromstring(document)  # noqa: S314 - our own TwiML, not outside input
    for element in root:
        if element.tag == "Say":
            transcript.append({"say": element.text or ""})
        elif element.tag == "Gather":
            transcript.extend({"say": say.text or ""} for say in element.iter("Say"))
            # The first menu hears the talking points (2) so the demo shows them; then 1.
            key = "1" if any("press" in line for line in transcript) else "2"
            transcript.append({"press": key})
            step = _query_int(element.get("action", ""), "step")
            return webhooks.gather(session, call, ctx, step, key)
        elif element.tag == "Dial":
            number = element.find("Number")
            transcript.append(
                {
                    "dial": (number.text or "") if number is not None else "",
                    "digits": number.get("sendDigits", "") if number is not None else "",
                }
            )
            action = element.get("action", "")
            return webhooks.dialled(
                session,
                call,
                ctx,
                step=_query_int(action, "step"),
                office=_query_int(action, "office"),
                dial_status="completed",
                duration=ctx.settings.connected_after_s + EXTRA_TALK_S,
            )
        elif element.tag == "Hangup":
            return None
    return None


def simulate(
    session: Session, call: CallRequest, ctx: webhooks.FlowContext
) -> list[dict[str, Any]]:
    """Walk ``call`` (already placed with local telephony) from ringing to hang-up."""
    sid = call.provider_sid or ""
    transcript: list[dict[str, Any]] = []
    webhooks.status_changed(session, sid, "ringing")
    webhooks.status_changed(session, sid, "in-progress")
    document: str | None = webhooks.answer(session, call, ctx)
    for _ in range(MAX_DOCUMENTS):
        if document is None:
            break
        document = _follow(session, call, ctx, document, transcript)
    webhooks.status_changed(session, sid, "completed")
    call.transcript = json.dumps(transcript, ensure_ascii=False)
    for line in transcript:
        log.info("Local call %s: %s", call.public_id, json.dumps(line, ensure_ascii=False))
    return transcript

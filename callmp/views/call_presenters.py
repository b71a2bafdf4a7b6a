"""What the supporter sees of a call request: status in words, targets and outcomes (no queries)."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext

from callmp.calls.plan import StopProgress
from callmp.calls.telephony import USER_MESSAGES
from callmp.campaigns import targets
from callmp.i18n import N_
from callmp.models import CallRequest, CallStatus, Outcome
from callmp.models.calls import FINAL

STATUS_MESSAGES = {
    CallStatus.pending: N_("Your call is in line. We'll call you in a moment."),
    CallStatus.queued: N_("Your call is in line. We'll call you in a moment."),
    CallStatus.placing: N_("We're calling you now."),
    CallStatus.ringing: N_("Your phone should be ringing now. Answer it and press 1."),
    CallStatus.in_progress: N_("You're on the call. Thank you!"),
    CallStatus.completed: N_("The call has ended. Thank you for making your voice heard!"),
    CallStatus.failed: N_("We couldn't complete the call."),
    CallStatus.blocked: N_("You asked not to be called again. We won't call this number."),
}
#: Why the supporter's own phone didn't take the call.
SUPPORTER_MESSAGES = {
    "supporter_busy": N_("Your line was busy. You can ask for another call."),
    "supporter_no_answer": N_("You didn't pick up. You can ask for another call."),
    "supporter_canceled": N_("The call was cancelled. You can ask for another call."),
    "supporter_failed": N_(
        "We couldn't reach your phone. Please check the number, or call the office yourself."
    ),
    "no_caller_id": N_("Calls are not set up for this campaign yet."),
}
OUTCOME_LABELS = {
    Outcome.connected: N_("Connected"),
    Outcome.short: N_("Connected briefly"),
    Outcome.busy: N_("Busy"),
    Outcome.no_answer: N_("No answer"),
    Outcome.failed: N_("Could not connect"),
    Outcome.cancelled: N_("Skipped"),
    Outcome.no_number: N_("No phone number"),
    Outcome.talked_to_staff: N_("Talked to staff"),
    Outcome.left_voicemail: N_("Left a voicemail"),
    Outcome.skipped: N_("Skipped"),
    Outcome.queued: N_("Queued"),
    Outcome.sent: N_("Sent"),
}


def status_message(call: CallRequest) -> str:
    """The call's state in plain words, in the current language."""
    if call.status == CallStatus.failed:
        reason = call.error_reason
        provider = {str(key): value for key, value in USER_MESSAGES.items()}
        message = SUPPORTER_MESSAGES.get(reason) or provider.get(reason)
        if message:
            return str(gettext(message))
    return str(gettext(STATUS_MESSAGES[call.status]))


def transcript(call: CallRequest) -> list[dict[str, str]] | None:
    """What local telephony would have said and dialled, or None for real calls."""
    if not call.transcript:
        return None
    lines = json.loads(call.transcript)
    return [line for line in lines if isinstance(line, dict)]


def call_json(call: CallRequest, progress: list[StopProgress], locale: str) -> dict[str, Any]:
    """The API's view of a call request: status, each target's outcomes, local transcript."""
    return {
        "id": call.public_id,
        "status": str(call.status),
        "finished": call.status in FINAL,
        "message": status_message(call),
        "reason": call.error_reason or None,
        "targets": [
            {
                "position": index + 1,
                "name": item.stop.item.person.full_name if item.stop.item.person else None,
                "role": targets.target_role(item.stop.item, locale, gettext),
                "dialable": bool(item.stop.legs),
                "attempts": [
                    {
                        "office": _office_label(item, event.office_id, locale),
                        "outcome": str(event.outcome),
                        "outcome_label": gettext(OUTCOME_LABELS[event.outcome]),
                        "duration_s": event.duration_s,
                    }
                    for event in item.events
                ],
            }
            for index, item in enumerate(progress)
        ],
        "transcript": transcript(call),
    }


def _office_label(item: StopProgress, office_id: int | None, locale: str) -> str | None:
    """The label of the office an attempt went to."""
    for leg in item.stop.legs:
        if leg.office.id == office_id:
            return leg.office.label(locale)
    return None

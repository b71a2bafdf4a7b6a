"""The call flow at domain level: the demo's numbers, the handlers' context, a placed call."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from callmp.calls import call_requests, webhooks
from callmp.calls.call_requests import CallAsk, CallSettings
from callmp.calls.telephony import LocalTelephony
from callmp.calls.webhooks import FlowContext
from callmp.i18n import translator
from callmp.models import CallRequest, CallStatus, Campaign
from tests.support.app import CALLER_ID, OFFICES_OPEN, PUBLIC_URL

KEY = b"test-hmac-key"
SETTINGS = CallSettings(hmac_key=KEY, allow_fictional=True)
PHONE = "613-555-0142"
# Wednesday 25 November 2026 (EST, PST): 10:00 in Ottawa is 07:00 in Vancouver ...
OTTAWA_MORNING = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
# ... and 17:30 in Ottawa (Hill offices closed) is 14:30 in Vancouver (riding office open).
OTTAWA_EVENING = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
SPADINA = 35100  # Chi Nguyen: Hill office, then a Toronto office
ABBOTSFORD = 59001  # a BC riding: Hill office on Ottawa time, riding office on Vancouver time
VACANT = 35015  # no member: the own-MP target has nothing to dial
SPADINA_HILL = "+16139922352"
SPADINA_RIDING = "+14165331340"
MINISTER = "+16139963085"
MP_LABEL = "Chi Nguyen, your MP"
MINISTER_LABEL = "Lena Metlege Diab, the Minister of Immigration, Refugees and Citizenship"


def context(locale: str = "en") -> FlowContext:
    """The handlers' context, as the app builds it."""
    return FlowContext(
        settings=SETTINGS,
        public_url=PUBLIC_URL,
        caller_id=CALLER_ID,
        translate=translator(locale),
        clock=lambda: OFFICES_OPEN,
    )


def new_call(
    session: Session,
    campaign: Campaign,
    fed_num: int | None = SPADINA,
    *,
    phone: str = PHONE,
    locale: str = "en",
    now: datetime = OTTAWA_MORNING,
) -> CallRequest:
    """A request accepted, claimed and placed (local telephony), as the queue would."""
    ask = CallAsk(
        campaign=campaign,
        phone_raw=phone,
        fed_num=fed_num,
        locale=locale,
        referral="partner-a",
        ip="192.0.2.1",
    )
    call, _stops = call_requests.request_call(session, ask, settings=SETTINGS, now=now)
    session.commit()
    assert call_requests.claim(session, call.id, now) is call
    urls = webhooks.call_urls(context(locale), call, None)
    assert call_requests.place(
        session,
        LocalTelephony(),
        call,
        from_number=CALLER_ID,
        urls=urls,
        settings=SETTINGS,
        now=now,
    )
    session.commit()
    assert call.status == CallStatus.ringing
    return call

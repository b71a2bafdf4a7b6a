"""Background jobs: the queue that places calls, throttled and retried, and its sweeper.

The ``CallRequest`` row is the source of truth; the queue only carries its id. Huey runs
the jobs: SQLite storage by default, Redis when configured, inline (``immediate``) in
tests. Built from the config by ``CallService.from_config``; no Flask here, so the worker
(``flask worker``) and the web app share the same code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huey import crontab
from huey.api import Huey
from huey.exceptions import RetryTask
from sqlalchemy.orm import Session, sessionmaker

from callmp.calls import call_requests, flow_plan, local_mode, webhooks
from callmp.calls import plan as callplan
from callmp.calls.call_requests import CallAsk, CallRefused, CallSettings
from callmp.calls.call_rows import CallLike, Db
from callmp.calls.telephony import LocalTelephony, Telephony, TwilioTelephony
from callmp.calls.throttle import WindowThrottle
from callmp.config import telephony_backend
from callmp.db import utcnow
from callmp.i18n import N_, translator
from callmp.job_queue import close_queue, make_queue
from callmp.models import CallRequest, CallStatus, Campaign
from callmp.ops.metrics import Metrics

log = logging.getLogger(__name__)

#: Caller ID shown in local mode when nothing is configured (a fictional 555-01xx number).
LOCAL_CALLER_ID = "+16135550100"
#: Longest wait between two tries at placing one call, in seconds.
MAX_BACKOFF_S = 300
#: After a create that timed out: wait the client timeout plus this margin, and at least
#: MIN_RECHECK_S, before looking for the call and maybe creating it again.
RECHECK_MARGIN_S = 50
MIN_RECHECK_S = 60
#: Calls with no news from the provider for this long are closed by the sweeper.
GIVE_UP_AFTER_S = 4 * 3600


def call_settings(config: Mapping[str, Any]) -> CallSettings:
    """Click-to-call limits and timings from the config; the HMAC key derives from SECRET_KEY."""
    secret = str(config["SECRET_KEY"]).encode()
    return CallSettings(
        hmac_key=hmac.new(secret, b"callmp phone numbers", hashlib.sha256).digest(),
        # Local telephony rings no one, so the demo accepts 555-01xx example numbers.
        allow_fictional=bool(config["ALLOW_FICTIONAL_PHONES"])
        or telephony_backend(config) == "local",
        max_per_phone_per_hour=int(config["CALL_MAX_PER_PHONE_PER_HOUR"]),
        max_per_phone_per_day=int(config["CALL_MAX_PER_PHONE_PER_DAY"]),
        max_per_ip_per_hour=int(config["CALL_MAX_PER_IP_PER_HOUR"]),
        dial_timeout_s=int(config["CALL_DIAL_TIMEOUT_S"]),
        time_limit_s=int(config["CALL_TIME_LIMIT_S"]),
        connected_after_s=int(config["CALL_CONNECTED_AFTER_S"]),
        max_attempts=int(config["CALL_MAX_ATTEMPTS"]),
        recheck_after_s=recheck_after(float(config["TWILIO_TIMEOUT"])),
    )


def recheck_after(timeout_s: float) -> int:
    """Seconds a retry waits after a create that timed out: the client timeout plus a margin.

    Twilio may go on creating a call after our client gave up; a look-up before then
    misses it and the supporter is rung twice.
    """
    return max(MIN_RECHECK_S, math.ceil(timeout_s) + RECHECK_MARGIN_S)


def throttle_window(calls_per_second: float) -> tuple[int, int]:
    """(calls, per seconds) for the fixed-window throttle at ``calls_per_second``."""
    if calls_per_second >= 1:
        return math.floor(calls_per_second), 1
    return 1, math.ceil(1 / calls_per_second)


def backoff(attempts: int) -> int:
    """Seconds before try number ``attempts + 1``: 2, 4, 8 ... up to MAX_BACKOFF_S."""
    return int(min(MAX_BACKOFF_S, 2 ** max(1, attempts)))


@dataclass
class CallService:
    """Everything placing and following calls needs, built once per process."""

    sessions: sessionmaker[Session]
    telephony: Telephony
    settings: CallSettings
    public_url: str
    default_from: str
    local: bool
    sweep_after_s: int
    huey: Huey
    throttle: WindowThrottle
    clock: Callable[[], datetime] = utcnow  # "now" for office hours (tests fix it)
    metrics: Metrics = field(default_factory=Metrics)
    _place_task: Callable[[int], Any] = field(init=False)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        sessions: sessionmaker[Session],
        huey: Huey | None = None,
        metrics: Metrics | None = None,
    ) -> CallService:
        """Build the service and its telephony from ``config``, on ``huey`` (or a new queue)."""
        local = telephony_backend(config) == "local"
        telephony: Telephony
        if local:
            telephony = LocalTelephony()
        else:
            telephony = TwilioTelephony(
                config["TWILIO_ACCOUNT_SID"],
                config["TWILIO_AUTH_TOKEN"],
                api_base_url=config["TWILIO_API_BASE_URL"] or None,
                timeout=float(config["TWILIO_TIMEOUT"]),
            )
        huey = huey if huey is not None else make_queue(config)
        limit, per = throttle_window(float(config["CALLS_PER_SECOND"]))
        service = cls(
            sessions=sessions,
            telephony=telephony,
            settings=call_settings(config),
            public_url=str(config["PUBLIC_URL"] or "http://127.0.0.1:5000"),
            default_from=str(config["TWILIO_FROM_NUMBER"] or (LOCAL_CALLER_ID if local else "")),
            local=local,
            sweep_after_s=int(config["CALL_SWEEP_AFTER_S"]),
            huey=huey,
            throttle=WindowThrottle(huey, "calls-per-second", limit, per),
            metrics=metrics or Metrics(),
        )
        service._register_tasks()
        return service

    def _register_tasks(self) -> None:
        """Declare the jobs on this service's Huey instance."""

        @self.huey.task(name="place_call")
        def place_call(call_id: int) -> None:
            """The queue job: place one request, within the calls-per-second throttle."""
            # A duplicate job (sweeper, retried enqueue) must not use up a throttle slot.
            due = self.due_at(call_id)
            if due is None:
                return
            wait = (due - utcnow()).total_seconds()
            if wait > 0:  # a timed-out create's window is still open: come back after it
                raise RetryTask(delay=math.ceil(wait))
            with self.throttle:
                self.place(call_id)

        @self.huey.periodic_task(crontab(minute="*"), name="sweep_calls")
        def sweep_calls() -> None:
            """The periodic job: queue again what the sweeper finds."""
            for call_id in self.sweep():
                self.enqueue(call_id)

        self._place_task = place_call

    def caller_id(self, campaign: Campaign) -> str:
        """The number calls of ``campaign`` come from."""
        return campaign.phone_number or self.default_from

    def context_for(self, db: Db, call: CallLike) -> webhooks.FlowContext:
        """The call flow's context for ``call`` (a webhook), its caller ID from the plan."""
        translate = translator(call.locale)
        plan = flow_plan.of_call(db, call, translate)
        return webhooks.FlowContext(
            settings=self.settings,
            public_url=self.public_url,
            caller_id=plan.caller_id or self.default_from,
            translate=translate,
            clock=self.clock,
        )

    def request(
        self, session: Session, ask: CallAsk, *, queued: bool = False
    ) -> tuple[CallRequest, list[callplan.Stop]]:
        """Check and store a "call me" request, with its plan (the caller commits).

        The caller then calls ``enqueue``, or, with ``queued``, ``push``: the request is
        then stored as queued in the same INSERT, and handing it over opens no second
        transaction (or pooled connection) during the supporter's request.
        """
        if not self.caller_id(ask.campaign):
            raise CallRefused("no_caller_id", N_("Calls are not set up for this campaign yet."))
        status = CallStatus.queued if queued else CallStatus.pending
        return call_requests.request_call(
            session, ask, settings=self.settings, now=utcnow(), status=status
        )

    def enqueue(self, call_id: int) -> None:
        """Hand a stored request to the queue; if the queue is down the sweeper retries."""
        # Marked first: once the job is queued a worker may claim it at any moment.
        with self.sessions() as session:
            call_requests.mark_queued(session, call_id)
            session.commit()
        self.push(call_id)

    def push(self, call_id: int) -> None:
        """Hand a request stored (and committed) as queued to the queue; nothing else.

        With the SQLite queue, Huey keeps one connection to its file per process and
        shares it between threads under a lock, so a push opens no database either. If
        the queue is down, the request waits queued and the sweeper hands it over later.
        """
        self.metrics.call("queued")
        try:
            self._place_task(call_id)
        except Exception:
            log.exception("Could not queue call request %s; the sweeper will retry", call_id)

    def claimable(self, call_id: int) -> bool:
        """True when request ``call_id`` still waits to be placed."""
        with self.sessions() as session:
            return call_requests.claimable(session, call_id)

    def due_at(self, call_id: int) -> datetime | None:
        """When request ``call_id`` may be placed; None when it no longer waits."""
        with self.sessions() as session:
            return call_requests.due_at(session, call_id)

    def place(self, call_id: int) -> None:
        """Place one request (a queue job): claim it, call the provider, follow it locally."""
        with self.sessions() as session:
            now = utcnow()
            call = call_requests.claim(session, call_id, now)
            session.commit()
            if call is None:
                return
            # The plan stored with the request: its caller ID and first office, no query.
            ctx = self.context_for(session, call)
            stops = ctx.plan(session, call).stops
            first = next((stop.legs[0].number for stop in stops if stop.legs), None)
            # A call stored without a plan (an older one) has just had it stored: commit it
            # now, not across the provider's call, where SQLite's write lock would be held.
            session.commit()
            try:
                placed = call_requests.place(
                    session,
                    self.telephony,
                    call,
                    from_number=ctx.caller_id,
                    urls=webhooks.call_urls(ctx, call, first),
                    settings=self.settings,
                    now=now,
                )
            except call_requests.RetryLater as retry:
                session.commit()
                delay = backoff(call.attempts)
                if retry.not_before is not None:
                    wait = (retry.not_before - utcnow()).total_seconds()
                    delay = max(delay, math.ceil(wait))
                log.info("Call request %s: %s; retrying in %s s", call.id, retry, delay)
                raise RetryTask(delay=delay) from retry
            session.commit()
            if placed is not None:
                self.metrics.call("placed")
            elif call.error_reason:
                self.metrics.call("failed")
            if placed is not None and self.local:
                local_mode.simulate(session, call, ctx)
                session.commit()
            elif placed is None:
                log.info("Call request %s not placed: %s", call.id, call.error_reason or "done")

    def sweep(self, now: datetime | None = None) -> list[int]:
        """Re-queue what a crashed worker left behind; close calls with no news."""
        with self.sessions() as session:
            ids = call_requests.sweep(
                session,
                now=now or utcnow(),
                stuck_after_s=self.sweep_after_s,
                give_up_after_s=GIVE_UP_AFTER_S,
            )
            session.commit()
        return ids

    def close(self) -> None:
        """Release the telephony client's connections and the queue's."""
        close = getattr(self.telephony, "close", None)
        if close is not None:
            close()
        close_queue(self.huey)

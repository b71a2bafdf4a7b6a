"""A campaign's history, bulk-inserted for bench_scale.py: letters, calls, contact events.

Core ``INSERT``s in batches (the contact events go through the real triggers, so the
running totals stay exact), with the shapes that matter to queries: every letter goes to
the supporter's MP and to the Minister (one hot target), a third of the calls and letters
come from one IP address (one hot key of the per-IP limits), ridings differ in turnout,
and more happened recently than a month ago.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from callmp import demo
from callmp.calls import flow_plan
from callmp.db import utcnow
from callmp.i18n import translator
from callmp.models import (
    CallRequest,
    Campaign,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    Office,
    Person,
    ProviderEvent,
)
from callmp.stats import consistency

BATCH = 5_000
HOT_IP = "10.0.0.1"  # also the first address wrk's Lua forwards (forwarded(1))
HOT_SHARE = 0.3
LIVE_PHONE = "+16135550100"
BRIDGED = {"connected": 40, "short": 10, "left_voicemail": 25, "busy": 5, "no_answer": 20}
DURATIONS = {"connected": (30, 900), "short": (2, 29), "left_voicemail": (15, 120)}


@dataclass(frozen=True)
class Seeded:
    """What one fill added: row counts, the live calls' public ids, seconds spent."""

    letters: int
    messages: int
    calls: int
    provider_events: int
    events: int
    live_calls: list[str]
    seconds: float


def _keyed(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def keys(secret: str) -> tuple[bytes, bytes]:
    """The HMAC keys CallMP derives from SECRET_KEY: phone numbers, email addresses."""
    raw = secret.encode()
    return (
        hmac.new(raw, b"callmp phone numbers", hashlib.sha256).digest(),
        hmac.new(raw, b"callmp email addresses", hashlib.sha256).digest(),
    )


def _when(rng: random.Random, now: datetime) -> datetime:
    """A moment in the last 30 days, more of them recent (about 4% in the last hour)."""
    return now - timedelta(seconds=rng.random() ** 2 * 30 * 86400)


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` in batches; a key some rows lack is None in those."""
    names = {name for row in rows for name in row}
    rows = [dict.fromkeys(names) | row for row in rows]
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(insert(table), rows[start : start + BATCH])


def _plans(engine: Engine, campaign_id: int, fed_nums: list[int], now: datetime) -> dict[int, str]:
    """Each riding's call plan (JSON) as the app stores it when a call is requested, so
    that the webhooks meet calls as the app makes them (a plan-less call, as only calls
    from before migration 0015 are, builds its plan on its first webhook)."""
    translate = translator("en")
    plans: dict[int, str] = {}
    with Session(engine) as session:
        for fed_num in fed_nums:
            call = CallRequest(
                campaign_id=campaign_id, fed_num=fed_num, locale="en", created_at=now
            )
            plans[fed_num] = flow_plan.dump(flow_plan.build(session, call, translate))
    return plans


def fill(engine: Engine, n: int, live: int, secret: str, seed: int) -> Seeded:
    """Add ``n`` letters, ``n`` call requests and ``n`` contact events, plus ``live`` fresh calls.

    The live calls are queued and unanswered, for Twilio's webhooks to meet as first
    deliveries. Raises if a running total then differs from its events.
    """
    began = time.perf_counter()
    rng = random.Random(seed)
    phone_key, mail_key = keys(secret)
    hot_call_ip = _keyed(phone_key, "ip:" + HOT_IP)
    hot_mail_ip = _keyed(mail_key, "ip:" + HOT_IP)  # as keyed_hash("ip:" + ip): casefolded
    now = utcnow()
    with Session(engine) as session:
        campaign = session.scalars(select(Campaign).where(Campaign.slug == demo.DEMO_SLUG)).one()
        own, minister = sorted(campaign.targets, key=lambda t: t.position)
        mps = session.execute(
            select(Person.id, Person.fed_num).where(Person.fed_num.is_not(None)).order_by(Person.id)
        ).all()
        offices: dict[int, int] = {}
        for office_id, person_id in session.execute(
            select(Office.id, Office.person_id).order_by(Office.kind != "hill", Office.id)
        ):
            offices.setdefault(person_id, office_id)
        first_call = int(session.scalar(select(func.max(CallRequest.id))) or 0) + 1
        first_letter = int(session.scalar(select(func.max(EmailSubmission.id))) or 0) + 1
        first_message = int(session.scalar(select(func.max(EmailMessage.id))) or 0) + 1
    minister_person = minister.person_id
    turnout = [rng.lognormvariate(0, 0.6) for _ in mps]
    calls: list[dict[str, Any]] = []
    provider: list[dict[str, Any]] = []
    letters: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    base = {"campaign_id": campaign.id}
    for k in range(n):
        person, fed = rng.choices(mps, weights=turnout)[0]
        hot = rng.random() < HOT_SHARE
        at = _when(rng, now)
        call_id, sid = first_call + k, f"CAfeed{k:026x}"
        done = rng.random() < 0.9
        calls.append(
            base
            | {
                "id": call_id,
                "public_id": secrets.token_urlsafe(16),
                "fed_num": fed,
                "locale": "fr" if rng.random() < 0.2 else "en",
                "phone": None,  # purged once the call is over
                "phone_hmac": _keyed(phone_key, f"+1613555{rng.randrange(n // 2 + 1):04d}"),
                "ip_hmac": hot_call_ip if hot else _keyed(phone_key, f"ip:172.16.{k}"),
                "status": "completed" if done else "failed",
                "provider_sid": sid,
                "attempts": 1,
                "created_at": at,
                "updated_at": at,
            }
        )
        for event in ("ringing", "in-progress", "completed") if done else ("failed",):
            provider.append({"call_sid": sid, "event": event, "created_at": at})
        letter_id = first_letter + k
        letters.append(
            base
            | {
                "id": letter_id,
                "public_id": secrets.token_urlsafe(16),
                "fed_num": fed,
                "locale": "en",
                "email": None,  # purged after the retention period
                "email_hmac": _keyed(mail_key, f"s{rng.randrange(n)}@example.org"),
                "ip_hmac": hot_mail_ip if hot else _keyed(mail_key, f"ip:172.17.{k}"),
                "fingerprint": "f" * 64 if rng.random() < 0.7 else secrets.token_hex(32),
                "status": "queued",
                "confirmed_at": at,
                "created_at": at,
            }
        )
        for position, (target_id, to_person) in enumerate(
            [(None, None), (own.id, person), (minister.id, minister_person)]
        ):
            messages.append(
                base
                | {
                    "id": first_message + 3 * k + position,
                    "submission_id": letter_id,
                    "kind": "confirmation" if position == 0 else "letter",
                    "target_id": target_id,
                    "person_id": to_person,
                    "position": max(position - 1, 0),
                    "from_address": "campaign@bench.example",
                    "subject": "Status for all",
                    "message_id": f"<{letter_id}.{position}@bench.example>",
                    "status": "sent",
                    "sent_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        # Events: each answered call's MP (half also the Minister), each letter's two.
        if done and len(events) < n:
            outcome = rng.choices(list(BRIDGED), list(BRIDGED.values()))[0]
            span = DURATIONS.get(outcome)
            steps = [(own.id, person)] + ([(minister.id, minister_person)] * (rng.random() < 0.5))
            for step, (target_id, to_person) in enumerate(steps[: n - len(events)]):
                events.append(
                    base
                    | {
                        "target_id": target_id,
                        "person_id": to_person,
                        "office_id": offices.get(to_person or 0),
                        "fed_num": fed,
                        "channel": "bridged_call",
                        "outcome": outcome,
                        "duration_s": rng.randint(*span) if span else None,
                        "call_request_id": call_id,
                        "dedupe_key": f"b:{call_id}:{step}:0",
                        "created_at": at + timedelta(seconds=60 * step),
                    }
                )
        for position in (1, 2)[: max(0, n - len(events))]:
            message = messages[-3 + position]
            events.append(
                base
                | {
                    "target_id": message["target_id"],
                    "person_id": message["person_id"],
                    "fed_num": fed,
                    "channel": "email",
                    "outcome": "sent",
                    "email_message_id": message["id"],
                    "dedupe_key": f"e:{message['id']}",
                    "created_at": at,
                }
            )
    live_ids = [secrets.token_urlsafe(16) for _ in range(live)]
    plans = _plans(
        engine, campaign.id, sorted({fed for _, fed in mps[:live] if fed is not None}), now
    )
    for k, public_id in enumerate(live_ids):
        at = now - timedelta(seconds=rng.randrange(3600))
        calls.append(
            base
            | {
                "id": first_call + n + k,
                "public_id": public_id,
                "fed_num": mps[k % len(mps)][1],
                "locale": "en",
                "phone": LIVE_PHONE,
                "phone_hmac": _keyed(phone_key, LIVE_PHONE),
                "ip_hmac": "",
                "status": "queued",
                "attempts": 0,
                # Stored as a web request stores it (see ``_plans``).
                "plan": plans.get(mps[k % len(mps)][1] or 0),
                "created_at": at,
                "updated_at": at,
            }
        )
    _insert(engine, CallRequest.__table__, calls)  # type: ignore[arg-type]
    _insert(engine, ProviderEvent.__table__, provider)  # type: ignore[arg-type]
    _insert(engine, EmailSubmission.__table__, letters)  # type: ignore[arg-type]
    _insert(engine, EmailMessage.__table__, messages)  # type: ignore[arg-type]
    _insert(engine, ContactEvent.__table__, events)  # type: ignore[arg-type]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # explicit ids: move the sequences past them
            for table in ("call_requests", "email_submissions", "email_messages"):
                statement = "SELECT setval(pg_get_serial_sequence(:t, 'id'), (SELECT max(id) FROM "
                conn.execute(text(statement + table + "))"), {"t": table})
        # What autovacuum does soon after a bulk load, done now: its vacuums of the freshly
        # filled tables would otherwise run during the timed load of the first endpoints
        # (VACUUM cannot run in a transaction).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    with Session(engine) as session:
        mismatches = consistency.check(session)
    if mismatches:
        raise SystemExit(f"{len(mismatches)} running totals differ from the events after the fill")
    return Seeded(
        letters=len(letters),
        messages=len(messages),
        calls=len(calls),
        provider_events=len(provider),
        events=len(events),
        live_calls=live_ids,
        seconds=time.perf_counter() - began,
    )

"""A database as an older release left it: the schema at a past revision, filled by plain SQL.

Only tables and columns that exist at revision 0010 are written, so the same data is
valid at every revision from 0010 on (every later migration only adds).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Date, Engine, bindparam, inspect, text

from callmp.db import UtcDateTime

#: The campaign the old release ran.
SLUG = "old-release"
TITLE = "Keep the library open"
GOAL = 500

#: When the old release recorded its activity (fixed: the data never depends on today).
T0 = datetime(2026, 10, 14, 15, 0, tzinfo=UTC)

SPADINA = 35100
HALIFAX = 12006

_RIDINGS = [
    {"fed_num": SPADINA, "name": "Spadina—Harbourfront", "abbr": "ON", "code": 35},
    {"fed_num": HALIFAX, "name": "Halifax", "abbr": "NS", "code": 12},
]

# (id, fed_num, full name, party)
_PEOPLE = [
    (1, SPADINA, "Chi Old", "Liberal"),
    (2, HALIFAX, "Lena Old", "Liberal"),
]

# (id, person_id, kind, position, phone)
_OFFICES = [
    (1, 1, "hill", 0, "+16139922352"),
    (2, 1, "constituency", 0, "+14165331340"),
    (3, 2, "hill", 0, "+16139963085"),
]

# One request in each state a call can be in: (id, status, provider_sid, phone kept)
_CALLS = [
    (1, "pending", None, True),
    (2, "queued", None, True),
    (3, "placing", None, True),
    (4, "ringing", "CA" + "1" * 32, True),
    (5, "in_progress", "CA" + "2" * 32, True),
    (6, "completed", "CA" + "3" * 32, False),
    (7, "failed", None, False),
    (8, "blocked", None, False),
]

# (id, target_id, person_id, office_id, channel, outcome, duration, referral, minutes, call id,
#  message id)
EVENTS: list[tuple[Any, ...]] = [
    (1, 1, 1, 1, "bridged_call", "connected", 95, "union", 0, 6, None),
    (2, 2, 2, 3, "bridged_call", "busy", None, "union", 1, 6, None),
    (3, 1, 1, 1, "bridged_call", "no_answer", None, "", 40, 7, None),
    (4, 1, 1, 2, "direct_call", "talked_to_staff", None, "", 65, None, None),
    (5, 1, 1, 1, "direct_call", "left_voicemail", None, "blog", 200, None, None),
    (6, 1, 1, None, "email", "sent", None, "", 300, None, 2),
    (7, 2, 2, None, "email", "failed", None, "", 301, None, 3),
    (8, 2, 2, None, "email", "mailto", None, "blog", 2000, None, None),
]


def _insert(connection: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table``.

    Times and dates are bound as the driver stores such columns (SQLite keeps text), so
    the rows read back as the old release wrote them.
    """
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    statement = text(f"INSERT INTO {table} ({names}) VALUES ({values})")  # noqa: S608 - our names
    for column in columns:
        kinds = {type(row[column]) for row in rows} - {type(None)}
        if kinds == {datetime}:
            statement = statement.bindparams(bindparam(column, type_=UtcDateTime()))
        elif kinds == {date}:
            statement = statement.bindparams(bindparam(column, type_=Date()))
    connection.execute(statement, rows)


def fill(engine: Engine, revision: str) -> None:
    """Write a realistic campaign's data with plain SQL valid at ``revision`` (0010 or later)."""
    with engine.begin() as connection:
        _directory(connection)
        _campaign(connection)
        _calls(connection)
        _letters(connection)
        _events(connection)
        _staff(connection)
        if revision >= "0012":
            _draft(connection)


def _directory(connection: Connection) -> None:
    _insert(
        connection,
        "ridings",
        [
            {
                "fed_num": r["fed_num"],
                "name_en": r["name"],
                "name_fr": r["name"],
                "name_current": r["name"],
                "province_code": r["code"],
                "province_abbr": r["abbr"],
                "province_en": "Ontario" if r["abbr"] == "ON" else "Nova Scotia",
                "province_fr": "Ontario" if r["abbr"] == "ON" else "Nouvelle-Écosse",
                "time_zone": "America/Toronto" if r["abbr"] == "ON" else "America/Halifax",
                "time_zone_note": "",
                "previous_member": "",
            }
            for r in _RIDINGS
        ],
    )
    _insert(
        connection,
        "people",
        [
            {
                "id": pid,
                "ourcommons_person_id": 1000 + pid,
                "fed_num": fed_num,
                "honorific": "",
                "full_name": name,
                "first_name": name.split()[0],
                "last_name": name.split()[1],
                "party": party,
                "email": f"{name.split()[0].lower()}.old@parl.gc.ca",
                "email_source": "ourcommons",
                "email_derived": False,
                "photo_url": "",
                "profile_url": "",
                "preferred_language": "English",
                "source": "ourcommons",
                "as_of": T0.date(),
            }
            for pid, fed_num, name, party in _PEOPLE
        ],
    )
    _insert(
        connection,
        "offices",
        [
            {
                "id": oid,
                "person_id": pid,
                "kind": kind,
                "position": position,
                "is_main": kind == "hill",
                "label_en": "Hill Office" if kind == "hill" else "Constituency Office",
                "label_fr": "Bureau de la Colline"
                if kind == "hill"
                else "Bureau de circonscription",
                "street": "House of Commons" if kind == "hill" else "123 Main St",
                "city": "Ottawa" if kind == "hill" else "Toronto",
                "province_abbr": "ON",
                "postal_code": "K1A 0A6" if kind == "hill" else "M5V 3L9",
                "phone": phone,
                "phone_raw": phone,
                "toll_free": "",
                "fax": "",
                "time_zone": "America/Toronto",
                "source": "ourcommons",
                "as_of": T0.date(),
                "issues": "",
                "hours": "",
            }
            for oid, pid, kind, position, phone in _OFFICES
        ],
    )


def _campaign(connection: Connection) -> None:
    _insert(
        connection,
        "campaigns",
        [
            {
                "id": 1,
                "slug": SLUG,
                "status": "published",
                "title_en": TITLE,
                "title_fr": "Gardez la bibliothèque ouverte",
                "summary_en": "Ask your MP to keep the library open.",
                "summary_fr": "Demandez à votre député de garder la bibliothèque ouverte.",
                "talking_points_en": "- It serves 4,000 people a week.",
                "talking_points_fr": "- Elle sert 4 000 personnes par semaine.",
                "goal": GOAL,
                "created_at": T0 - timedelta(days=10),
                "email_subject_en": "Keep the library open",
                "email_body_en": "Dear {mp_name}, please keep it open.",
                "email_from_address": "campaign@example.org",
            }
        ],
    )
    _insert(
        connection,
        "targets",
        [
            {
                "id": 1,
                "campaign_id": 1,
                "position": 0,
                "kind": "own_mp",
                "person_id": None,
                "role_en": "",
                "role_fr": "",
            },
            {
                "id": 2,
                "campaign_id": 1,
                "position": 1,
                "kind": "person",
                "person_id": 2,
                "role_en": "the Minister",
                "role_fr": "la ministre",
            },
        ],
    )
    _insert(
        connection,
        "referral_codes",
        [
            {"id": 1, "campaign_id": 1, "code": "union", "label": "The union"},
            {"id": 2, "campaign_id": 1, "code": "blog", "label": "A blog"},
        ],
    )


def _calls(connection: Connection) -> None:
    _insert(
        connection,
        "call_requests",
        [
            {
                "id": cid,
                "public_id": f"old{cid:029d}",
                "campaign_id": 1,
                "fed_num": SPADINA,
                "locale": "en",
                "referral": "union" if cid % 2 else "",
                "phone": f"+1613555{cid:04d}" if kept else None,
                "phone_hmac": f"{cid:064x}",
                "ip_hmac": f"{cid + 100:064x}",
                "status": status,
                "error_reason": "busy" if status == "failed" else "",
                "provider_sid": sid,
                "attempts": 1 if sid else 0,
                "step": 1 if status == "completed" else 0,
                "office_try": 0,
                "created_at": T0 + timedelta(minutes=cid),
                "updated_at": T0 + timedelta(minutes=cid + 1),
                "transcript": "Said: hello" if status == "completed" else None,
                "retry_at": None,
            }
            for cid, status, sid, kept in _CALLS
        ],
    )
    _insert(
        connection,
        "provider_events",
        [
            {"id": 1, "call_sid": "CA" + "3" * 32, "event": "completed", "created_at": T0},
            {"id": 2, "call_sid": "CA" + "4" * 32, "event": "ringing", "created_at": T0},
        ],
    )
    _insert(connection, "blocked_phones", [{"phone_hmac": "f" * 64, "created_at": T0}])


def _letters(connection: Connection) -> None:
    submission = {
        "campaign_id": 1,
        "fed_num": SPADINA,
        "locale": "en",
        "referral": "",
        "city": "Toronto",
        "personal_line": "I use it every week.",
        "consent_followup": False,
        "fingerprint": "a" * 64,
    }
    _insert(
        connection,
        "email_submissions",
        [
            {
                **submission,
                "id": 1,
                "public_id": f"sub{1:029d}",
                "name": "Sam Lee",
                "email": "sam.lee@example.org",
                "email_hmac": "b" * 64,
                "ip_hmac": "c" * 64,
                "postal_code": "M5V 3L9",
                "status": "queued",
                "confirmed_at": T0 + timedelta(hours=5),
                "reminded_at": None,
                "purged_at": None,
                "created_at": T0 + timedelta(hours=4),
            },
            {
                **submission,
                "id": 2,
                "public_id": f"sub{2:029d}",
                "name": "Alex Roy",
                "email": "alex.roy@example.org",
                "email_hmac": "d" * 64,
                "ip_hmac": "e" * 64,
                "postal_code": "M5V 3L9",
                "status": "awaiting_confirmation",
                "confirmed_at": None,
                "reminded_at": T0 + timedelta(hours=30),
                "purged_at": None,
                "created_at": T0 + timedelta(hours=6),
            },
        ],
    )
    message = {
        "campaign_id": 1,
        "locale": "en",
        "from_address": "campaign@example.org",
        "reply_to_name": "",
        "reply_to_address": None,
        "attempts": 1,
        "error": "",
        "next_try_at": None,
        "claimed_at": None,
    }
    # (id, submission, kind, target, person, position, to, status)
    rows = [
        (1, 1, "confirmation", None, None, 0, "sam.lee@example.org", "sent"),
        (2, 1, "letter", 1, 1, 0, "chi.old@parl.gc.ca", "sent"),
        (3, 1, "letter", 2, 2, 1, "lena.old@parl.gc.ca", "failed"),
        (4, 2, "confirmation", None, None, 0, "alex.roy@example.org", "sent"),
        (5, 2, "letter", 1, 1, 0, "chi.old@parl.gc.ca", "held"),
    ]
    _insert(
        connection,
        "email_messages",
        [
            {
                **message,
                "id": mid,
                "submission_id": sub,
                "kind": kind,
                "target_id": target,
                "person_id": person,
                "position": position,
                "from_name": "Sam Lee" if sub == 1 else "Alex Roy",
                "to_name": "",
                "to_address": to,
                "subject": "Keep the library open",
                "body": "Dear MP, please keep it open.",
                "message_id": f"<old-{mid}@example.org>",
                "status": status,
                "queued_at": T0 + timedelta(hours=5),
                "sent_at": T0 + timedelta(hours=5, minutes=1) if status == "sent" else None,
                "created_at": T0 + timedelta(hours=4),
                "updated_at": T0 + timedelta(hours=5, minutes=1),
            }
            for mid, sub, kind, target, person, position, to, status in rows
        ],
    )


def _events(connection: Connection) -> None:
    """Contact events; the database's triggers keep the running totals from them."""
    _insert(
        connection,
        "contact_events",
        [
            {
                "id": eid,
                "campaign_id": 1,
                "target_id": target,
                "person_id": person,
                "office_id": office,
                "fed_num": SPADINA if person == 1 else None,
                "channel": channel,
                "outcome": outcome,
                "duration_s": duration,
                "referral": referral,
                "call_request_id": call,
                "email_message_id": message,
                "dedupe_key": f"old-{eid}" if call or message else None,
                "created_at": T0 + timedelta(minutes=minutes),
            }
            for (
                eid,
                target,
                person,
                office,
                channel,
                outcome,
                duration,
                referral,
                minutes,
                call,
                message,
            ) in EVENTS
        ],
    )
    _insert(connection, "report_limits", [{"key": "ip:" + "9" * 40, "hour": 493000, "n": 3}])


def _staff(connection: Connection) -> None:
    staff = {
        "name": "",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "active": True,
        "created_at": T0 - timedelta(days=30),
        "password_changed_at": T0 - timedelta(days=30),
        "last_login_at": T0,
        "time_zone": "",
    }
    _insert(
        connection,
        "users",
        [
            {
                **staff,
                "id": 1,
                "email": "admin@old.example",
                "role": "admin",
                "session_token": "a1",
            },
            {
                **staff,
                "id": 2,
                "email": "org@old.example",
                "role": "organizer",
                "session_token": "o2",
            },
        ],
    )
    _insert(
        connection,
        "audit_log",
        [
            {
                "id": 1,
                "at": T0 - timedelta(days=9),
                "user_id": 1,
                "user_label": "admin@old.example",
                "action": "publish",
                "object_type": "campaign",
                "object_id": 1,
                "campaign_id": 1,
                "summary": "Published the campaign",
            }
        ],
    )
    _insert(
        connection,
        "campaign_versions",
        [
            {
                "id": 1,
                "campaign_id": 1,
                "number": 1,
                "created_at": T0 - timedelta(days=9),
                "user_id": 1,
                "user_label": "admin@old.example",
                "summary": "Published",
                "restored_from": None,
                "snapshot": '{"title_en": "Keep the library open"}',
            }
        ],
    )
    _insert(
        connection,
        "contact_corrections",
        [
            {
                "id": 1,
                "person_id": 1,
                "office_id": 2,
                "field": "phone",
                "value": "+14165331341",
                "shipped_value": "+14165331340",
                "note": "New number since October",
                "active": True,
                "created_at": T0,
                "user_id": 1,
                "user_label": "admin@old.example",
            }
        ],
    )
    _insert(
        connection,
        "login_failures",
        [{"key": "addr:" + "8" * 40, "failures": 2, "last_failure_at": T0, "blocked_until": None}],
    )


def _draft(connection: Connection) -> None:
    _insert(
        connection,
        "campaign_drafts",
        [
            {
                "id": 1,
                "campaign_id": 1,
                "base_version": 1,
                "revision": 2,
                "snapshot": '{"title_en": "Keep the library open longer"}',
                "target_keys": "[1, 2]",
                "next_key": 3,
                "created_at": T0,
                "updated_at": T0,
                "user_id": 1,
                "user_label": "admin@old.example",
            }
        ],
    )


def snapshot(engine: Engine, tables: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Every row of ``tables`` (only the columns listed), sorted."""
    found: dict[str, list[Any]] = {}
    with engine.connect() as connection:
        for name, listed in tables.items():
            selected = ", ".join(f'"{c}"' for c in listed)
            query = f"SELECT {selected} FROM {name}"  # noqa: S608 - names from the schema
            rows = connection.execute(text(query)).all()
            found[name] = sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)
    return found


def columns(engine: Engine) -> dict[str, list[str]]:
    """Each table's columns (without Alembic's own table)."""
    inspector = inspect(engine)
    return {
        name: [c["name"] for c in inspector.get_columns(name)]
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }


def _plain(value: Any) -> Any:
    """A value comparable across SQLite's and PostgreSQL's drivers and table rebuilds."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
    return value

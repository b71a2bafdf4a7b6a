"""A letter's checks before it is stored: letters per connection, same words, duplicates.

Domain code: no Flask. Every letter runs the same statements, so they are built once
here (their compiled form is then cached by SQLAlchemy), and a letter asks all three
checks in one SELECT of scalar subqueries, each read through its own index
(tests/test_query_plans.py asserts which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, cast, func, literal, select
from sqlalchemy.orm import Session

from callmp.letters.records import LIVE, MailSettings
from callmp.models import EmailMessage, EmailSubmission, MessageKind, SubmissionStatus


def _identical(capped: bool) -> Select[Any]:
    """Letters of a campaign with these words (confirmed or sending), counted up to a cap."""
    where = (
        EmailSubmission.campaign_id == bindparam("campaign_id"),
        EmailSubmission.fingerprint == bindparam("fingerprint"),
        EmailSubmission.status == SubmissionStatus.queued,
    )
    if not capped:
        return select(func.count()).where(*where)
    matching = select(EmailSubmission.id).where(*where).limit(bindparam("up_to"))
    return select(func.count()).select_from(matching.subquery())


_IDENTICAL = _identical(capped=False)
_IDENTICAL_UP_TO = _identical(capped=True)

#: Letters of every campaign sent from one connection since a time: every campaign
#: together, so more campaigns do not multiply the limit.
_SENT_FROM_IP = select(func.count()).where(
    EmailSubmission.ip_hmac == bindparam("ip_key"),
    EmailSubmission.created_at >= bindparam("hour_ago"),
)


def _already_written(person_ids: Any) -> Select[Any]:
    """The people among ``person_ids`` (a bind parameter, or a list of them) this address
    already wrote to in a campaign since a time."""
    return (
        select(EmailMessage.person_id)
        .join(EmailSubmission, EmailMessage.submission_id == EmailSubmission.id)
        .where(
            EmailSubmission.campaign_id == bindparam("campaign_id"),
            EmailSubmission.email_hmac == bindparam("email_key"),
            EmailSubmission.created_at >= bindparam("since"),
            EmailMessage.kind == MessageKind.letter,
            EmailMessage.person_id.in_(person_ids),
            # One bound value each (not an expanding list): see FIXED_PEOPLE.
            EmailMessage.status.in_(
                [
                    bindparam(f"live_{i}", status, type_=EmailMessage.status.type)
                    for i, status in enumerate(LIVE)
                ]
            ),
        )
    )


#: The people among some this address already wrote to in a campaign since a time.
_ALREADY_WRITTEN = _already_written(bindparam("person_ids", expanding=True))


def identical_count(
    session: Session, campaign_id: int, fingerprint: str, up_to: int | None = None
) -> int:
    """How many letters in the campaign used exactly these words (confirmed or sending).

    With ``up_to``, counting stops there: a yes-or-no check then reads at most that many
    index entries, however many thousands sent the campaign's own words.
    """
    params: dict[str, Any] = {"campaign_id": campaign_id, "fingerprint": fingerprint}
    if up_to is None:
        return int(session.scalar(_IDENTICAL, params) or 0)
    return int(session.scalar(_IDENTICAL_UP_TO, {**params, "up_to": up_to}) or 0)


def sent_from_ip(session: Session, ip_key: str, since: datetime) -> int:
    """Letters of every campaign sent from the connection ``ip_key`` since ``since``."""
    return int(session.scalar(_SENT_FROM_IP, {"ip_key": ip_key, "hour_ago": since}) or 0)


def already_written(
    session: Session, campaign_id: int, email_hmac: str, person_ids: Sequence[int], since: datetime
) -> set[int]:
    """The people among ``person_ids`` this address already wrote to since ``since``."""
    params = {
        "campaign_id": campaign_id,
        "email_key": email_hmac,
        "since": since,
        "person_ids": list(person_ids),
    }
    return {pid for pid in session.scalars(_ALREADY_WRITTEN, params) if pid is not None}


#: How a letter's checks count the letters with the same words: not at all, up to the
#: nudge (enough to refuse), or all of them (the number the supporter is told).
IDENTICAL_COUNTS = ("none", "capped", "all")


#: Up to this many people per letter, the checks' statement names one bind parameter per
#: person (``person_0``...): its SQL is then the same on every run, compiled once and
#: reused as it is, where an expanding ``IN`` is rewritten for its values on each run.
FIXED_PEOPLE = 8


def _people_param(people: int | None) -> Any:
    """The person ids of the duplicate check: ``people`` bind parameters, or (``None``)
    one expanding parameter for any number."""
    if people is None:
        return bindparam("person_ids", expanding=True)
    return [bindparam(f"person_{i}") for i in range(people)]


def _all_checks(ip: bool, identical: str, people: int | None = None) -> Select[Any]:
    """The three checks as one SELECT: each a scalar subquery read through its own index
    (a check that does not apply is a constant). ``people``: see ``_people_param``."""
    written = _already_written(_people_param(people)).subquery()
    same_words = {"capped": _IDENTICAL_UP_TO, "all": _IDENTICAL}.get(identical)
    return select(
        _SENT_FROM_IP.scalar_subquery() if ip else literal(0),
        same_words.scalar_subquery() if same_words is not None else literal(0),
        select(func.aggregate_strings(cast(written.c.person_id, String), ",")).scalar_subquery(),
    )


_CHECKS = {
    (ip, same, people): _all_checks(ip, same, people)
    for ip in (False, True)
    for same in IDENTICAL_COUNTS
    for people in (None, *range(1, FIXED_PEOPLE + 1))
}


@dataclass(frozen=True)
class Checked:
    """What the checks found: letters from the connection this hour, letters with these
    words (up to the nudge), and the people this address already wrote to."""

    from_ip: int
    identical: int
    written: set[int]


def run_checks(
    session: Session,
    *,
    campaign_id: int,
    ip_key: str,
    email_key: str,
    fingerprint: str,
    person_ids: Sequence[int],
    now: datetime,
    settings: MailSettings,
    identical: str,
) -> Checked:
    """The hourly count per connection, the same-words count (``IDENTICAL_COUNTS``) and
    the duplicate check."""
    people = len(person_ids) if 0 < len(person_ids) <= FIXED_PEOPLE else None
    params: dict[str, Any] = {
        "ip_key": ip_key,
        "hour_ago": now - timedelta(hours=1),
        "campaign_id": campaign_id,
        "fingerprint": fingerprint,
        "up_to": settings.identical_nudge,
        "email_key": email_key,
        "since": now - timedelta(hours=settings.duplicate_hours),
    }
    if people is None:
        params["person_ids"] = list(person_ids)
    else:
        params.update({f"person_{i}": pid for i, pid in enumerate(person_ids)})
    # Through the connection: these statements are Core, the ORM's layer has no work.
    row = session.connection().execute(_CHECKS[(bool(ip_key), identical, people)], params).one()
    written = {int(pid) for pid in (row[2] or "").split(",") if pid}
    return Checked(from_ip=int(row[0] or 0), identical=int(row[1] or 0), written=written)

"""Read-only counting for dashboards, exports and the public counter.

Domain code: no Flask. Every figure is a sum over the running totals in
``callmp.models.stats`` (kept exact by database triggers), never a scan of the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from callmp.i18n import N_
from callmp.models import (
    Channel,
    CountByOffice,
    CountByReferral,
    Office,
    Outcome,
    Person,
    ReferralCode,
    Riding,
    Target,
)

M = TypeVar("M", Person, Office, Target)
C, Out = Channel, Outcome
#: The outcomes that count as a contact made: the office or mailbox got the message.
#: Attempts that reached nobody (busy, no answer, failed) are shown to organizers but not
#: added to the public total.
REACHED: Mapping[Channel, frozenset[Outcome]] = {
    C.bridged_call: frozenset({Out.connected, Out.short, Out.left_voicemail}),
    C.direct_call: frozenset({Out.talked_to_staff, Out.left_voicemail}),
    C.email: frozenset({Out.queued, Out.sent, Out.mailto}),
}
#: Contacts made that only the supporter's word vouches for: direct calls they dialled and
#: letters from their own mail app. The rest are verified: bridged calls with Twilio's
#: outcome, letters our server queued or sent. Shown apart everywhere counts are shown.
SELF_REPORTED: Mapping[Channel, frozenset[Outcome]] = {
    C.direct_call: frozenset({Out.talked_to_staff, Out.left_voicemail, Out.no_answer, Out.skipped}),
    C.email: frozenset({Out.mailto}),
}


@dataclass(frozen=True)
class Column:
    """One figure of a stats table: events of ``channel`` with one of ``outcomes``."""

    key: str
    label: str  # an N_() message, translated when shown
    channel: Channel
    outcomes: frozenset[Outcome] = frozenset()  # empty: every outcome

    def matches(self, channel: str, outcome: str) -> bool:
        """Whether an event of ``channel`` and ``outcome`` belongs in this column."""
        return channel == self.channel and (not self.outcomes or outcome in self.outcomes)


def _col(key: str, label: str, channel: Channel, *outcomes: Outcome) -> Column:
    return Column(key, label, channel, frozenset(outcomes))


#: The columns of the office, target and referral tables (and of their CSV files).
COLUMNS: tuple[Column, ...] = (
    _col("bridged", N_("Bridged calls"), C.bridged_call),
    _col("bridged_connected", N_("Connected"), C.bridged_call, Out.connected),
    _col("bridged_short", N_("Short"), C.bridged_call, Out.short),
    _col("bridged_voicemail", N_("Voicemail"), C.bridged_call, Out.left_voicemail),
    _col("bridged_unanswered", N_("Busy or no answer"), C.bridged_call, Out.busy, Out.no_answer),
    _col("bridged_failed", N_("Failed"), C.bridged_call, Out.failed, Out.cancelled, Out.no_number),
    _col("direct", N_("Direct calls"), C.direct_call),
    _col("direct_talked", N_("Talked to staff"), C.direct_call, Out.talked_to_staff),
    _col("direct_voicemail", N_("Left a voicemail"), C.direct_call, Out.left_voicemail),
    _col("direct_no_answer", N_("No answer"), C.direct_call, Out.no_answer),
    _col("direct_skipped", N_("Didn't call"), C.direct_call, Out.skipped),
    _col("emails", N_("Emails"), C.email),
    _col("emails_sent", N_("Sent"), C.email, Out.sent),
    _col("emails_queued", N_("Queued"), C.email, Out.queued),
    _col("emails_mailto", N_("From own mail app"), C.email, Out.mailto),
    _col("emails_failed", N_("Failed"), C.email, Out.failed),
    # Accepted by our server, then returned by the receiving end: no longer "sent".
    _col("emails_bounced", N_("Bounced"), C.email, Out.bounced),
)
COLUMN_KEYS = frozenset(c.key for c in COLUMNS)


def is_reached(channel: str, outcome: str) -> bool:
    """Whether an event of ``channel`` and ``outcome`` counts as a contact made."""
    return outcome in REACHED.get(Channel(channel), frozenset())


def is_self_reported(channel: str, outcome: str) -> bool:
    """Whether an event of ``channel`` and ``outcome`` is a contact made on the supporter's
    word alone (not verified by Twilio or our mail server)."""
    return outcome in SELF_REPORTED.get(Channel(channel), frozenset())


@cache
def _placement(channel: str, outcome: str) -> tuple[tuple[str, ...], bool, bool, bool]:
    """The columns an event of ``channel`` and ``outcome`` adds to, whether it is a contact
    made, whether it is an email, and whether it is self-reported (worked out once per
    pair: tables add thousands)."""
    keys = tuple(c.key for c in COLUMNS if c.matches(channel, outcome))
    own = is_self_reported(channel, outcome)
    return keys, is_reached(channel, outcome), channel == Channel.email, own


@dataclass
class Figures:
    """Counts of one table row: per column, the contacts made (``self_reported`` of them on
    the supporter's word alone, ``verified`` the rest) and call minutes."""

    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMN_KEYS, 0))
    reached: int = 0
    calls_reached: int = 0
    emails_reached: int = 0
    duration_s: int = 0
    self_reported: int = 0

    @property
    def verified(self) -> int:
        """Contacts made that Twilio or our mail server vouches for."""
        return self.reached - self.self_reported

    def add(self, channel: str, outcome: str, n: int, duration_s: int = 0) -> None:
        """Add ``n`` events of ``channel`` and ``outcome``."""
        keys, reached, email, self_reported = _placement(channel, outcome)
        for key in keys:
            self.values[key] += n
        if reached:
            self.reached += n
            if self_reported:
                self.self_reported += n
            if email:
                self.emails_reached += n
            else:
                self.calls_reached += n
        self.duration_s += duration_s

    def merge(self, other: Figures) -> None:
        """Add another row's figures to this one."""
        for key, value in other.values.items():
            self.values[key] += value
        self.reached += other.reached
        self.calls_reached += other.calls_reached
        self.emails_reached += other.emails_reached
        self.duration_s += other.duration_s
        self.self_reported += other.self_reported


@dataclass
class Totals:
    """A campaign's totals: by channel and outcome, and contacts made."""

    by_outcome: dict[str, dict[str, int]]  # channel -> outcome -> events
    figures: Figures


def totals(session: Session, campaign_id: int) -> Totals:
    """Events by channel and outcome, and the figures they add up to."""
    rows = session.execute(
        select(CountByReferral.channel, CountByReferral.outcome, func.sum(CountByReferral.n))
        .where(CountByReferral.campaign_id == campaign_id)
        .group_by(CountByReferral.channel, CountByReferral.outcome)
    ).all()
    by_outcome: dict[str, dict[str, int]] = {str(c): {} for c in Channel}
    figures = Figures()
    for channel, outcome, n in rows:
        if n:
            by_outcome.setdefault(channel, {})[outcome] = int(n)
            figures.add(channel, outcome, int(n))
    figures.duration_s = int(
        session.scalar(
            select(func.coalesce(func.sum(CountByOffice.duration_s), 0)).where(
                CountByOffice.campaign_id == campaign_id,
                CountByOffice.channel == Channel.bridged_call,
            )
        )
        or 0
    )
    return Totals(by_outcome, figures)


@dataclass
class OfficeRow:
    """One line of the per-office table: a person's office (None: not one office)."""

    person_id: int
    person: Person | None
    office: Office | None
    riding: Riding | None
    figures: Figures = field(default_factory=Figures)

    @property
    def province(self) -> str:
        """The person's riding's province, else the office's ("" when unknown)."""
        if self.riding is not None:
            return self.riding.province_abbr
        return self.office.province_abbr if self.office is not None else ""

    @property
    def party(self) -> str:
        """The person's party ("" when none)."""
        return self.person.party if self.person is not None else ""


@cache
def _pivot() -> tuple[Any, ...]:
    """Per-column sums of the office totals, so the database hands over one line per row
    of a table instead of one per (channel, outcome). Built once: SQL expressions do not
    change once made, and building these took a fifth of the dashboard's time."""
    c = CountByOffice

    def total(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), c.n), else_=0)), 0)

    columns = [
        total(c.channel == col.channel, *([c.outcome.in_(col.outcomes)] if col.outcomes else []))
        for col in COLUMNS
    ]
    calls = [k for k in REACHED if k != Channel.email]
    columns.append(total(or_(*(and_(c.channel == k, c.outcome.in_(REACHED[k])) for k in calls))))
    columns.append(total(c.channel == Channel.email, c.outcome.in_(REACHED[Channel.email])))
    columns.append(func.coalesce(func.sum(c.duration_s), 0))
    own = [and_(c.channel == k, c.outcome.in_(o & REACHED[k])) for k, o in SELF_REPORTED.items()]
    columns.append(total(or_(*own)))
    return tuple(columns)


def _figures(values: Sequence[Any]) -> Figures:
    """A row's figures from the pivoted sums (columns, calls made, emails made, seconds,
    self-reported contacts made)."""
    figures = Figures(dict(zip((col.key for col in COLUMNS), map(int, values), strict=False)))
    calls, emails, seconds, self_reported = (int(v) for v in values[len(COLUMNS) :])
    figures.calls_reached, figures.emails_reached = calls, emails
    figures.reached, figures.duration_s = calls + emails, seconds
    figures.self_reported = self_reported
    return figures


def office_rows(session: Session, campaign_id: int) -> list[OfficeRow]:
    """The per-office table: one row per person and office that has events."""
    c = CountByOffice
    counts = session.execute(
        select(c.person_id, c.office_id, *_pivot())
        .where(c.campaign_id == campaign_id, c.n != 0)
        .group_by(c.person_id, c.office_id)
    ).all()
    people = _by_id(session, Person, {r[0] for r in counts})
    offices = _by_id(session, Office, {r[1] for r in counts})
    ridings = _ridings(session, [p.fed_num for p in people.values() if p.fed_num])
    rows = []
    for person_id, office_id, *values in counts:
        person = people.get(person_id)
        riding = ridings.get(person.fed_num) if person and person.fed_num else None
        rows.append(OfficeRow(person_id, person, offices.get(office_id), riding, _figures(values)))
    return rows


@dataclass
class TargetRow:
    """One line of the per-target table."""

    target_id: int
    target: Target | None
    people: int  # how many different people this target reached (own MP: many)
    figures: Figures


def target_rows(session: Session, campaign_id: int) -> list[TargetRow]:
    """The per-target table, in the campaign's order (targets since removed last)."""
    c = CountByOffice
    people = func.count(func.distinct(case((c.person_id != 0, c.person_id))))
    counts = session.execute(
        select(c.target_id, people, *_pivot())
        .where(c.campaign_id == campaign_id, c.n != 0)
        .group_by(c.target_id)
    ).all()
    targets = _by_id(session, Target, {r[0] for r in counts})
    result = [
        TargetRow(tid, targets.get(tid), int(n), _figures(values)) for tid, n, *values in counts
    ]
    far = 1 << 30
    return sorted(result, key=lambda t: (t.target.position if t.target else far, t.target_id))


def referral_rows(session: Session, campaign_id: int) -> list[tuple[str, str, Figures]]:
    """The per-referral table: (code, label, figures), most contacts first; "" is no code."""
    counts = session.execute(
        select(
            CountByReferral.referral,
            CountByReferral.channel,
            CountByReferral.outcome,
            CountByReferral.n,
        ).where(CountByReferral.campaign_id == campaign_id, CountByReferral.n != 0)
    ).all()
    labels = {
        code: label
        for code, label in session.execute(
            select(ReferralCode.code, ReferralCode.label).where(
                ReferralCode.campaign_id == campaign_id
            )
        )
    }
    # Every named code is listed, even before it brings anyone.
    figures: dict[str, Figures] = {code: Figures() for code in labels}
    for referral, channel, outcome, n in counts:
        figures.setdefault(referral, Figures()).add(channel, outcome, int(n))
    rows = [(code, labels.get(code, ""), f) for code, f in figures.items()]
    return sorted(rows, key=lambda r: (-r[2].reached, r[0]))


def _by_id(session: Session, model: type[M], ids: set[int]) -> dict[int, M]:
    """Rows of ``model`` by id (ids of 0 are "none")."""
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.scalars(select(model).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


def _ridings(session: Session, fed_nums: list[int]) -> dict[int, Riding]:
    """Ridings by FED number."""
    if not fed_nums:
        return {}
    rows = session.scalars(select(Riding).where(Riding.fed_num.in_(fed_nums)))
    return {row.fed_num: row for row in rows}

"""Each hot query reads a range bounded by what it filters on, not a campaign's history.

The database holds a campaign's worth of activity that every hot query must look past:
thousands of letters to one minister, all with the campaign's own words and all through
one proxy's address, thousands of calls through that same address, old purged letters,
a day of self-report limits and an hour of wrong passwords. Each test runs one of our
functions, records the statements it issues and asserts from their plans that the
intended index is used and that no big table (nor any whole index of one) is read from
end to end. The plans are checked twice on SQLite: with the statistics the shipped-data
import left, and after an ANALYZE of the filled tables (``sqlite_stat1`` present).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callmp.calls import call_requests, webhooks
from callmp.campaigns import versions
from callmp.db import analyze, make_engine, make_session_factory
from callmp.letters import checks, delivery
from callmp.letters.records import MailSettings
from callmp.login_limits import Backoff, LoginLimits
from callmp.models import (
    CallRequest,
    CallStatus,
    Campaign,
    Channel,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    LoginFailures,
    MessageKind,
    MessageStatus,
    Outcome,
    PetitionSignature,
    ReportLimit,
    SignatureStatus,
    SubmissionStatus,
    Target,
)
from callmp.stats import report_limits
from tests.factories import demo_campaign, make_campaign
from tests.support.query_plans import Explained, full_scans, indexes_used, plans_of

#: Rows of each kind: enough that PostgreSQL prefers an index wherever one fits, few
#: enough to fill in a second or two.
N = 3000

#: "Now" for every query: the activity spreads over the month before it.
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

#: The proxy every letter and call came through (behind it, every supporter has its IP).
PROXY = "ip-hmac-of-the-proxy"

#: The words of the campaign's own letter, sent unchanged by everyone.
SAME_WORDS = "fingerprint-of-the-campaign-letter"

BIG = {"email_submissions", "email_messages", "call_requests", "contact_events"}

MAIL = MailSettings(secret="query plans")


@dataclass(frozen=True)
class Crowd:
    """The filled database: an engine on it, and what the hot queries look for."""

    engine: Engine
    campaign_id: int
    target_id: int
    person_id: int


def _swept_ip(at: datetime) -> str:
    """The connection's hash of a row made at ``at``, as the retention purge leaves it:
    cleared once older than the IP-hash retention period."""
    return PROXY if at > NOW - timedelta(days=MAIL.ip_hash_retention_days) else ""


def _ago(i: int) -> datetime:
    """The i-th letter or call back from NOW: one every quarter hour, ~31 days for N."""
    return NOW - timedelta(minutes=15 * i)


def _fill(session: Session) -> Crowd:
    """A month of one campaign's letters and calls, and of limits and wrong passwords."""
    campaign = demo_campaign(session)
    # The demo's minister is a portfolio target: letters record its holder.
    target = next(t for t in campaign.targets if t.portfolio is not None)
    assert target.portfolio is not None and target.portfolio.holder_id is not None
    person_id = target.portfolio.holder_id
    first = (session.scalar(select(func.max(EmailSubmission.id))) or 0) + 1
    cutoff = NOW - timedelta(days=MAIL.retention_days)
    submissions, messages, events, calls = [], [], [], []
    for i in range(N):
        at = _ago(i)
        sid = first + i
        submissions.append(
            {
                "id": sid,
                "public_id": f"s{sid:031d}",
                "campaign_id": campaign.id,
                "email_hmac": f"email-{i}",
                "ip_hmac": _swept_ip(at),
                "fingerprint": SAME_WORDS,
                "status": SubmissionStatus.queued,
                "confirmed_at": at,
                "purged_at": at + timedelta(days=MAIL.retention_days) if at < cutoff else None,
                "created_at": at,
            }
        )
        messages.append(
            {
                "id": sid,
                "submission_id": sid,
                "campaign_id": campaign.id,
                "kind": MessageKind.letter,
                "target_id": target.id,
                "person_id": person_id,
                "from_address": MAIL.default_from,
                "message_id": f"<{sid}@plans.invalid>",
                "status": MessageStatus.sent,
                "sent_at": at,
                "created_at": at,
                "updated_at": at,
            }
        )
        events.append(
            {
                "campaign_id": campaign.id,
                "target_id": target.id,
                "person_id": person_id,
                "channel": Channel.email,
                "outcome": Outcome.sent,
                "email_message_id": sid,
                "dedupe_key": f"e:{sid}",
                "created_at": at,
                # Most contacts came through one big partner; one in fifty through another.
                "referral": "small-partner" if i % 50 == 0 else "big-partner",
            }
        )
        calls.append(
            {
                "public_id": f"c{i:031d}",
                "campaign_id": campaign.id,
                "phone_hmac": f"phone-{i % 500}",
                "ip_hmac": _swept_ip(at),
                # Past the call retention period, the purge has cleared them already.
                "purged_at": at + timedelta(days=MAIL.call_retention_days)
                if at < NOW - timedelta(days=MAIL.call_retention_days)
                else None,
                # One in ten failed before it was placed: no provider id.
                "status": CallStatus.failed if i % 10 == 9 else CallStatus.completed,
                "provider_sid": None if i % 10 == 9 else f"CA{i:032x}",
                "created_at": at,
                "updated_at": at,
            }
        )
    session.execute(insert(EmailSubmission), submissions)
    session.execute(insert(EmailMessage), messages)
    session.execute(insert(ContactEvent), events)
    session.execute(insert(CallRequest), calls)
    _fill_signatures(session, campaign.id)
    if session.get_bind().dialect.name == "postgresql":
        # The rows above were given their ids: move the sequences past them, or the
        # sweeper's first new message (a signer's reminder) would reuse an id.
        for statement in (
            "SELECT setval(pg_get_serial_sequence('email_submissions', 'id'), max(id))"
            " FROM email_submissions",
            "SELECT setval(pg_get_serial_sequence('email_messages', 'id'), max(id))"
            " FROM email_messages",
        ):
            session.execute(text(statement))
    hour = report_limits.hour_of(NOW)
    session.execute(
        insert(ReportLimit),
        [{"key": f"i:{i}", "hour": hour - i % 24, "n": 1} for i in range(N)],
    )
    session.execute(
        insert(LoginFailures),
        [
            {"key": f"a:{i}", "failures": 1, "last_failure_at": NOW - timedelta(seconds=i)}
            for i in range(N)
        ],
    )
    session.commit()
    return Crowd(session.get_bind(), campaign.id, target.id, person_id)  # type: ignore[arg-type]


def _fill_signatures(session: Session, campaign_id: int) -> None:
    """A month of the campaign's petition (a tenth never confirmed), and another campaign's
    bigger petition, whose rows every count of this one must look past."""
    other = make_campaign(session, petitions=True)
    ridings = (35075, 12006, 24058, 59001)
    cutoff = NOW - timedelta(days=MAIL.retention_days)
    rows = []
    for owner, count in ((campaign_id, N), (other.id, 2 * N)):
        for i in range(count):
            rows.append(
                {
                    "public_id": f"p{owner}-{i}",
                    "campaign_id": owner,
                    "fed_num": ridings[i % len(ridings)],
                    "email_hmac": f"signer-{i}",
                    "status": (
                        SignatureStatus.awaiting_confirmation
                        if i % 10 == 9
                        else SignatureStatus.confirmed
                    ),
                    "referral": "small-partner" if i % 50 == 0 else "big-partner",
                    "share_source": "whatsapp" if i % 3 == 0 else "",
                    "called_at": _ago(i) if i % 4 == 0 else None,
                    # Past the retention period, the sweeper has already purged them.
                    "purged_at": _ago(i) + timedelta(days=MAIL.retention_days)
                    if _ago(i) < cutoff
                    else None,
                    "created_at": _ago(i),
                }
            )
    session.execute(insert(PetitionSignature), rows)


#: SQLite plans from ``sqlite_stat1`` as the import left it, and as ANALYZE leaves it after
#: the fill; PostgreSQL from its own statistics, made fresh by ANALYZE.
STATISTICS = (
    ["analyzed"]
    if os.environ.get("CALLMP_TEST_DATABASE_URL")
    else ["import statistics", "analyzed"]
)


@pytest.fixture(scope="module", params=STATISTICS)
def crowd(databases: Any, request: pytest.FixtureRequest) -> Iterator[Crowd]:
    """One filled database for the module, with or without fresh planner statistics."""
    url = databases.new()
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            filled = _fill(session)
            if request.param == "analyzed":
                analyze(session)
        yield filled
    finally:
        engine.dispose()
        databases.drop(url)


@pytest.fixture
def session(crowd: Crowd) -> Iterator[Session]:
    """A session on the filled database; whatever a test's functions write is rolled back."""
    with make_session_factory(crowd.engine)() as db:
        yield db
        db.rollback()


def _show(plans: list[Explained]) -> str:
    return "\n".join(str(plan) for plan in plans)


def _check(plans: list[Explained], *intended: str, tables: set[str] = BIG) -> None:
    """The plans read each intended index, and no table of ``tables`` end to end."""
    assert plans, "the function issued no statement"
    assert full_scans(plans, tables) == [], _show(plans)
    assert set(intended) <= indexes_used(plans), _show(plans)


def test_the_duplicate_letter_check_reads_one_senders_recent_letters(
    session: Session, crowd: Crowd
) -> None:
    plans = plans_of(
        session,
        lambda: checks.already_written(
            session,
            crowd.campaign_id,
            "email-7",
            [crowd.person_id],
            NOW - timedelta(hours=MAIL.duplicate_hours),
        ),
    )
    _check(plans, "ix_email_submissions_email_hmac_campaign_id_created_at")
    # Through the person's index it would read every letter the minister ever received.
    assert "ix_email_messages_person_id" not in indexes_used(plans), _show(plans)


def test_the_same_words_count_reads_only_those_words(session: Session, crowd: Crowd) -> None:
    # New words: a scan would read the whole campaign to find none.
    plans = plans_of(
        session,
        lambda: checks.identical_count(
            session, crowd.campaign_id, "new words", up_to=MAIL.identical_nudge
        ),
    )
    _check(plans, "ix_email_submissions_campaign_id_fingerprint_status")


def test_the_same_words_check_stops_counting_at_the_nudge(session: Session, crowd: Crowd) -> None:
    # The campaign's own words, sent by everyone: the check reads as far as the nudge.
    plans = plans_of(
        session,
        lambda: checks.identical_count(
            session, crowd.campaign_id, SAME_WORDS, up_to=MAIL.identical_nudge
        ),
    )
    # PostgreSQL may read the table in order here, and stops after a handful of rows.
    assert len(plans) == 1 and "LIMIT" in plans[0].sql.upper()
    capped = checks.identical_count(session, crowd.campaign_id, SAME_WORDS, up_to=5)
    assert (capped, checks.identical_count(session, crowd.campaign_id, SAME_WORDS)) == (5, N)


def test_the_letters_per_connection_count_reads_the_last_hour(
    session: Session, crowd: Crowd
) -> None:
    plans = plans_of(session, lambda: checks.sent_from_ip(session, PROXY, NOW - timedelta(hours=1)))
    _check(plans)
    # Either the connection's own hour, or the hour's hashes not yet cleared (PostgreSQL
    # may take the partial index: the same range of time, every connection's).
    assert indexes_used(plans) & {
        "ix_email_submissions_ip_hmac_created_at",
        "ix_email_submissions_created_at_unswept_ip",
    }, _show(plans)


@pytest.mark.parametrize("people", ["few", "many"])
@pytest.mark.parametrize("identical", ["capped", "all"])
def test_a_letters_checks_are_one_select_each_part_through_its_own_index(
    session: Session, crowd: Crowd, identical: str, people: str
) -> None:
    # A supporter behind the proxy writes to the minister: the hourly count, the
    # same-words count and the duplicate check in one statement. Up to FIXED_PEOPLE
    # people, one parameter each; more, one expanding parameter (others never written to).
    extra = 0 if people == "few" else checks.FIXED_PEOPLE
    person_ids = [crowd.person_id, *range(10**6, 10**6 + extra)]

    def check(words: str) -> checks.Checked:
        return checks.run_checks(
            session,
            campaign_id=crowd.campaign_id,
            ip_key=PROXY,
            email_key="email-7",
            fingerprint=words,
            person_ids=person_ids,
            now=NOW,
            settings=MAIL,
            identical=identical,
        )

    # New words: a scan would read the whole campaign to find none. (With the campaign's
    # own words, sent by everyone, PostgreSQL may read the table in order: see below.)
    plans = plans_of(session, lambda: check("new words"))
    assert len(plans) == 1, _show(plans)
    _check(
        plans,
        "ix_email_submissions_email_hmac_campaign_id_created_at",
        "ix_email_submissions_campaign_id_fingerprint_status",
    )
    assert indexes_used(plans) & {
        "ix_email_submissions_ip_hmac_created_at",
        "ix_email_submissions_created_at_unswept_ip",
    }, _show(plans)
    assert "ix_email_messages_person_id" not in indexes_used(plans), _show(plans)
    # The capped count stops at the nudge whatever plan reads it.
    if identical == "capped":
        (same_words,) = plans_of(session, lambda: check(SAME_WORDS))
        assert "LIMIT" in same_words.sql.upper()
    # The same answers as the three checks asked one by one.
    checked = check(SAME_WORDS)
    assert checked == checks.Checked(
        from_ip=checks.sent_from_ip(session, PROXY, NOW - timedelta(hours=1)),
        identical=MAIL.identical_nudge if identical == "capped" else N,
        written=checks.already_written(
            session,
            crowd.campaign_id,
            "email-7",
            [crowd.person_id],
            NOW - timedelta(hours=MAIL.duplicate_hours),
        ),
    )
    assert checked.from_ip > 0, checked
    assert checked.written == {crowd.person_id}, checked


def test_a_letters_checks_for_a_few_people_are_the_same_sql_every_time() -> None:
    """No expanding parameter (rewritten for its values on every run) up to FIXED_PEOPLE."""
    dialects = (sqlite.dialect(), postgresql.dialect())  # type: ignore[no-untyped-call]
    for people in range(1, checks.FIXED_PEOPLE + 1):
        for dialect in dialects:
            compiled = checks._CHECKS[(True, "capped", people)].compile(dialect=dialect)
            assert not any(bind.expanding for bind in compiled.binds.values())
    many = checks._CHECKS[(True, "capped", None)].compile(dialect=dialects[0])
    assert any(bind.expanding for bind in many.binds.values())


@pytest.mark.parametrize(
    ("column", "value", "hours", "index"),
    [
        ("phone_hmac", "phone-1", 1, "ix_call_requests_phone_hmac_created_at"),
        ("phone_hmac", "phone-1", 24, "ix_call_requests_phone_hmac_created_at"),
        ("ip_hmac", PROXY, 1, "ix_call_requests_ip_hmac_created_at"),
    ],
)
def test_the_call_limits_count_only_the_window(
    session: Session, crowd: Crowd, column: str, value: str, hours: int, index: str
) -> None:
    since = NOW - timedelta(hours=hours)
    attribute = getattr(CallRequest, column)
    plans = plans_of(session, lambda: call_requests.count_since(session, attribute, value, since))
    _check(plans)
    # By IP, PostgreSQL may read the window's unswept hashes instead (partial index).
    allowed = {index} | (
        {"ix_call_requests_created_at_unswept_ip"} if column == "ip_hmac" else set()
    )
    assert indexes_used(plans) & allowed, _show(plans)


def test_webhooks_find_a_call_by_its_provider_id(session: Session, crowd: Crowd) -> None:
    plans = plans_of(session, lambda: webhooks.status_changed(session, f"CA{7:032x}", "completed"))
    _check(plans)
    assert any(
        step.table == "call_requests" and step.bounded for plan in plans for step in plan.steps
    ), _show(plans)


def test_a_status_page_finds_a_call_by_its_public_id(session: Session, crowd: Crowd) -> None:
    plans = plans_of(session, lambda: call_requests.by_public_id(session, f"c{7:031d}"))
    _check(plans)
    assert any(step.table == "call_requests" for plan in plans for step in plan.steps)


def test_the_call_sweeper_reads_only_unfinished_requests(session: Session, crowd: Crowd) -> None:
    plans = plans_of(
        session,
        lambda: call_requests.sweep(session, now=NOW, stuck_after_s=120, give_up_after_s=7200),
    )
    _check(plans, "ix_call_requests_status_created_at")
    # Through the provider id's index it would read every request that never got one.
    read = {step.index for plan in plans for step in plan.steps if step.table == "call_requests"}
    assert read == {"ix_call_requests_status_created_at"}, _show(plans)


def test_the_mail_sweeper_reads_only_waiting_and_unpurged_letters(
    session: Session, crowd: Crowd
) -> None:
    plans = plans_of(session, lambda: delivery.sweep(session, MAIL, NOW, stuck_after_s=600))
    _check(
        plans,
        "ix_email_messages_status",
        "ix_email_submissions_status_created_at",
        "ix_email_submissions_purged_at_created_at",
        "ix_petition_signatures_status_created_at",
        "ix_petition_signatures_purged_at_created_at",
    )


def test_a_new_hour_of_report_limits_deletes_by_hour(session: Session, crowd: Crowd) -> None:
    plans = plans_of(session, lambda: report_limits.take(session, [("i:new", 10)], NOW))
    _check(plans, "ix_report_limits_hour", tables={"report_limits"})


def test_login_limits_read_and_forget_by_key_and_time(session: Session, crowd: Crowd) -> None:
    window = Backoff(free=3, first_wait=timedelta(seconds=1), longest_wait=timedelta(minutes=5))
    limits = LoginLimits(b"secret", window, window, clock=lambda: NOW)
    keys = limits.keys("someone@example.org", "192.0.2.1")

    def wrong_password() -> None:
        limits.wait(session, keys)
        limits.failed(session, keys)

    plans = plans_of(session, wrong_password)
    _check(plans, "ix_login_failures_last_failure_at", tables={"login_failures"})


def test_a_target_without_contacts_is_told_without_reading_them_all(
    session: Session, crowd: Crowd
) -> None:
    # Every filled letter went to the minister: proving that the other target has none
    # reads through every letter and event unless the target's index answers.
    target = session.scalars(
        select(Target).where(Target.campaign_id == crowd.campaign_id, Target.id != crowd.target_id)
    ).first()
    assert target is not None
    plans = plans_of(session, lambda: versions._has_contacts(session, target))
    _check(plans, "ix_contact_events_target_id", "ix_email_messages_target_id")


def test_the_dashboard_totals_never_read_the_events(session: Session, crowd: Crowd) -> None:
    from callmp.stats import totals

    plans = plans_of(session, lambda: totals.totals(session, crowd.campaign_id))
    assert plans
    assert not any(step.table in BIG for plan in plans for step in plan.steps), _show(plans)


def test_the_brought_by_shares_table_reads_only_the_events_shares_brought(
    session: Session, crowd: Crowd
) -> None:
    from callmp.stats import share_sources

    plans = plans_of(session, lambda: share_sources.share_rows(session, crowd.campaign_id))
    _check(plans, "ix_contact_events_share")


def test_the_import_leaves_planner_statistics(crowd: Crowd) -> None:
    with crowd.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'people'")
        else:
            query = text("SELECT count(*) FROM pg_stats WHERE tablename = 'people'")
        assert (connection.scalar(query) or 0) > 0


def test_the_campaign_has_the_crowd(session: Session, crowd: Crowd) -> None:
    """The fill is what the other tests assume: so many letters to one person, via one IP."""
    campaign = session.get(Campaign, crowd.campaign_id)
    assert campaign is not None
    letters = select(func.count()).where(EmailMessage.person_id == crowd.person_id)
    calls = select(func.count()).where(CallRequest.ip_hmac == PROXY)
    recent = sum(1 for i in range(N) if _swept_ip(_ago(i)))
    assert 0 < recent < N
    assert (session.scalar(letters), session.scalar(calls)) == (N, recent)


def test_a_partners_dashboard_reads_only_that_partners_events(
    session: Session, crowd: Crowd
) -> None:
    from zoneinfo import ZoneInfo

    from callmp.stats import partner_counts

    def numbers() -> None:
        found = partner_counts.partner_numbers(
            session, crowd.campaign_id, "small-partner", ZoneInfo("America/Toronto")
        )
        assert found.total.reached == N // 50

    plans = plans_of(session, numbers)
    _check(plans, "ix_contact_events_campaign_id_referral_created_at")


PETITION = "petition_signatures"


@pytest.mark.parametrize(
    ("count", "index"),
    [
        ("total", ""),
        ("by_riding", "ix_petition_signatures_campaign_id_status_fed_num"),
        ("constituents", "ix_petition_signatures_campaign_id_status_fed_num"),
        ("by_referral", "ix_petition_signatures_campaign_id_status_referral"),
        ("by_day", "ix_petition_signatures_campaign_id_status_created_at"),
        ("ladder", ""),
        ("partner_days", ""),
    ],
)
def test_petition_counts_read_only_the_petitions_counted_signatures(
    session: Session, crowd: Crowd, count: str, index: str
) -> None:
    from zoneinfo import ZoneInfo

    from callmp.petitions import counts, tables

    zone = ZoneInfo("America/Toronto")
    counted = N - N // 10
    runs = {
        "total": lambda: counts.total(session, crowd.campaign_id) == counted,
        "by_riding": lambda: (
            sum(r.signatures for r in counts.by_riding(session, crowd.campaign_id)) == counted
        ),
        "constituents": lambda: (
            sum(r.signatures for r in tables.constituents(session, crowd.campaign_id)) == counted
        ),
        "by_referral": lambda: (
            sum(r.signatures for r in counts.by_referral(session, crowd.campaign_id)) == counted
        ),
        "by_day": lambda: (
            sum(d.signatures for d in counts.by_day(session, crowd.campaign_id, zone, NOW))
            == counted
        ),
        "ladder": lambda: counts.ladder(session, crowd.campaign_id).signers == counted,
        "partner_days": lambda: (
            sum(
                d.signatures
                for d in counts.by_day(
                    session, crowd.campaign_id, zone, NOW, referral="small-partner"
                )
            )
            == N // 50
        ),
    }
    answers: list[object] = []
    plans = plans_of(session, lambda: answers.append(runs[count]()))
    assert answers == [True]
    # PostgreSQL may take any index that starts with (campaign, status): the same range.
    sqlite = session.get_bind().dialect.name == "sqlite"
    _check(plans, *([index] if index and sqlite else []), tables={PETITION})
    read = {step.index for plan in plans for step in plan.steps if step.table == PETITION}
    # Every read of the signatures starts from the petition's (campaign, status) range.
    assert read and all(
        name.startswith("ix_petition_signatures_campaign_id_status") for name in read
    ), _show(plans)

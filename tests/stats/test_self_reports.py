"""Self-reported contacts: counted only with a signed page token, once each, under limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.campaigns.targets import ResolvedTarget, targets_for
from callmp.directory import lookup
from callmp.models import Campaign, CampaignStatus, Channel, ContactEvent, Outcome, ReportLimit
from callmp.stats import report_limits, report_tokens, self_reports
from callmp.stats.report_tokens import ReportSettings
from tests.factories import make_campaign, make_target

NOW = datetime(2026, 12, 1, 15, 10, tzinfo=UTC)
SETTINGS = ReportSettings(
    secret="s" * 32, max_age_s=3600, max_per_ip_per_hour=5, max_per_client_per_hour=3
)
SPADINA = 35100


def _targets(session: Session, campaign: Campaign, fed_num: int = SPADINA) -> list[ResolvedTarget]:
    candidate = lookup.riding(session, fed_num)
    assert candidate is not None
    return [t for t in targets_for(campaign, candidate) if t.person is not None]


def _token(
    campaign: Campaign,
    targets: list[ResolvedTarget],
    *,
    kind: str = report_tokens.DIRECT,
    fed_num: int = SPADINA,
    client: str = "client-1",
    at: datetime = NOW,
    settings: ReportSettings = SETTINGS,
) -> str:
    return report_tokens.issue(
        settings,
        kind,
        campaign_id=campaign.id,
        fed_num=fed_num,
        target_ids=[t.target.id for t in targets],
        client=client,
        now=at,
    )


def _report(
    session: Session,
    campaign: Campaign,
    targets: list[ResolvedTarget],
    token: str,
    *,
    index: int = 0,
    ip: str = "198.51.100.7",
    at: datetime = NOW,
) -> bool:
    item = targets[index]
    assert item.person is not None
    return self_reports.report_direct_call(
        session,
        campaign,
        targets,
        target_id=item.target.id,
        office_id=item.offices[0].id,  # a portfolio's: its own office
        outcome="talked_to_staff",
        fed_num=SPADINA,
        referral="",
        reporter=self_reports.Reporter(SETTINGS, token, ip, at),
    )


def _events(session: Session, channel: Channel = Channel.direct_call) -> int:
    query = select(func.count()).select_from(ContactEvent).where(ContactEvent.channel == channel)
    return int(session.scalar(query) or 0)


def _second_campaign(session: Session) -> Campaign:
    other = make_campaign(session, status=CampaignStatus.published)
    make_target(session, other)
    session.commit()
    session.refresh(other)
    return other


def test_a_token_made_up_by_the_client_counts_nothing(
    db_session: Session, campaign: Campaign
) -> None:
    targets = _targets(db_session, campaign)
    real = _token(campaign, targets)
    forged = report_tokens.issue(
        ReportSettings(secret="not-our-secret"),
        report_tokens.DIRECT,
        campaign_id=campaign.id,
        fed_num=SPADINA,
        target_ids=[t.target.id for t in targets],
        client="x",
        now=NOW,
    )
    for token in ("made-up", "", "x" * 2000, forged, real[:-3] + "AAA", real + "."):
        with pytest.raises(self_reports.TokenError) as refused:
            _report(db_session, campaign, targets, token)
        assert refused.value.reason == "token"
    assert _events(db_session) == 0


def test_a_token_for_another_page_counts_nothing(db_session: Session, campaign: Campaign) -> None:
    targets = _targets(db_session, campaign)
    other = _second_campaign(db_session)
    wrong = (
        _token(other, _targets(db_session, other)),  # another campaign
        _token(campaign, targets, fed_num=35101),  # another riding
        _token(campaign, targets, kind=report_tokens.MAILTO),  # the letter preview's
        _token(campaign, targets[1:]),  # a page that did not show this target
    )
    for token in wrong:
        with pytest.raises(self_reports.TokenError):
            _report(db_session, campaign, targets, token)
    assert _events(db_session) == 0


def test_an_expired_token_counts_nothing(db_session: Session, campaign: Campaign) -> None:
    targets = _targets(db_session, campaign)
    old = _token(campaign, targets, at=NOW - timedelta(seconds=SETTINGS.max_age_s + 1))
    with pytest.raises(self_reports.TokenError) as refused:
        _report(db_session, campaign, targets, old)
    assert refused.value.message == report_tokens.EXPIRED
    fresh = _token(campaign, targets, at=NOW - timedelta(seconds=SETTINGS.max_age_s - 1))
    assert _report(db_session, campaign, targets, fresh)
    assert _events(db_session) == 1


def test_a_reused_token_counts_each_target_once(db_session: Session, campaign: Campaign) -> None:
    targets = _targets(db_session, campaign)
    assert len(targets) == 2
    token = _token(campaign, targets)
    assert _report(db_session, campaign, targets, token)
    for _ in range(10):
        assert not _report(db_session, campaign, targets, token)
    assert _report(db_session, campaign, targets, token, index=1)
    assert not _report(db_session, campaign, targets, token, index=1)
    assert _events(db_session) == 2
    # A repeat takes no place under the limits: the client used two of its three.
    assert (
        db_session.scalar(select(func.sum(ReportLimit.n)).where(ReportLimit.key == "c:client-1"))
        == 2
    )


def test_reports_from_one_ip_stop_at_the_limit_across_campaigns(
    db_session: Session, campaign: Campaign
) -> None:
    other = _second_campaign(db_session)
    counted = 0
    for n in range(20):
        target_campaign = campaign if n % 2 else other
        targets = _targets(db_session, target_campaign)
        token = _token(target_campaign, targets, client=f"page-{n}")  # no cookies: new client
        try:
            counted += _report(db_session, target_campaign, targets, token)
            db_session.commit()  # as the view does
        except self_reports.ReportLimited as error:
            assert error.message == self_reports.TOO_MANY
            db_session.rollback()
    assert counted == SETTINGS.max_per_ip_per_hour
    assert _events(db_session) == SETTINGS.max_per_ip_per_hour
    # Another address still may; the next hour this one may again.
    targets = _targets(db_session, campaign)
    assert _report(db_session, campaign, targets, _token(campaign, targets), ip="203.0.113.9")
    later = NOW + timedelta(hours=1)
    targets = _targets(db_session, campaign)
    token = _token(campaign, targets, client="page-late", at=later)
    assert _report(db_session, campaign, targets, token, at=later)


def test_reports_from_one_client_stop_at_its_limit_whatever_the_address(
    db_session: Session, campaign: Campaign
) -> None:
    counted = 0
    for n in range(10):
        targets = _targets(db_session, campaign)
        token = _token(campaign, targets)  # one session, a new page each time
        try:
            counted += _report(db_session, campaign, targets, token, ip=f"198.51.100.{n}")
            db_session.commit()
        except self_reports.ReportLimited:
            db_session.rollback()
    assert counted == SETTINGS.max_per_client_per_hour


def test_the_ip_is_kept_only_as_a_keyed_hash(db_session: Session, campaign: Campaign) -> None:
    targets = _targets(db_session, campaign)
    _report(db_session, campaign, targets, _token(campaign, targets), ip="198.51.100.7")
    keys = set(db_session.scalars(select(ReportLimit.key)))
    assert keys == {"c:client-1", "i:" + SETTINGS.ip_key("198.51.100.7")}
    assert not any("198.51.100.7" in key for key in keys)
    assert SETTINGS.ip_key("198.51.100.7") != ReportSettings(secret="other").ip_key("198.51.100.7")


def test_limit_rows_older_than_a_day_are_cleared(db_session: Session) -> None:
    old = NOW - timedelta(hours=report_limits.KEEP_HOURS + 2)
    assert report_limits.take(db_session, [("c:old", 1)], old)
    assert report_limits.take(db_session, [("c:new", 1)], NOW)
    assert not report_limits.take(db_session, [("c:new", 1)], NOW)
    assert set(db_session.scalars(select(ReportLimit.key))) == {"c:new"}


def test_mailto_reports_need_the_previews_token_and_count_once(
    db_session: Session, campaign: Campaign
) -> None:
    targets = _targets(db_session, campaign)
    reporter = self_reports.Reporter(
        SETTINGS, _token(campaign, targets, kind=report_tokens.MAILTO), "198.51.100.7", NOW
    )

    def report(token_reporter: self_reports.Reporter, shown: list[ResolvedTarget]) -> int:
        return self_reports.report_mailto(
            db_session, campaign, shown, fed_num=SPADINA, referral="", reporter=token_reporter
        )

    direct = self_reports.Reporter(SETTINGS, _token(campaign, targets), "198.51.100.7", NOW)
    with pytest.raises(self_reports.TokenError):
        report(direct, targets)  # the riding page's token is not the preview's
    with pytest.raises(self_reports.TokenError):
        report(reporter, targets[:1])  # other letters than the preview showed
    assert report(reporter, targets) == 2
    assert report(reporter, targets) == 0
    events = db_session.scalars(select(ContactEvent)).all()
    assert [(e.channel, e.outcome) for e in events] == [(Channel.email, Outcome.mailto)] * 2

"""Campaign versions (snapshots, differences, restore) and the audit log, without a request."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.campaigns import version_diffs
from callmp.campaigns import versions as history
from callmp.demo import DEMO_SLUG
from callmp.models import (
    Campaign,
    CampaignStatus,
    Channel,
    ContactEvent,
    Outcome,
    ReferralCode,
    Role,
    Target,
    TargetKind,
    User,
)
from tests.factories import demo_campaign, make_person, make_target
from tests.support.html import one, parse, text


@pytest.fixture
def lead(session: Session, make_user: Callable[..., User]) -> User:
    """A campaign lead, attached to ``session``."""
    user = session.get(User, make_user(Role.lead, name="Lee Lead").id)
    assert user is not None
    return user


def add_event(session: Session, campaign: Campaign, target: Target) -> ContactEvent:
    """A counted call to ``target``."""
    event = ContactEvent(
        campaign_id=campaign.id,
        target_id=target.id,
        person_id=target.person_id,
        channel=Channel.direct_call,
        outcome=Outcome.talked_to_staff,
    )
    session.add(event)
    session.flush()
    return event


def test_snapshot_is_json_data_with_every_field_targets_and_codes(session: Session) -> None:
    campaign = demo_campaign(session)
    campaign.referral_codes.append(ReferralCode(code="union", label="The union"))
    session.flush()
    data = history.snapshot(campaign)
    assert json.loads(json.dumps(data)) == data
    assert set(history.CAMPAIGN_FIELDS) <= set(data)
    # The demo's minister is its portfolio, kept by id (whoever holds it then).
    assert [t["kind"] for t in data["targets"]] == ["own_mp", "portfolio"]
    assert [t["portfolio_id"] for t in data["targets"]] == [None, campaign.targets[1].portfolio_id]
    assert data["targets"][1]["portfolio_id"] is not None
    assert data["referral_codes"] == [{"code": "union", "label": "The union"}]
    assert "status" not in data


def test_restoring_a_snapshot_gives_back_the_same_snapshot(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    campaign.starts_at = None
    history.ensure_baseline(session, campaign, lead)
    first = history.snapshot(campaign)
    with history.saving(session, campaign, lead):
        campaign.talking_points_en = "Something else entirely"
        campaign.goal = 12
        campaign.targets[1].role_en = "the minister"
        campaign.referral_codes.append(ReferralCode(code="zine", label="Zine"))
    history.restore(session, campaign, 1, lead)
    assert history.snapshot(campaign) == first


def test_record_version_adds_nothing_when_nothing_changed(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    first = history.record_version(session, campaign, lead)
    again = history.record_version(session, campaign, lead)
    assert first is not None and first.number == 1
    assert again is None
    assert len(history.versions(session, campaign.id)) == 1


def test_each_change_gets_the_next_number_and_an_audit_entry(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    for goal in (10, 20, 30):
        with history.saving(session, campaign, lead):
            campaign.goal = goal
    numbers = [version.number for version in history.versions(session, campaign.id)]
    assert numbers == [4, 3, 2, 1]
    actions = [entry.action for entry in audit.entries(session, campaign_id=campaign.id)]
    assert actions == ["campaign.update"] * 3 + ["campaign.create"]


def test_history_rows_name_the_fields_each_version_changed(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    with history.saving(session, campaign, lead):
        campaign.talking_points_fr = "Nouveau texte"
    with history.saving(session, campaign, lead):
        campaign.title_en = "New title"
        campaign.targets[1].role_en = "the minister"
    rows = version_diffs.history_rows(session, campaign.id)
    assert [(row.version.number, row.changed, row.previous) for row in rows] == [
        (3, ["title_en", "targets"], 2),
        (2, ["talking_points_fr"], 1),
        (1, [], None),
    ]
    assert version_diffs.field_label("talking_points_fr") == "Talking points (French)"


def test_text_diff_shows_organiser_markup_as_text() -> None:
    html = version_diffs.text_diff("Call now.\n", "Call now.\n<script>alert(1)</script>\n")
    soup = parse(str(html))
    assert soup.find("script") is None
    assert text(one(soup, "ins")) == "<script>alert(1)</script>"


def test_text_diff_marks_changed_words_and_lines() -> None:
    old = "Housing is a right.\nCall your MP.\nThanks!\n"
    new = "Housing is a human right.\nCall your MP.\n"
    soup = parse(str(version_diffs.text_diff(old, new)))
    assert [text(tag) for tag in soup.select("ins")] == ["human"]
    assert [text(tag) for tag in soup.select("del")] == ["Thanks!"]
    assert "Call your MP." in soup.get_text()


def test_text_diff_shows_a_rewritten_line_whole() -> None:
    soup = parse(str(version_diffs.text_diff("Hello dear friends of housing\n", "Call now\n")))
    assert [text(tag) for tag in soup.select("del")] == ["Hello dear friends of housing"]
    assert [text(tag) for tag in soup.select("ins")] == ["Call now"]


def test_targets_diff_names_people_and_marks_added_and_removed(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    other = make_person(session, full_name="Pat Other")
    history.ensure_baseline(session, campaign, lead)
    with history.saving(session, campaign, lead):
        minister = campaign.targets[1]
        minister.kind, minister.portfolio_id, minister.person_id = (
            TargetKind.person,
            None,
            other.id,
        )
        campaign.targets[0].parties = "NDP"
    comparison = version_diffs.compare(session, campaign, 1, 2)
    [diff] = comparison.diffs
    assert diff.name == "targets"
    lines = [(line.change, line.kind, line.person, line.parties) for line in diff.targets]
    assert lines == [
        ("removed", "own_mp", "", ""),
        ("removed", "portfolio", "Minister of Immigration, Refugees and Citizenship", ""),
        ("added", "own_mp", "", "NDP"),
        ("added", "person", "Pat Other", ""),
    ]


def test_compare_of_short_fields_gives_old_and_new(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    history.ensure_baseline(session, campaign, lead)
    with history.saving(session, campaign, lead):
        campaign.goal = 7
        campaign.referral_codes.append(ReferralCode(code="union", label="The union"))
    diffs = {diff.name: diff for diff in version_diffs.compare(session, campaign, 1, 2).diffs}
    assert (diffs["goal"].old, diffs["goal"].new) == (5000, 7)
    assert [(c.change, c.code) for c in diffs["referral_codes"].codes] == [("added", "union")]
    with pytest.raises(version_diffs.UnknownVersion):
        version_diffs.compare(session, campaign, 1, 9)


def test_restore_brings_back_texts_targets_codes_and_keeps_status(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    portfolio_id = campaign.targets[1].portfolio_id
    assert portfolio_id is not None
    campaign.referral_codes.append(ReferralCode(code="union", label="The union"))
    history.ensure_baseline(session, campaign, lead)
    with history.saving(session, campaign, lead):
        campaign.email_body_fr = "Autre lettre"
        campaign.targets.remove(campaign.targets[1])
        campaign.referral_codes[0].label = "Renamed"
        campaign.referral_codes.append(ReferralCode(code="zine"))
    campaign.status = CampaignStatus.archived
    version = history.restore(session, campaign, 1, lead)
    assert version is not None and version.number == 3 and version.restored_from == 1
    assert version.summary.startswith("restored version 1")
    assert campaign.email_body_fr != "Autre lettre"
    assert [(t.position, t.kind, t.person_id, t.portfolio_id) for t in campaign.targets] == [
        (1, TargetKind.own_mp, None, None),
        (2, TargetKind.portfolio, None, portfolio_id),
    ]
    assert [(r.code, r.label) for r in campaign.referral_codes] == [("union", "The union")]
    assert campaign.status == CampaignStatus.archived
    entry = audit.entries(session, campaign_id=campaign.id, limit=1)[0]
    assert entry.action == "campaign.restore" and entry.user_id == lead.id


def test_restore_keeps_counted_events_on_their_targets(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    own_mp, minister = campaign.targets
    event = add_event(session, campaign, minister)
    history.ensure_baseline(session, campaign, lead)
    other = make_person(session, full_name="Pat Other")
    with history.saving(session, campaign, lead):
        campaign.targets.remove(own_mp)
        session.flush()
        minister.position = 1
        make_target(session, campaign, position=2, kind=TargetKind.person, person_id=other.id)
    history.restore(session, campaign, 1, lead)
    session.expire_all()
    assert session.get(ContactEvent, event.id).target_id == minister.id  # type: ignore[union-attr]
    restored = [(t.id, t.position, t.person_id) for t in demo_campaign(session).targets]
    assert restored[1] == (minister.id, 2, minister.person_id)
    assert restored[0][1:] == (1, None)
    assert not session.scalars(select(Target).where(Target.person_id == other.id)).all()


def test_restore_refuses_to_drop_a_target_with_counted_events(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    history.ensure_baseline(session, campaign, lead)
    other = make_person(session, full_name="Pat Other")
    with history.saving(session, campaign, lead):
        make_target(session, campaign, position=3, kind=TargetKind.person, person_id=other.id)
    session.refresh(campaign, ["targets"])
    add_event(session, campaign, campaign.targets[2])
    with pytest.raises(history.RestoreRefused) as refused:
        history.restore(session, campaign, 1, lead)
    assert refused.value.reason == "target_has_contacts"


def test_restore_refuses_when_a_target_person_is_gone(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    gone = make_person(session, full_name="Gone Person")
    with history.saving(session, campaign, lead):
        make_target(session, campaign, position=3, kind=TargetKind.person, person_id=gone.id)
    with history.saving(session, campaign, lead):
        campaign.targets.remove(campaign.targets[2])
    session.delete(gone)
    session.flush()
    with pytest.raises(history.RestoreRefused) as refused:
        history.restore(session, campaign, 2, lead)
    assert refused.value.reason == "person_gone"
    assert refused.value.params == {"position": "3", "number": "2"}
    assert len(history.versions(session, campaign.id)) == 3


def test_restore_refuses_a_slug_another_campaign_took(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    history.ensure_baseline(session, campaign, lead)
    with history.saving(session, campaign, lead):
        campaign.slug = "renamed"
    session.add(Campaign(slug=DEMO_SLUG, title_en="Copy", title_fr="Copie"))
    session.flush()
    with pytest.raises(history.RestoreRefused) as refused:
        history.restore(session, campaign, 1, lead)
    assert refused.value.reason == "slug_taken"
    with pytest.raises(history.VersionNotFound):
        history.restore(session, campaign, 42, lead)


def test_restoring_a_version_without_targets_leaves_targets_alone(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    first = history.record_version(session, campaign, lead)
    assert first is not None
    first.snapshot = {k: v for k, v in first.snapshot.items() if k != "targets"}
    with history.saving(session, campaign, lead):
        campaign.goal = 3
    history.restore(session, campaign, 1, lead)
    assert campaign.goal == 5000
    assert [t.kind for t in campaign.targets] == [TargetKind.own_mp, TargetKind.portfolio]


def test_restoring_the_current_version_records_nothing(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    history.ensure_baseline(session, campaign, lead)
    assert history.restore(session, campaign, 1, lead) is None
    assert len(history.versions(session, campaign.id)) == 1


def test_audit_entries_filter_by_campaign_and_action_group(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    audit.record(session, lead, "campaign.publish", "published", campaign=campaign)
    audit.record(session, lead, "campaigns.other", "not a campaign action")
    audit.record(session, lead, "user.update", "someone", user=lead)
    assert [e.action for e in audit.entries(session, action="campaign")] == ["campaign.publish"]
    assert [e.action for e in audit.entries(session, campaign_id=campaign.id)] == [
        "campaign.publish"
    ]
    assert audit.action_label("campaign.publish") == "Campaign published"
    assert audit.action_label("odd.thing") == "odd.thing"


def test_audit_page_goes_back_in_time_page_by_page(session: Session, lead: User) -> None:
    for number in range(5):
        audit.record(session, lead, "campaign.update", f"change {number}")
    first = audit.page(session, size=2)
    assert [e.summary for e in first.entries] == ["change 4", "change 3"]
    second = audit.page(session, size=2, before=first.next_before)
    assert [e.summary for e in second.entries] == ["change 2", "change 1"]
    last = audit.page(session, size=2, before=second.next_before)
    assert [e.summary for e in last.entries] == ["change 0"]
    assert last.next_before is None


def test_a_targets_own_words_are_kept_by_a_version_and_restored(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    minister = campaign.targets[1]
    minister.address_fr = "Madame la Ministre"  # the demo has none: a post has no gender
    words = {
        "talking_points_en": minister.talking_points_en,
        "email_body_fr": minister.email_body_fr,
        "address_fr": minister.address_fr,
    }
    assert all(words.values())
    history.ensure_baseline(session, campaign, lead)
    assert history.snapshot(campaign)["targets"][1]["address_fr"] == "Madame la Ministre"
    with history.saving(session, campaign, lead):
        minister.talking_points_en = "New points"
        minister.email_body_fr = ""
        minister.address_fr = ""
    diffs = {diff.name: diff for diff in version_diffs.compare(session, campaign, 1, 2).diffs}
    changed = [(d.position, d.label) for d in diffs["targets"].target_words]
    assert changed == [
        (2, "Talking points (English)"),
        (2, "Email text (French)"),
        (2, "Form of address (French)"),
    ]
    assert text(one(parse(str(diffs["targets"].target_words[0].html)), "ins")) == "New points"
    history.restore(session, campaign, 1, lead)
    assert {name: getattr(minister, name) for name in words} == words


def test_restoring_a_version_from_before_target_words_clears_them(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    version = history.record_version(session, campaign, lead)
    assert version is not None
    old = json.loads(json.dumps(version.snapshot))
    for target in old["targets"]:
        for name in ("talking_points_en", "email_subject_en", "address_en", "gender"):
            target.pop(name)
    version.snapshot = old
    session.flush()
    history.restore(session, campaign, 1, lead)
    minister = campaign.targets[1]
    assert (minister.talking_points_en, minister.address_en, minister.gender) == ("", "", "")
    assert minister.talking_points_fr  # kept in the snapshot, so restored as it was

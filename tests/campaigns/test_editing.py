"""Campaign editing, status changes and the preview's call and letters, without a request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.campaigns import editing, fields
from callmp.campaigns import preview as campaign_preview
from callmp.campaigns import status as campaign_status
from callmp.campaigns import versions as history
from callmp.campaigns.fields import CampaignInput, CampaignInvalid, FieldError
from callmp.demo import DEMO_SLUG
from callmp.models import (
    AuditEntry,
    CallRequest,
    Campaign,
    CampaignStatus,
    ContactEvent,
    TargetKind,
)
from callmp.views.context import clean_referral
from tests.factories import demo_campaign, make_target

SPADINA = 35100  # Spadina—Harbourfront, Chi Nguyen


def good(**changes: Any) -> CampaignInput:
    """A complete, valid campaign input, with ``changes``."""
    base = CampaignInput(
        slug="fair-wages",
        title_en="Fair wages",
        title_fr="Des salaires justes",
        summary_en="Ask your MP for fair wages.",
        summary_fr="Demandez des salaires justes.",
        call_intro_en="Hello from Fair Wages.",
        call_intro_fr="Bonjour de Salaires justes.",
        talking_points_en="I live in {riding}. Please support fair wages, {mp_name}.",
        talking_points_fr="J'habite dans {riding}. Appuyez des salaires justes, {mp_name}.",
        email_subject_en="Fair wages in {riding}",
        email_subject_fr="Des salaires justes à {riding}",
        email_body_en="Dear {mp_name}, I live in {riding}.",
        email_body_fr="Bonjour {mp_name}, j'habite dans {riding}.",
        org_legal_name="Fair Wages Coalition Inc.",
        org_mailing_address="100 Example Street\nOttawa ON  K1A 0A6",
        org_contact="privacy@fair-wages.example.org",
    )
    return replace(base, **changes)


def save(db_session: Session, data: CampaignInput, campaign: Campaign | None = None) -> Campaign:
    """Save through the domain as a view would, and flush."""
    saved = editing.save(db_session, campaign, data, None, clean_referral)
    db_session.flush()
    return saved


def refused(
    db_session: Session, data: CampaignInput, campaign: Campaign | None = None
) -> list[FieldError]:
    """The errors saving ``data`` raises."""
    with pytest.raises(CampaignInvalid) as caught:
        save(db_session, data, campaign)
    db_session.rollback()
    return caught.value.errors


def versions(db_session: Session, campaign: Campaign) -> list[int]:
    """The campaign's version numbers, newest first."""
    return [v.number for v in history.versions(db_session, campaign.id)]


def test_a_new_campaign_is_a_draft_kept_as_version_one(db_session: Session) -> None:
    campaign = save(db_session, good())
    assert campaign.status == CampaignStatus.draft
    assert campaign.title_fr == "Des salaires justes"
    assert versions(db_session, campaign) == [1]
    entry = db_session.scalars(
        select(AuditEntry).where(AuditEntry.campaign_id == campaign.id)
    ).one()
    assert entry.action == "campaign.create"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Fair wages!"}, "slug", fields.BAD_SLUG),
        ({"slug": "ab"}, "slug", fields.BAD_SLUG),
        ({"slug": "-fair-"}, "slug", fields.BAD_SLUG),
        ({"slug": "x" * 81}, "slug", fields.BAD_SLUG),
        ({"languages": "de"}, "languages", fields.BAD_LANGUAGES),
        ({"title_en": "", "title_fr": ""}, "title_en", fields.TITLE_NEEDED),
        ({"title_en": "", "title_fr": "", "languages": "fr"}, "title_fr", fields.TITLE_NEEDED),
        ({"title_fr": "t" * 201}, "title_fr", fields.TOO_LONG),
        ({"email_subject_en": "s" * 201}, "email_subject_en", fields.TOO_LONG),
        ({"talking_points_en": "p" * 10001}, "talking_points_en", fields.TOO_LONG),
        ({"starts_at": "next Tuesday"}, "starts_at", fields.BAD_DATE),
        ({"ends_at": "2026-02-30T10:00"}, "ends_at", fields.BAD_DATE),
        ({"goal": "0"}, "goal", fields.BAD_GOAL),
        ({"goal": "-5"}, "goal", fields.BAD_GOAL),
        ({"goal": "12.5"}, "goal", fields.BAD_GOAL),
        ({"goal": "9" * 5000}, "goal", fields.BAD_GOAL),
        ({"phone_number": "+44 20 7123 4567"}, "phone_number", fields.BAD_PHONE),
        ({"phone_number": "12345"}, "phone_number", fields.BAD_PHONE),
        ({"phone_number": "call us"}, "phone_number", fields.BAD_PHONE),
        ({"office_policy": "random"}, "office_policy", fields.BAD_POLICY),
        ({"email_from_address": "letters at example"}, "email_from_address", fields.BAD_EMAIL),
        ({"referral_codes": "bad/code Partner"}, "referral_codes", fields.BAD_CODE),
        ({"referral_codes": "union Union\nUNION Again"}, "referral_codes", fields.DUPLICATE_CODE),
        ({"referral_codes": "union " + "l" * 201}, "referral_codes", fields.LONG_LABEL),
    ],
)
def test_bad_input_is_refused_with_its_message(
    db_session: Session, changes: dict[str, str], field: str, message: str
) -> None:
    errors = refused(db_session, good(**changes))
    assert [(e.name, e.message) for e in errors] == [(field, message)]


def test_a_taken_slug_is_refused_naming_it(db_session: Session) -> None:
    (error,) = refused(db_session, good(slug=DEMO_SLUG))
    assert (error.name, error.message, error.params) == (
        "slug",
        fields.SLUG_TAKEN,
        {"slug": DEMO_SLUG},
    )


def test_a_campaign_keeps_its_own_slug_on_save(db_session: Session) -> None:
    campaign = save(db_session, good())
    assert save(db_session, good(title_en="Fairer wages"), campaign).slug == "fair-wages"


def test_the_end_must_come_after_the_start(db_session: Session) -> None:
    errors = refused(db_session, good(starts_at="2026-03-01T09:00", ends_at="2026-03-01T09:00"))
    assert [(e.name, e.message) for e in errors] == [("ends_at", fields.ENDS_BEFORE_START)]


@pytest.mark.parametrize(
    "field",
    ["call_intro_fr", "talking_points_en", "email_subject_fr", "email_body_en"],
)
def test_an_unknown_placeholder_is_named_with_the_allowed_ones(
    db_session: Session, field: str
) -> None:
    (error,) = refused(db_session, good(**{field: "Hello {mp_nmae} and {riding}"}))
    assert error.name == field
    assert error.message == fields.UNKNOWN_PLACEHOLDER
    assert error.params["names"] == "{mp_nmae}"
    assert "{mp_name}" in error.params["allowed"].split(", ")


def test_several_unknown_placeholders_are_all_named(db_session: Session) -> None:
    (error,) = refused(db_session, good(email_body_fr="{nom} {ville} {nom}"))
    assert error.message == fields.UNKNOWN_PLACEHOLDERS
    assert error.params["names"] == "{nom}, {ville}"


def test_every_bad_field_is_reported_at_once(db_session: Session) -> None:
    errors = refused(db_session, good(slug="?", goal="x", phone_number="1"))
    assert {e.name for e in errors} == {"slug", "goal", "phone_number"}


def test_values_are_cleaned_and_normalised(db_session: Session) -> None:
    campaign = save(
        db_session,
        good(
            slug="  Fair-Wages ",
            title_en="Fair\x00 wages\u202e",
            talking_points_en="Line one\r\nLine two\x07",
            starts_at="2026-01-15T09:30",
            ends_at="2026-07-01 12:00",
            goal="5 000",
            phone_number="613-555-0199",
            email_from_address="Letters@Example.org",
            referral_codes="union-local-1 Union Local 1\n\n  partner.ca  \n",
        ),
    )
    assert campaign.slug == "fair-wages"
    assert campaign.title_en == "Fair wages"
    assert campaign.talking_points_en == "Line one\nLine two"
    # Ottawa wall clock: EST (UTC-5) in January, EDT (UTC-4) in July.
    assert campaign.starts_at == datetime(2026, 1, 15, 14, 30, tzinfo=UTC)
    assert campaign.ends_at == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert campaign.goal == 5000
    assert campaign.phone_number == "+16135550199"
    assert campaign.email_from_address == "Letters@example.org"
    assert [(r.code, r.label) for r in campaign.referral_codes] == [
        ("partner.ca", ""),
        ("union-local-1", "Union Local 1"),
    ]
    assert fields.form_values(campaign)["starts_at"] == "2026-01-15T09:30"


def test_empty_optional_fields_are_stored_empty(db_session: Session) -> None:
    campaign = save(db_session, good(goal="", phone_number="", email_from_address="", starts_at=""))
    assert (campaign.goal, campaign.phone_number, campaign.starts_at) == (None, "", None)


def test_saving_the_same_values_adds_no_version(db_session: Session) -> None:
    campaign = save(db_session, good())
    again = CampaignInput(**fields.form_values(campaign))
    save(db_session, again, campaign)
    assert versions(db_session, campaign) == [1]
    save(db_session, replace(again, goal="300"), campaign)
    assert versions(db_session, campaign) == [2, 1]
    assert history.latest(db_session, campaign.id) is not None
    assert history.latest(db_session, campaign.id).summary == "goal"  # type: ignore[union-attr]


def test_the_demo_gets_a_baseline_before_its_first_edit(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    before = versions(db_session, campaign)
    data = CampaignInput(**fields.form_values(campaign))
    save(db_session, replace(data, goal="6000"), campaign)
    after = versions(db_session, campaign)
    assert len(after) == max(len(before), 1) + 1
    assert campaign.goal == 6000


def test_referral_codes_are_updated_in_place(db_session: Session) -> None:
    campaign = save(db_session, good(referral_codes="union Union\npartner Partner"))
    kept = {r.code: r.id for r in campaign.referral_codes}["union"]
    save(db_session, good(referral_codes="union Union Local 1\nnewcomer New"), campaign)
    codes = {r.code: (r.id, r.label) for r in campaign.referral_codes}
    assert codes["union"] == (kept, "Union Local 1")
    assert set(codes) == {"union", "newcomer"}


def add_target(db_session: Session, campaign: Campaign) -> None:
    """Give a campaign the supporter's MP as its target."""
    make_target(db_session, campaign, position=1, kind=TargetKind.own_mp)
    db_session.flush()


def test_publishing_an_incomplete_campaign_names_what_is_missing(db_session: Session) -> None:
    campaign = save(db_session, good(title_fr="", call_intro_en="", languages="en fr"))
    with pytest.raises(CampaignInvalid) as caught:
        campaign_status.publish(db_session, campaign, None)
    (error,) = caught.value.errors
    assert error.message == campaign_status.NOT_COMPLETE
    assert error.missing == ("title_fr", "call_intro_en", "targets")
    assert campaign.status == CampaignStatus.draft


def test_publishing_checks_only_the_offered_languages_and_channels(db_session: Session) -> None:
    campaign = save(
        db_session,
        good(languages="en", title_fr="", email_subject_en="", bridged_calls=False, emails=False),
    )
    add_target(db_session, campaign)
    assert campaign_status.missing(campaign) == []
    campaign.direct_calls = False
    assert campaign_status.missing(campaign) == ["channels"]


def test_publish_unpublish_archive_are_audited(db_session: Session) -> None:
    campaign = save(db_session, good())
    add_target(db_session, campaign)
    seen = []
    for change in (campaign_status.publish, campaign_status.unpublish, campaign_status.archive):
        change(db_session, campaign, None)
        seen.append(campaign.status)
        with pytest.raises(CampaignInvalid):  # the same change twice is refused
            change(db_session, campaign, None)
    assert seen == [CampaignStatus.published, CampaignStatus.draft, CampaignStatus.archived]
    actions = db_session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.campaign_id == campaign.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "campaign.create",
        "campaign.publish",
        "campaign.unpublish",
        "campaign.archive",
    ]
    assert versions(db_session, campaign) == [1]  # status is not part of a version


def test_a_published_campaign_cannot_be_saved_incomplete(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    data = CampaignInput(**fields.form_values(campaign))
    whole, beside = refused(db_session, replace(data, email_body_fr=""), campaign)
    assert whole.message == fields.STILL_PUBLISHED
    assert whole.missing == ("email_body_fr",)
    assert (beside.name, beside.message) == ("email_body_fr", editing.NEEDED_WHILE_PUBLISHED)
    assert db_session.get(Campaign, campaign.id).email_body_fr  # type: ignore[union-attr]


def test_a_published_campaigns_gaps_come_with_the_other_errors(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    data = CampaignInput(**fields.form_values(campaign))
    errors = refused(db_session, replace(data, title_fr="", slug="No Good!"), campaign)
    assert {(e.name, e.message) for e in errors} == {
        ("slug", fields.BAD_SLUG),
        ("", fields.STILL_PUBLISHED),
        ("title_fr", editing.NEEDED_WHILE_PUBLISHED),
    }
    assert next(e for e in errors if not e.name).missing == ("title_fr",)


def test_the_list_is_newest_first(db_session: Session) -> None:
    first = save(db_session, good(slug="first-one"))
    second = save(db_session, good(slug="second-one"))
    first.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    db_session.flush()
    listed = campaign_status.list_campaigns(db_session)
    assert listed.index(second) < listed.index(first)


def test_the_preview_says_the_call_and_drafts_the_letters_without_storing_anything(
    db_session: Session,
) -> None:
    campaign = save(db_session, good())
    add_target(db_session, campaign)
    calls = db_session.scalar(select(func.count()).select_from(CallRequest))
    events = db_session.scalar(select(func.count()).select_from(ContactEvent))
    preview = campaign_preview.build(
        db_session, campaign, SPADINA, "en", datetime(2026, 11, 25, 19, tzinfo=UTC)
    )
    assert preview is not None
    assert preview.spoken.greeting[0] == "Hello from Fair Wages."
    # The menu's prompt, not what is said when no key is pressed.
    assert len(preview.spoken.greeting) == 2
    assert preview.spoken.greeting[1].startswith("Press 1 to be connected.")
    (stop,) = preview.spoken.stops
    assert stop.label == "Chi Nguyen, your MP"
    assert stop.announce[0].startswith("Connecting you to Chi Nguyen, your MP.")
    assert stop.talking_points == (
        "I live in Spadina—Harbourfront. Please support fair wages, Chi Nguyen."
    )
    assert stop.numbers and all(number.startswith("+1") for number in stop.numbers)
    (letter,) = preview.letters
    assert letter.to_address == "chi.nguyen@parl.gc.ca"
    assert letter.subject == "Fair wages in Spadina—Harbourfront"
    assert letter.body == "Dear Chi Nguyen, I live in Spadina—Harbourfront."
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(CallRequest)) == calls
    assert db_session.scalar(select(func.count()).select_from(ContactEvent)) == events


def test_the_preview_names_the_next_target_and_speaks_french(db_session: Session) -> None:
    preview = campaign_preview.build(
        db_session, demo_campaign(db_session), SPADINA, "fr", datetime(2026, 11, 25, 19, tzinfo=UTC)
    )
    assert preview is not None
    first, second = preview.spoken.stops
    assert preview.spoken.greeting[0].startswith("Bonjour, ici la campagne")
    assert "Spadina—Harbourfront" in first.talking_points
    assert len(first.announce) == 1
    next_up, menu, connecting = second.announce
    assert second.label in next_up and second.label in connecting
    assert menu.startswith("Appuyez")


def test_the_preview_of_an_unknown_riding_is_none(db_session: Session) -> None:
    assert (
        campaign_preview.build(
            db_session, demo_campaign(db_session), 99999, "en", datetime.now(UTC)
        )
        is None
    )

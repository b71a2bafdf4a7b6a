"""The organization behind a campaign in the editor: checked, versioned, needed to publish."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callmp.campaigns import edit_checks, fields, version_diffs
from callmp.campaigns import status as campaign_status
from callmp.campaigns import versions as history
from callmp.campaigns.fields import CampaignInvalid, form_values
from callmp.models import CampaignStatus
from tests.campaigns.test_editing import good, refused, save
from tests.factories import make_target


def test_the_organization_is_saved_cleaned(db_session: Session) -> None:
    campaign = save(
        db_session,
        good(
            org_legal_name="  Fair Wages\tCoalition Inc.  ",
            org_mailing_address="100 Example St.\r\nSuite 4\x00\r\nOttawa ON  K1A 0A6\r\n",
            org_contact=" Privacy@Fair-Wages.Example.org ",
            privacy_notice_en="We keep little.\r\n\r\nAsk us.",
            privacy_notice_fr="Nous gardons peu.",
        ),
    )
    assert campaign.org_legal_name == "Fair Wages Coalition Inc."
    assert campaign.org_mailing_address == "100 Example St.\nSuite 4\nOttawa ON  K1A 0A6"
    assert campaign.org_contact == "Privacy@fair-wages.example.org"
    assert campaign.privacy_notice_en == "We keep little.\n\nAsk us."
    values = form_values(campaign)
    assert values["org_legal_name"] == "Fair Wages Coalition Inc."
    assert values["privacy_notice_fr"] == "Nous gardons peu."


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("613-555-0123", "+16135550123"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("dpo@example.org", "dpo@example.org"),
    ],
)
def test_the_contact_is_an_email_address_or_a_canadian_or_us_number(
    db_session: Session, raw: str, stored: str
) -> None:
    assert save(db_session, good(org_contact=raw)).org_contact == stored


@pytest.mark.parametrize(
    "raw", ["not a contact", "dpo@", "@example.org", "+44 20 7946 0958", "12345", "a@b@c"]
)
def test_a_contact_that_is_neither_is_refused_next_to_its_field(
    db_session: Session, raw: str
) -> None:
    errors = refused(db_session, good(org_contact=raw))
    assert [(e.name, e.message) for e in errors] == [("org_contact", fields.BAD_CONTACT)]


def test_lengths_are_bounded(db_session: Session) -> None:
    errors = refused(
        db_session,
        good(
            org_legal_name="x" * 201,
            org_mailing_address="y" * 501,
            privacy_notice_fr="z" * (edit_checks.TEXT_MAX + 1),
        ),
    )
    assert {e.name for e in errors} == {
        "org_legal_name",
        "org_mailing_address",
        "privacy_notice_fr",
    }
    assert {e.message for e in errors} == {fields.TOO_LONG}


def test_publishing_needs_the_legal_name_address_and_contact(db_session: Session) -> None:
    campaign = save(db_session, good(org_legal_name="", org_mailing_address="", org_contact=""))
    make_target(db_session, campaign)
    with pytest.raises(CampaignInvalid) as caught:
        campaign_status.publish(db_session, campaign, None)
    (error,) = caught.value.errors
    assert error.missing == ("org_legal_name", "org_mailing_address", "org_contact")
    assert all(name in fields.LABELS for name in error.missing)
    assert campaign.status == CampaignStatus.draft
    campaign.org_legal_name = "Fair Wages Coalition Inc."
    campaign.org_mailing_address = "100 Example St.\nOttawa ON  K1A 0A6"
    assert campaign_status.missing(campaign) == ["org_contact"]
    campaign.org_contact = "+16135550123"
    campaign_status.publish(db_session, campaign, None)
    assert str(campaign.status) == CampaignStatus.published.value
    # Published, it must keep them: removing one is refused beside its field.
    errors = refused(db_session, good(org_contact=""), campaign)
    assert ("org_contact", "A published campaign needs this.") in {
        (e.name, e.message) for e in errors
    }


def test_an_organization_change_is_a_version_with_named_fields(db_session: Session) -> None:
    campaign = save(db_session, good())
    save(
        db_session,
        good(org_legal_name="New Name Inc.", privacy_notice_en="Our own words."),
        campaign,
    )
    rows = version_diffs.history_rows(db_session, campaign.id)
    assert [row.version.number for row in rows] == [2, 1]
    assert {"org_legal_name", "privacy_notice_en"} == set(rows[0].changed)
    assert version_diffs.field_label("org_legal_name") == "Organization's legal name"
    assert "privacy_notice_fr" in version_diffs.LONG_TEXTS
    assert "org_mailing_address" in history.CAMPAIGN_FIELDS
    restored = history.restore(db_session, campaign, 1, None)
    assert restored is not None
    assert campaign.org_legal_name == "Fair Wages Coalition Inc."
    assert campaign.privacy_notice_en == ""

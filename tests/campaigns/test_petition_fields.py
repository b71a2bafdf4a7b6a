"""The petition's fields in the campaign editor: checked, versioned, needed to publish."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from callmp.campaigns import fields, version_diffs
from callmp.campaigns import status as campaign_status
from callmp.campaigns import versions as history
from callmp.campaigns.fields import form_values
from tests.campaigns.test_editing import good, refused, save
from tests.factories import make_target

PETITION = {
    "petitions": True,
    "petition_title_en": "Status for all",
    "petition_title_fr": "Un statut pour toutes et tous",
    "petition_text_en": "We ask the Government of Canada\nto regularize all migrants.",
    "petition_text_fr": "Nous demandons au gouvernement du Canada\nde régulariser.",
}


def test_the_petition_is_saved_with_its_goal_closing_date_and_schedule(
    db_session: Session,
) -> None:
    campaign = save(
        db_session,
        good(
            **PETITION,
            petition_goal="5 000",
            petition_ends_at="2026-12-31T17:00",
            petition_confirm=False,
            petition_show_signers=True,
            petition_delivery="every",
            petition_delivery_every="1,000",
        ),
    )
    assert campaign.petitions and campaign.petition_goal == 5000
    assert campaign.petition_delivery_every == 1000
    # Entered on Ottawa's wall clock (EST, UTC-5 in December), stored in UTC.
    assert campaign.petition_ends_at == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert campaign.petition_text_en == PETITION["petition_text_en"]
    assert (campaign.petition_confirm, campaign.petition_show_signers) == (False, True)
    shown = form_values(campaign)
    assert shown["petition_goal"] == "5000"
    assert shown["petition_ends_at"] == "2026-12-31T17:00"
    assert shown["petition_delivery"] == "every"


def test_a_schedule_needs_its_number_or_date_and_a_known_kind(db_session: Session) -> None:
    errors = refused(db_session, good(**PETITION, petition_delivery="every"))
    assert [(e.name, e.message) for e in errors] == [
        ("petition_delivery_every", fields.DELIVERY_EVERY_NEEDED)
    ]
    errors = refused(db_session, good(**PETITION, petition_delivery="date"))
    assert [(e.name, e.message) for e in errors] == [
        ("petition_delivery_at", fields.DELIVERY_AT_NEEDED)
    ]
    errors = refused(db_session, good(**PETITION, petition_delivery="weekly"))
    assert [e.name for e in errors] == ["petition_delivery"]
    errors = refused(
        db_session,
        good(
            **{**PETITION, "petition_title_en": "x" * 201},
            petition_goal="-3",
            petition_ends_at="soon",
        ),
    )
    assert {e.name for e in errors} == {"petition_goal", "petition_ends_at", "petition_title_en"}


def test_control_characters_are_dropped_from_the_petition_text(db_session: Session) -> None:
    campaign = save(db_session, good(**{**PETITION, "petition_text_en": "Fair\x00 wages\x1b now"}))
    assert campaign.petition_text_en == "Fair wages now"


def test_a_petition_needs_its_words_in_every_language_to_publish(db_session: Session) -> None:
    campaign = save(
        db_session, good(petitions=True, petition_title_en="Status for all", petition_text_fr="")
    )
    make_target(db_session, campaign)
    assert {"petition_text_en", "petition_title_fr", "petition_text_fr"} <= set(
        campaign_status.missing(campaign)
    )


def test_a_petition_alone_is_a_way_to_take_part_without_talking_points(
    db_session: Session,
) -> None:
    campaign = save(
        db_session,
        good(
            **PETITION,
            bridged_calls=False,
            direct_calls=False,
            emails=False,
            talking_points_en="",
            talking_points_fr="",
        ),
    )
    make_target(db_session, campaign)
    assert campaign_status.missing(campaign) == []
    campaign.petitions = False
    assert campaign_status.missing(campaign) == ["channels"]


def test_a_petition_change_is_a_version_with_named_fields(db_session: Session) -> None:
    campaign = save(db_session, good())
    save(db_session, good(**PETITION, petition_goal="100"), campaign)
    rows = version_diffs.history_rows(db_session, campaign.id)
    assert [row.version.number for row in rows] == [2, 1]
    assert {"petitions", "petition_goal", "petition_text_en"} <= set(rows[0].changed)
    assert version_diffs.field_label("petition_goal") == "Petition goal"
    assert "petition_text_en" in version_diffs.LONG_TEXTS
    restored = history.restore(db_session, campaign, 1, None)
    assert restored is not None
    assert (campaign.petitions, campaign.petition_goal) == (False, None)

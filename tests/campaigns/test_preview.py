"""The staff preview says each target's own words and drafts each target's own letter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from callmp.campaigns import preview as campaign_preview
from tests.factories import demo_campaign

SPADINA = 35100  # Spadina—Harbourfront: the MP Chi Nguyen, then the demo's Minister
RIDING = "Spadina—Harbourfront"
EVENING = datetime(2026, 11, 25, 19, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "mp_ask", "minister_ask", "greetings"),
    [
        (
            "en",
            "will Chi Nguyen publicly support",
            "will the Minister launch",
            ["Dear Chi Nguyen,", "Dear Minister,"],
        ),
        (
            "fr",
            "est-ce que Chi Nguyen va appuyer",
            "la ministre lancera-t-elle",
            ["Bonjour Chi Nguyen,", "Bonjour Lena Metlege Diab,"],
        ),
    ],
)
def test_the_preview_gives_the_minister_her_own_words_in_each_language(
    db_session: Session, locale: str, mp_ask: str, minister_ask: str, greetings: list[str]
) -> None:
    campaign = demo_campaign(db_session)
    preview = campaign_preview.build(db_session, campaign, SPADINA, locale, EVENING)
    assert preview is not None
    mp, minister = preview.spoken.stops
    assert mp_ask in mp.talking_points and minister_ask not in mp.talking_points
    assert minister_ask in minister.talking_points and mp_ask not in minister.talking_points
    # Nobody asks the Minister to raise it with the Minister.
    assert "raise it with" not in minister.talking_points
    assert "en parler à la ministre" not in minister.talking_points
    letters = preview.letters
    assert [letter.salutation for letter in letters] == greetings
    assert [letter.locale for letter in letters] == [locale, locale]
    mp_target, minister_target = campaign.targets
    assert [letter.subject for letter in letters] == [
        target.words("email_subject", locale).replace("{riding}", RIDING)
        for target in (mp_target, minister_target)
    ]
    assert letters[0].subject != letters[1].subject
    assert letters[0].body != letters[1].body
    assert "Hon" not in letters[1].salutation and "hon." not in letters[1].salutation

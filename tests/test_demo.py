"""The demo campaign can be seeded again on every start without breaking what was counted."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from callmp import demo
from callmp.models import TargetKind


def test_seeding_twice_keeps_targets_and_offices_in_place(session: Session) -> None:
    first = demo.seed(session)
    session.commit()
    target_ids = [t.id for t in first.targets]
    minister = first.targets[1].person
    assert minister is not None
    office_ids = [o.id for o in minister.offices]
    again = demo.seed(session)
    session.commit()
    assert again.id == first.id
    assert [t.id for t in again.targets] == target_ids
    assert [t.kind for t in again.targets] == [TargetKind.own_mp, TargetKind.person]
    assert again.targets[1].person is not None
    assert [o.id for o in again.targets[1].person.offices] == office_ids
    assert office_ids and all(o.phone for o in again.targets[1].person.offices)
    assert again.call_intro_en and again.call_intro_fr


def test_the_minister_has_her_own_words_in_both_languages(session: Session) -> None:
    mp, minister = demo.seed(session).targets
    for field in ("talking_points", "email_subject", "email_body"):
        for locale in ("en", "fr"):
            assert minister.words(field, locale) != mp.words(field, locale), (field, locale)
            assert getattr(minister, f"{field}_{locale}")  # her own, not a fallback
    assert not any(getattr(mp, f"{field}_en") for field in ("talking_points", "email_body"))
    for text in (minister.talking_points_en, minister.email_body_en):
        assert "raise it with the Minister" not in text
    for text in (minister.talking_points_fr, minister.email_body_fr):
        assert "en parler à la ministre" not in text and "en parlerez-vous" not in text
    assert (minister.address_en, minister.address_fr) == (
        "Minister Metlege Diab",
        "Madame la Ministre",
    )


def test_the_demos_french_texts_use_french_typography(session: Session) -> None:
    campaign = demo.seed(session)
    minister = campaign.targets[1]
    texts = [
        campaign.title_fr,
        campaign.summary_fr,
        campaign.talking_points_fr,
        campaign.call_intro_fr,
        campaign.email_subject_fr,
        campaign.email_body_fr,
        minister.talking_points_fr,
        minister.email_subject_fr,
        minister.email_body_fr,
    ]
    for text in texts:
        # A no-break space before : ; ? ! and never a plain space or none.
        assert not re.search(r"[^\u00a0][:;?!](\s|\*|$)", text.replace("**", "")), text
        assert not re.search(r" [:;?!]", text), text
    assert "\u00a0:" in campaign.title_fr and "\u00a0?" in minister.talking_points_fr
    assert "appuiera-t-il" not in campaign.talking_points_fr

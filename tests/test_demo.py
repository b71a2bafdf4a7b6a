"""The demo campaign can be seeded again on every start without breaking what was counted."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import demo
from callmp.models import Person, Target, TargetKind


def _office_contact(target: Target) -> Person:
    assert target.portfolio is not None and target.portfolio.office_person is not None
    return target.portfolio.office_person


def test_seeding_twice_keeps_targets_and_offices_in_place(session: Session) -> None:
    first = demo.seed(session)
    session.commit()
    target_ids = [t.id for t in first.targets]
    office_ids = [o.id for o in _office_contact(first.targets[1]).offices]
    again = demo.seed(session)
    session.commit()
    assert again.id == first.id
    assert [t.id for t in again.targets] == target_ids
    assert [t.kind for t in again.targets] == [TargetKind.own_mp, TargetKind.portfolio]
    offices = _office_contact(again.targets[1]).offices
    assert [o.id for o in offices] == office_ids
    assert office_ids and all(o.phone for o in offices)
    assert again.call_intro_en and again.call_intro_fr


def test_the_demo_targets_the_portfolio_with_its_unofficial_office(session: Session) -> None:
    target = demo.seed(session).targets[1]
    portfolio = target.portfolio
    assert portfolio is not None and portfolio.holder is not None
    assert target.person_id is None
    assert portfolio.slug == demo.PORTFOLIO_SLUG
    assert portfolio.title_fr == "ministre de l'Immigration, des Réfugiés et de la Citoyenneté"
    assert portfolio.holder.fed_num == demo.MINISTER_FED_NUM
    contact = _office_contact(target)
    # Not the member's own record, and every value copied from it is marked as unofficial.
    assert contact.id != portfolio.holder.id and contact.fed_num is None
    assert portfolio.holder_source == contact.source == contact.email_source == "demo:unverified"
    assert {o.source for o in contact.offices} == {"demo:unverified"}
    assert {o.kind.value for o in contact.offices} == {"other"}


def test_a_holder_from_the_ministry_list_is_kept_by_a_new_seed(session: Session) -> None:
    portfolio = demo.seed(session).targets[1].portfolio
    assert portfolio is not None
    other = session.scalars(select(Person).where(Person.fed_num == 24054)).one()
    portfolio.holder, portfolio.holder_source = other, "hoc_ministries_2026-11-20"
    session.flush()
    again = demo.seed(session).targets[1].portfolio
    assert again is not None and again.holder is other


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
    # Written for whoever holds the post: no name, no gender.
    assert (minister.address_en, minister.address_fr, minister.gender) == ("Minister", "", "")


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

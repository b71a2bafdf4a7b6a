"""Staff pages show how old the MP and office data is; leads are warned when it is old."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_date
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory import freshness
from callmp.models import Campaign, DataCheck, Role, User
from tests.support.app import DATA_DIR, log_in
from tests.support.clock import clock_at
from tests.support.html import one, parse, text

_SHIPPED = freshness.shipped_as_of(DATA_DIR)
assert _SHIPPED is not None
SHIPPED_AS_OF: date = _SHIPPED
#: 95 days after the shipped data's date: past the default 90.
LATE = datetime.combine(SHIPPED_AS_OF + timedelta(days=95), time(15), UTC)
#: 29 days after it: fresh.
EARLY = datetime.combine(SHIPPED_AS_OF + timedelta(days=29), time(15), UTC)
AS_OF_EN = format_date(SHIPPED_AS_OF, "long", locale="en")
AS_OF_FR = format_date(SHIPPED_AS_OF, "long", locale="fr")


def _campaign_id(session: Session) -> int:
    return session.scalars(select(Campaign.id).where(Campaign.slug == "status-for-all")).one()


def _spaced(tag: Tag) -> str:
    """The element's text with runs of ASCII white space made one (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", tag.get_text()).strip()


def _get(client: FlaskClient, path: str, when: datetime, user: User) -> BeautifulSoup:
    """``path`` as ``user`` sees it at ``when`` (logged in then: sessions are timed)."""
    with clock_at(when):
        log_in(client, user)
        response = client.get(path)
    assert response.status_code == 200, path
    return parse(response.data)


@pytest.mark.parametrize("page", ["", "/targets", "/dashboard"])
def test_a_lead_is_warned_on_the_campaigns_pages_when_the_data_is_old(
    client: FlaskClient, login_as: Callable[..., User], session: Session, page: str
) -> None:
    user = login_as(Role.lead)
    path = f"/admin/campaigns/{_campaign_id(session)}{page}"
    warning = one(_get(client, path, LATE, user), ".data-stale")
    assert text(warning).startswith(f"The MP and office data is 95 days old (as of {AS_OF_EN}).")
    assert warning.select_one("a")["href"] == "/admin/data"  # type: ignore[index]
    assert _get(client, path, EARLY, user).select(".data-stale") == []


def test_the_edit_page_warns_too(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    user = login_as(Role.lead)
    path = f"/admin/campaigns/{_campaign_id(session)}/edit"
    assert len(_get(client, path, LATE, user).select(".data-stale")) == 1


def test_organizers_see_the_date_but_no_warning(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    user = login_as(Role.organizer)
    soup = _get(client, "/admin", LATE, user)
    assert soup.select(".data-stale") == []
    line = one(soup, ".data-freshness")
    assert text(line).startswith(
        "MP and office data: House of Commons, via CallMP's data files (data/README.md), "
        f"as of {AS_OF_EN}. Shipped with CallMP, loaded on"
    )
    assert line.select("time[datetime]") and line.select("a") == []
    with clock_at(LATE):
        assert client.get("/admin/data").status_code == 403


def test_no_warning_when_the_age_limit_is_off(
    make_app: Callable[..., Flask], make_user: Callable[..., User], session: Session
) -> None:
    app = make_app(DATA_MAX_AGE_DAYS="0")
    client = app.test_client()
    user = make_user(Role.lead)
    soup = _get(client, f"/admin/campaigns/{_campaign_id(session)}", LATE, user)
    assert soup.select(".data-stale") == []
    assert len(soup.select(".data-freshness")) == 1


def test_a_shorter_age_limit_warns_sooner(
    make_app: Callable[..., Flask], make_user: Callable[..., User], session: Session
) -> None:
    app = make_app(DATA_MAX_AGE_DAYS="14")
    client = app.test_client()
    user = make_user(Role.lead)
    soup = _get(client, f"/admin/campaigns/{_campaign_id(session)}", EARLY, user)
    assert text(one(soup, ".data-stale strong")) == (
        f"The MP and office data is 29 days old (as of {AS_OF_EN})."
    )


def test_in_french_the_dates_and_words_are_french(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    user = login_as(Role.lead)
    soup = _get(client, f"/admin/campaigns/{_campaign_id(session)}?lang=fr", LATE, user)
    assert _spaced(one(soup, ".data-stale strong")) == (
        f"Les données des députés et de leurs bureaux datent de 95\u00a0jours (au {AS_OF_FR})."
    )
    assert _spaced(one(soup, ".data-freshness")).startswith(
        "Données des députés et de leurs bureaux\u00a0: Chambre des communes, par les "
        f"fichiers de données de CallMP (data/README.md), au {AS_OF_FR}."
    )


def test_a_newer_refresh_is_what_staff_see(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    refreshed = format_date(LATE.date() - timedelta(days=5), "long", locale="en")
    freshness.record_release(
        session,
        kind=freshness.REFRESH,
        source="House of Commons (ourcommons.ca)",
        as_of=LATE.date() - timedelta(days=5),
        now=LATE - timedelta(days=5),
    )
    session.commit()
    user = login_as(Role.lead)
    soup = _get(client, f"/admin/campaigns/{_campaign_id(session)}", LATE, user)
    assert soup.select(".data-stale") == []
    assert text(one(soup, ".data-freshness")).startswith(
        f"MP and office data: House of Commons (ourcommons.ca), as of {refreshed}. "
        "Refreshed from the House of Commons on"
    )


def test_the_contacts_page_shows_the_date_and_the_last_check(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    user = login_as(Role.lead)
    assert _get(client, "/admin/contacts", LATE, user).select(".data-check") == []
    session.add(
        DataCheck(
            checked_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
            source="https://www.ourcommons.ca",
            outcome="differences",
            differences=12,
            report="party change (1):\n  35112 Danielle Martin (#90964): Liberal -> Green",
        )
    )
    session.commit()
    soup = _get(client, "/admin/contacts", LATE, user)
    assert len(soup.select(".data-freshness")) == 1
    line = text(one(soup, ".data-check"))
    assert line.startswith("Last check against the House of Commons, on 2026-12-07")
    assert line.endswith(": 12 differences, not applied.")


def test_the_data_page_lists_the_loads_and_the_last_check(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    session.add(
        DataCheck(
            checked_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
            source="https://www.ourcommons.ca",
            outcome="failed",
            error="members export: HTTP 500 from https://www.ourcommons.ca",
        )
    )
    session.commit()
    user = login_as(Role.lead)
    soup = _get(client, "/admin/data", LATE, user)
    assert text(one(soup, "h1")) == "MP and office data"
    rows = soup.select("table.releases tbody tr")
    assert len(rows) == 1
    cells = [text(cell) for cell in rows[0].select("td")]
    assert cells[:3] == [
        AS_OF_EN,
        "Shipped with CallMP",
        "House of Commons, via CallMP's data files (data/README.md)",
    ]
    assert cells[5].startswith("created: members 337, offices 744, ridings 343")
    check = text(one(soup, ".data-check"))
    assert "it failed (members export: HTTP 500 from https://www.ourcommons.ca)" in check
    assert soup.select(".data-report") == []  # a failed check has no diff to show
    assert len(soup.select(".data-stale")) == 1

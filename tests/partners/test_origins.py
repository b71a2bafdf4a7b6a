"""Partners' origins: only what a browser sends as an Origin header is accepted."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callmp.models import Campaign, Partner
from callmp.partners.origins import OriginError, allowed_origins, normalise_origin


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://Partner.Example", "https://partner.example"),
        (" https://partner.example/ ", "https://partner.example"),
        ("https://partner.example:443", "https://partner.example"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://localhost:80", "http://localhost"),
    ],
)
def test_an_origin_is_written_as_browsers_send_it(typed: str, origin: str) -> None:
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize(
    "typed",
    [
        "partner.example",
        "ftp://partner.example",
        "https://*.partner.example",
        "https://partner.example/campaigns",
        "https://user:pw@partner.example",
        "https://partner.example?x=1",
        "https://partner.example:99999",
        "javascript:alert(1)",
        "",
    ],
)
def test_anything_else_is_refused_not_widened(typed: str) -> None:
    with pytest.raises(OriginError):
        normalise_origin(typed)


def test_allowed_origins_are_those_of_the_campaigns_partners(db_session: Session) -> None:
    one = Campaign(slug="one", title_en="One", title_fr="Un")
    two = Campaign(slug="two", title_en="Two", title_fr="Deux")
    db_session.add_all([one, two])
    db_session.flush()
    db_session.add_all(
        [
            Partner(
                campaign_id=one.id,
                name="Union",
                code="union",
                origins="https://union.example\n\nhttp://127.0.0.1:8001\n",
                dashboard_key="a" * 32,
            ),
            Partner(
                campaign_id=two.id,
                name="Other",
                code="other",
                origins="https://other.example",
                dashboard_key="b" * 32,
            ),
        ]
    )
    db_session.flush()
    assert allowed_origins(db_session, one.id) == {
        "https://union.example",
        "http://127.0.0.1:8001",
    }
    assert allowed_origins(db_session, two.id) == {"https://other.example"}

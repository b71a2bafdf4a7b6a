"""Riding names in both languages: a renamed riding's 2026 name in French where it is known,
else the official 2023 French name; the API gives each name apart."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.html import one, parse, text


def _riding_line(client: FlaskClient, fed_num: int, lang: str) -> str:
    """The "Your riding: ..." line of the demo campaign's riding page."""
    response = client.get(f"/c/status-for-all/riding/{fed_num}?lang={lang}")
    assert response.status_code == 200
    return text(one(parse(response.data), "p.riding-line"))


@pytest.mark.parametrize(
    ("fed_num", "lang", "name"),
    [
        # Renamed in 2026; the name is the same in both languages (data/README.md).
        (24062, "fr", "Rimouski-Neigette—Mitis—Matapédia—Les Basques"),
        (24062, "en", "Rimouski-Neigette—Mitis—Matapédia—Les Basques"),
        # Renamed in 2026 with no known French form: French keeps the 2023 French name.
        (35120, "fr", "York-Centre"),
        (35120, "en", "North York"),
    ],
)
def test_the_riding_page_names_the_riding_in_the_page_s_language(
    client: FlaskClient, fed_num: int, lang: str, name: str
) -> None:
    line = _riding_line(client, fed_num, lang)
    # "Your riding: NAME, PROVINCE" / "Votre circonscription : NAME, PROVINCE"
    assert line.split(":", 1)[1].strip().startswith(f"{name},"), line


def test_the_api_gives_the_french_2026_name_or_null(client: FlaskClient) -> None:
    rimouski = client.get("/api/v1/lookup?postal_code=G5H0A1").get_json()["ridings"][0]
    assert rimouski["fed_num"] == 24062
    assert rimouski["name_current_fr"] == rimouski["name_current"]
    assert rimouski["name_fr"] == "Rimouski—La Matapédia"
    north_york = client.get("/api/v1/lookup?postal_code=M2K0G3").get_json()["ridings"][0]
    assert north_york["fed_num"] == 35120
    assert north_york["name_current"] == "North York"
    assert north_york["name_current_fr"] is None

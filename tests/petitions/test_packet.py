"""The printable packet, read back from the PDF: both languages, totals, consenting names."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from callmp.models import Riding
from callmp.petitions import packet
from callmp.petitions.packet import PacketError
from tests.factories import make_signature, mp
from tests.petitions.delivery_data import (
    GASPESIE,
    NOW,
    OTTAWA_CENTRE,
    TEXT_EN,
    TEXT_FR,
    TITLE_EN,
    TITLE_FR,
    VACANT,
    petition,
    signed,
)

HOSTILE_NAME = "<b>Bob</b> (Tj) BT /F1 99 Tf ET \\) endobj"


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_packet_has_both_languages_the_totals_by_riding_and_consenting_names_only(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    signed(db_session, campaign)  # 3 Ottawa Centre, 2 Gaspésie, 1 vacant seat
    make_signature(
        db_session,
        campaign,
        name="Élodie Gagné",
        city="Gaspé",
        fed_num=GASPESIE,
        share_with_target=True,
        comment="Un commentaire privé",
    )
    make_signature(
        db_session,
        campaign,
        name="Hidden Person",
        city="Secretville",
        show_publicly=True,
        share_with_target=False,
    )
    make_signature(db_session, campaign, name=HOSTILE_NAME, city="Ottawa", share_with_target=True)
    data = packet.build(db_session, campaign, NOW)
    assert data.startswith(b"%PDF-")
    text = _flat(_text(data))

    for words in (TITLE_EN, TEXT_EN, TITLE_FR, TEXT_FR):
        assert _flat(words) in text
    (total,) = re.findall(r"Signatures: (\d+)", text)
    assert int(total) == 9
    gaspesie = db_session.get(Riding, GASPESIE)
    ottawa = db_session.get(Riding, OTTAWA_CENTRE)
    vacant = db_session.get(Riding, VACANT)
    assert gaspesie and ottawa and vacant
    assert f"{gaspesie.name('en')} {mp(db_session, GASPESIE).full_name} 3" in text
    assert f"{ottawa.name('en')} {mp(db_session, OTTAWA_CENTRE).full_name} 5" in text
    assert re.search(re.escape(vacant.name("en")) + r" Vacant seat / Siège vacant 1\b", text)
    assert "Gaspésie—Les Îles-de-la-Madeleine—Listuguj" in text
    # Names and cities of those who agreed to share them with their MP, and nobody else's.
    assert "Élodie Gagné — Gaspé" in text
    assert _flat(HOSTILE_NAME) in text  # drawn as the text it is
    assert "Hidden Person" not in text and "Secretville" not in text
    assert "Signer " not in text  # the factory's default names never agreed
    assert "@" not in text and "K1P" not in text and "privé" not in text


def test_a_missing_font_is_a_clear_error(db_session: Session, tmp_path: Path) -> None:
    campaign = petition(db_session)
    make_signature(db_session, campaign)
    with pytest.raises(PacketError) as refused:
        packet.build(db_session, campaign, NOW, font=str(tmp_path / "missing.ttf"))
    assert refused.value.reason == "font_missing"
    not_a_font = tmp_path / "not-a-font.ttf"
    not_a_font.write_bytes(b"plain text, not a font")
    with pytest.raises(PacketError) as unreadable:
        packet.build(db_session, campaign, NOW, font=str(not_a_font))
    assert unreadable.value.reason == "font_unreadable"

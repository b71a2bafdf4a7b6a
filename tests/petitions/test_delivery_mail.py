"""A delivery round sent by SMTP to a loopback peer: each MP receives the count of their
own constituents, in their language, and nothing private about any signer."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from email.message import EmailMessage as ParsedMessage
from typing import Any

from flask import Flask
from sqlalchemy import select

from callmp.models import EmailMessage, MessageKind, MessageStatus, Riding
from callmp.views.context import services
from tests.factories import make_signature, mp
from tests.petitions.delivery_data import GASPESIE, NOW, OTTAWA_CENTRE, TEXT_EN, TEXT_FR, petition
from tests.support.app import sessions
from tests.support.letters import smtp_app
from tests.support.mail import text_of
from tests.support.smtp_peer import SmtpPeer

HOSTILE = (
    "Stop this\r\nBcc: everyone@evil.example\r\nSubject: hijacked\r\n\r\n"
    "<script>alert(1)</script> <b>bold</b>\x1b[2J\x0b"
)
SHARING: dict[str, str | bool] = {
    "name": "Marie-Ève Lévesque",
    "city": "Ottawa",
    "share_with_target": True,
}
PRIVATE: dict[str, str | bool] = {
    "name": "Quiet Neighbour",
    "city": "Vanier",
    "share_with_target": False,
}


def _sign_up(app: Flask) -> tuple[str, str]:
    """4 signers in Ottawa Centre (one shares her name), 2 in Gaspésie (French-speaking MP),
    1 from a riding with an MP but no address."""
    with sessions(app)() as session:
        campaign = petition(session)
        make_signature(session, campaign, comment="Please act now.", **SHARING)
        make_signature(session, campaign, comment=HOSTILE, **PRIVATE)
        make_signature(session, campaign, postal_code="K2P 0A4", email="third@private.example")
        make_signature(session, campaign)
        for _ in range(2):
            make_signature(session, campaign, fed_num=GASPESIE, postal_code="G4X 2B2", city="Gaspé")
        mp(session, GASPESIE).preferred_language = "fr"
        make_signature(session, campaign, fed_num=59001, city="Abbotsford")
        mp(session, 59001).email = ""
        session.commit()
        return mp(session, OTTAWA_CENTRE).email, mp(session, GASPESIE).email


def _deliver(app: Flask) -> None:
    petitions = services(app).petitions
    with sessions(app)() as session:
        campaign = petition(session)
        made = petitions.deliver_now(session, campaign, None, NOW)
        assert made is not None
        session.commit()
        petitions.enqueue(made)


def _by_recipient(received: list[ParsedMessage]) -> dict[str, ParsedMessage]:
    return {str(m["To"].addresses[0].addr_spec).lower(): m for m in received}


def test_each_mp_receives_exactly_their_own_constituents_by_smtp(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    ottawa, gaspesie = _sign_up(app)
    with sessions(app)() as session:
        riding_name = session.get(Riding, OTTAWA_CENTRE).name("en")  # type: ignore[union-attr]
    _deliver(app)
    received = smtp_peer.wait_for(3, timeout=10)
    assert len(received) == 3  # Ottawa Centre, Gaspésie, the Minister; not the MP with no address
    mails = _by_recipient([r.message for r in received])

    english = text_of(mails[ottawa.lower()])
    found = re.findall(
        r"^Your constituents in (.+) who have signed this petition: (\d+)\.$", english, re.M
    )
    assert found == [(riding_name, "4")]
    assert str(mails[ottawa.lower()]["Content-Language"]) == "en"
    assert TEXT_EN in english

    french = text_of(mails[gaspesie.lower()])
    found = re.findall(
        r"^Personnes de votre circonscription, (.+), qui ont signé cette pétition\xa0: (\d+)\.$",
        french,
        re.M,
    )
    assert found == [("Gaspésie—Les Îles-de-la-Madeleine—Listuguj", "2")]
    assert str(mails[gaspesie.lower()]["Content-Language"]) == "fr"
    assert TEXT_FR in french
    subject = " ".join(str(mails[gaspesie.lower()]["Subject"]).split())
    assert subject == "Pétition « Un statut pour tous » : signatures de votre circonscription : 2"

    (minister,) = [m for a, m in mails.items() if a not in (ottawa.lower(), gaspesie.lower())]
    (total,) = re.findall(
        r"^People across Canada who have signed this petition: (\d+)\.$", text_of(minister), re.M
    )
    assert int(total) == 7
    with sessions(app)() as session:
        stored = session.scalars(
            select(EmailMessage).where(EmailMessage.kind == MessageKind.petition_delivery)
        ).all()
        assert sorted(m.status for m in stored) == [MessageStatus.sent] * 3


def test_a_delivery_says_nothing_private_and_a_hostile_comment_injects_nothing(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    ottawa, _gaspesie = _sign_up(app)
    _deliver(app)
    received = smtp_peer.wait_for(3, timeout=10)
    for item in received:
        raw = item.raw.decode("ascii", "replace")
        text = text_of(item.message)
        # No signer's address, postal code or private name, in headers or body.
        assert "@private.example" not in raw and "signer-" not in raw
        assert not re.search(r"[A-Z]\d[A-Z] ?\d[A-Z]\d", text)
        assert str(PRIVATE["name"]) not in text and "Vanier" not in text
        assert item.rcpt_tos != () and all("evil" not in r for r in item.rcpt_tos)
        parsed = email.message_from_bytes(item.raw, policy=email.policy.default)
        assert parsed.get_all("Bcc") is None
        assert [str(s) for s in parsed.get_all("Subject") or []] == [str(item.message["Subject"])]
        assert not parsed.is_multipart() and parsed.get_content_type() == "text/plain"
    text = text_of(_by_recipient([r.message for r in received])[ottawa.lower()])
    comments = text.split("Comments from your constituents:")[1].split("\n\n")[0]
    lines = [line for line in comments.splitlines() if line]
    # Each comment on one line of its own; the sharer's name and city beside hers only.
    assert "- Please act now. (Marie-Ève Lévesque, Ottawa)" in lines
    (hostile,) = [line for line in lines if "Stop this" in line]
    assert hostile.endswith("(a constituent)")
    assert "Bcc: everyone@evil.example Subject: hijacked" in hostile  # flattened, inert text
    assert "\x1b" not in text and "\x0b" not in text


def test_the_scheduled_job_delivers_every_n_signatures_once(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    with sessions(app)() as session:
        campaign = petition(session)
        campaign.petition_delivery, campaign.petition_delivery_every = "every", 3
        for _ in range(2):
            make_signature(session, campaign)
        session.commit()
    petitions = services(app).petitions
    assert "deliver_petitions" in {task.name for task in app_periodic_tasks(app)}
    assert petitions.run_schedule(NOW) == []
    with sessions(app)() as session:
        make_signature(session, petition(session))
        session.commit()
    assert len(petitions.run_schedule(NOW)) == 1
    assert petitions.run_schedule(NOW) == []  # the job again, or on a second worker
    smtp_peer.wait_for(2, timeout=10)
    received = smtp_peer.wait_for(3, timeout=1)
    assert len(received) == 2  # the MP of the three signers, and the Minister
    counts = sorted(
        re.findall(
            r"^(?:Your constituents in .+|People across Canada) who have signed this petition: "
            r"(\d+)\.$",
            text_of(r.message),
            re.M,
        )
        for r in received
    )
    assert counts == [["3"], ["3"]]


def app_periodic_tasks(app: Flask) -> list[Any]:
    """The periodic jobs the app's queue would start at NOW (every minute's jobs included)."""
    return list(services(app).queue.read_periodic(NOW.replace(tzinfo=None)))

"""DKIM: letters signed by dkimpy verify with dkimpy's own verifier, sent over real SMTP."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Callable
from pathlib import Path

import dkim  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from sqlalchemy import update

from callmp.config import ConfigError
from callmp.demo import DEMO_SLUG, EMAIL_FROM
from callmp.letters import dkim_signing
from callmp.letters.dkim_signing import DkimSettingsError, load_signer
from callmp.letters.outbox import LocalSender
from callmp.letters.smtp import SmtpSender, build_message
from callmp.models import Campaign
from callmp.ops import deploy_checks
from tests.support import dkim_keys
from tests.support.app import sessions
from tests.support.dkim_keys import DOMAIN, SELECTOR
from tests.support.letters import messages, smtp_app
from tests.support.mail import NOW, letter
from tests.support.smtp_peer import SmtpPeer

UNSUBSCRIBE = "https://campagne.example.org/u/abc123"


def signed_tags(raw: bytes) -> dict[str, str]:
    """The tags of the message's DKIM-Signature header."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    header = "".join(str(message["DKIM-Signature"]).split())
    return dict(tag.split("=", 1) for tag in header.split(";") if "=" in tag)


def test_a_letter_sent_over_smtp_carries_a_signature_that_verifies(
    smtp_peer: SmtpPeer, tmp_path: Path
) -> None:
    signer = load_signer(dkim_keys.settings(tmp_path))
    sender = SmtpSender(smtp_peer.host, smtp_peer.port, tls="none", signer=signer)
    sender.send(build_message(letter(unsubscribe_url=UNSUBSCRIBE), NOW))
    (received,) = smtp_peer.wait_for(1)
    assert dkim.verify(received.raw, dnsfunc=dkim_keys.resolver())
    tags = signed_tags(received.raw)
    assert (tags["d"], tags["s"], tags["a"]) == (DOMAIN, SELECTOR, "rsa-sha256")
    signed = tags["h"].lower().split(":")
    for name in ("from", "to", "subject", "date", "message-id", "reply-to", "mime-version"):
        assert name in signed
    assert {"content-type", "list-unsubscribe", "list-unsubscribe-post"} <= set(signed)


def test_a_tampered_body_or_subject_fails_verification(smtp_peer: SmtpPeer, tmp_path: Path) -> None:
    signer = load_signer(dkim_keys.settings(tmp_path))
    SmtpSender(smtp_peer.host, smtp_peer.port, tls="none", signer=signer).send(
        build_message(letter(), NOW)
    )
    (received,) = smtp_peer.wait_for(1)
    head, _, body = received.raw.partition(b"\r\n\r\n")
    assert dkim.verify(received.raw, dnsfunc=dkim_keys.resolver())
    tampered_body = head + b"\r\n\r\n" + body.replace(b"for=C3=AAts", b"champs", 1)
    assert tampered_body != received.raw
    assert not dkim.verify(tampered_body, dnsfunc=dkim_keys.resolver())
    tampered_subject = re.sub(rb"(?m)^Subject:.*$", b"Subject: Payez ici", received.raw)
    assert not dkim.verify(tampered_subject, dnsfunc=dkim_keys.resolver())
    # Another key published under the selector: the signature is not ours.
    other = dkim_keys.resolver(pem=_another_key())
    assert not dkim.verify(received.raw, dnsfunc=other)


def _another_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_the_local_outbox_signs_too(tmp_path: Path) -> None:
    signer = load_signer(dkim_keys.settings(tmp_path))
    outbox = tmp_path / "outbox"
    LocalSender(outbox, signer=signer).send(build_message(letter(), NOW))
    (written,) = outbox.glob("*.eml")
    assert dkim.verify(written.read_bytes(), dnsfunc=dkim_keys.resolver())


def test_mail_from_another_domain_is_left_unsigned(tmp_path: Path) -> None:
    signer = load_signer(dkim_keys.settings(tmp_path))
    assert signer is not None
    raw = build_message(letter(from_address="x@autre.example.net"), NOW).as_bytes(
        policy=email.policy.SMTP
    )
    assert signer.sign(raw) == raw
    sub = build_message(letter(from_address=f"x@lettres.{DOMAIN}"), NOW)
    assert dkim.verify(
        signer.sign(sub.as_bytes(policy=email.policy.SMTP)), dnsfunc=dkim_keys.resolver()
    )


def test_the_key_stays_out_of_repr_and_logs(
    tmp_path: Path, smtp_peer: SmtpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signer = load_signer(dkim_keys.settings(tmp_path))
    SmtpSender(smtp_peer.host, smtp_peer.port, tls="none", signer=signer).send(
        build_message(letter(), NOW)
    )
    secret_line = dkim_keys.private_key_pem().splitlines()[1].decode()
    assert secret_line not in repr(signer)
    assert secret_line not in caplog.text


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"DKIM_SELECTOR": ""}, "all three"),
        ({"DKIM_DOMAIN": "autre.example.net"}, "must be the domain of CALLMP_MAIL_FROM"),
        ({"DKIM_SELECTOR": "bad selector"}, "CALLMP_DKIM_SELECTOR"),
        ({"DKIM_PRIVATE_KEY_FILE": "/nonexistent/dkim.pem"}, "cannot be read"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_a_clear_message(
    tmp_path: Path, changes: dict[str, str], problem: str
) -> None:
    with pytest.raises(DkimSettingsError, match=problem):
        load_signer(dkim_keys.settings(tmp_path, **changes))


def test_a_file_without_a_usable_key_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(DkimSettingsError, match="cannot sign"):
        load_signer(dkim_keys.settings(tmp_path, DKIM_PRIVATE_KEY_FILE=str(bad)))
    assert dkim_signing.load_signer({"DKIM_DOMAIN": ""}) is None


def test_the_app_refuses_to_start_when_the_domain_is_not_the_senders(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="CALLMP_DKIM_DOMAIN"):
        make_app(**dkim_keys.settings(tmp_path, MAIL_FROM="campagne@autre.example.net"))


def test_flask_check_reports_the_key_and_selector(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(**dkim_keys.settings(tmp_path))
    output = app.test_cli_runner().invoke(args=["check"]).output
    (line,) = [line for line in output.splitlines() if "dkim:" in line]
    assert line.split()[0] == "OK"
    assert f"{SELECTOR}._domainkey.{DOMAIN}" in line
    Path(app.config["DKIM_PRIVATE_KEY_FILE"]).unlink()
    missing = deploy_checks.check_dkim(app.config)
    assert not missing.ok and "cannot be read" in missing.reason
    assert "BEGIN" not in missing.reason and str(tmp_path) not in missing.reason


def test_the_mail_service_signs_letters_and_sends_them_from_their_bounce_address(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer, tmp_path: Path
) -> None:
    domain = EMAIL_FROM.rpartition("@")[2]
    app = smtp_app(
        make_app,
        smtp_peer.port,
        BOUNCE_ADDRESS=f"bounces@{domain}",
        **dkim_keys.settings(tmp_path, MAIL_FROM=EMAIL_FROM, DKIM_DOMAIN=domain),
    )
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    letter_json = {"name": "Jane Doe", "email": "jane@example.org", "postal_code": "M5V 3L9"}
    response = app.test_client().post(f"/api/v1/campaigns/{DEMO_SLUG}/emails", json=letter_json)
    assert response.status_code == 202
    sent = messages(app)
    received = smtp_peer.wait_for(len(sent))
    assert len(received) == len(sent) >= 1
    by_id = {m.message_id: m for m in sent}
    for each in received:
        assert dkim.verify(each.raw, dnsfunc=dkim_keys.resolver(domain=domain))
        stored = by_id[str(each.message["Message-ID"])]
        assert each.mail_from.startswith(f"bounces+m{stored.id}-")
        assert each.mail_from.endswith(f"@{domain}")

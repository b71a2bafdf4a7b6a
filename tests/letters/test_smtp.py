"""callmp.mail against a real SMTP peer on loopback (aiosmtpd), and the local outbox."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
import threading
from collections.abc import Iterator
from email.headerregistry import Address
from email.utils import getaddresses

import pytest
import trustme

from callmp.letters.smtp import (
    DISPLAY_NAME_MAX,
    MailError,
    PermanentMailError,
    SmtpSender,
    TemporaryMailError,
    build_message,
    new_message_id,
)
from tests.support.mail import BODY, CAMPAIGN, MP, NOW, SUPPORTER, letter, text_of
from tests.support.smtp_peer import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    HOST,
    SmtpPeer,
    free_port,
)


def sender_for(peer: SmtpPeer, **options: object) -> SmtpSender:
    """A sender aimed at ``peer``, plain unless told otherwise."""
    settings: dict[str, object] = {"tls": "none", "timeout": 5.0, **options}
    return SmtpSender(HOST, peer.port, **settings)  # type: ignore[arg-type]


def headers_of(raw: bytes) -> list[bytes]:
    """The header lines (unfolded) of a serialised message."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return re.sub(rb"\r\n[ \t]", b" ", head).split(b"\r\n")


@pytest.fixture
def starttls_peer(tls_ca: trustme.CA) -> Iterator[SmtpPeer]:
    """A peer that requires STARTTLS and then a login."""
    with SmtpPeer(tls="starttls", ca=tls_ca, username=DEFAULT_USERNAME) as peer:
        yield peer


def test_smtp_delivers_letter_from_campaign_address_with_supporter_as_reply_to(
    smtp_peer: SmtpPeer,
) -> None:
    mail = letter()
    sender_for(smtp_peer).send(build_message(mail, NOW))

    [received] = smtp_peer.wait_for(1)
    assert received.mail_from == CAMPAIGN
    assert received.rcpt_tos == (MP,)
    message = received.message
    [from_] = message["From"].addresses
    assert (from_.display_name, from_.addr_spec) == ("Élise Côté-Tremblay", CAMPAIGN)
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Nguyễn Thị Minh", MP)
    [reply_to] = message["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == ("Élise Côté-Tremblay", SUPPORTER)
    assert message["Subject"] == "Protégez les forêts — été 2025"
    assert message["Message-ID"] == mail.message_id
    assert message["Date"].datetime == NOW
    assert message["Content-Language"] == "fr"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert text_of(message) == BODY
    assert message.defects == []


def test_build_message_encodes_utf8_names_and_subject_per_rfc2047() -> None:
    raw = build_message(letter(), NOW).as_bytes(policy=email.policy.SMTP)

    lines = headers_of(raw)
    assert all(line.isascii() for line in lines)
    encoded = {line.split(b":", 1)[0]: line for line in lines}
    for name in (b"From", b"To", b"Reply-To", b"Subject"):
        assert b"=?utf-8?" in encoded[name]
    assert raw.isascii()  # quoted-printable body: no 8BITMIME needed
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == "Nguyễn Thị Minh"


def test_build_message_quotes_display_name_with_comma_and_quotes() -> None:
    message = build_message(letter(from_name='Côté, Élise "Lili"'), NOW)

    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    [from_] = parsed["From"].addresses
    assert (from_.display_name, from_.addr_spec) == ('Côté, Élise "Lili"', CAMPAIGN)


def test_build_message_without_reply_to_address_has_no_reply_to_header() -> None:
    message = build_message(letter(reply_to_address=None), NOW)

    assert "Reply-To" not in message
    assert message["From"].addresses[0].addr_spec == CAMPAIGN


@pytest.mark.parametrize(
    "field", ["from_name", "to_name", "reply_to_name", "subject", "to_address", "reply_to_address"]
)
@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028"])
def test_build_message_refuses_line_breaks_in_headers(field: str, breaker: str) -> None:
    value = getattr(letter(), field)
    injected = f"{value}{breaker}Bcc: victim@example.net"

    with pytest.raises(ValueError, match="line break or control character"):
        build_message(letter(**{field: injected}), NOW)


def test_a_supporters_mail_offers_one_click_unsubscribe_and_other_mail_does_not() -> None:
    url = "https://callmp.example/u/AbC-123_xyz"
    message = build_message(letter(unsubscribe_url=url), NOW)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == f"<{url}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = build_message(letter(), NOW)
    assert "List-Unsubscribe" not in plain and "List-Unsubscribe-Post" not in plain
    with pytest.raises(ValueError, match="line break"):
        build_message(letter(unsubscribe_url=url + "\r\nBcc: victim@example.net"), NOW)


@pytest.mark.parametrize("address", ["not an address", "nobody@", "@example.org", "a@b@c"])
def test_build_message_refuses_invalid_addresses(address: str) -> None:
    with pytest.raises(ValueError, match="to address"):
        build_message(letter(to_address=address), NOW)


def test_build_message_refuses_naive_date_and_malformed_message_id() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_message(letter(), NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="message_id"):
        build_message(letter(message_id="no-brackets@example.org"), NOW)


def test_new_message_id_is_unique_and_in_the_senders_domain() -> None:
    first, second = new_message_id(CAMPAIGN), new_message_id(CAMPAIGN)

    assert first != second
    assert re.fullmatch(r"<[^<>@\s]+@forets\.example\.org>", first)
    assert build_message(letter(message_id=first), NOW)["Message-ID"] == first


def test_smtp_451_on_data_is_temporary_and_a_retry_delivers_once(smtp_peer: SmtpPeer) -> None:
    smtp_peer.answer_next("451 4.3.0 Try again later")
    sender = sender_for(smtp_peer)
    message = build_message(letter(), NOW)

    with pytest.raises(TemporaryMailError) as failure:
        sender.send(message)
    assert "451" in failure.value.reason
    assert smtp_peer.received == []

    sender.send(message)
    assert len(smtp_peer.wait_for(1)) == 1


def test_smtp_550_on_data_is_permanent(smtp_peer: SmtpPeer) -> None:
    smtp_peer.answer_always("550 5.1.1 No such user")

    with pytest.raises(PermanentMailError) as failure:
        sender_for(smtp_peer).send(build_message(letter(), NOW))
    assert "550" in failure.value.reason
    assert smtp_peer.received == []


@pytest.mark.parametrize(
    ("stage", "answer", "kind"),
    [
        ("RCPT", "450 4.2.0 Mailbox busy", TemporaryMailError),
        ("RCPT", "550 5.1.1 No such user", PermanentMailError),
        ("MAIL", "451 4.7.1 Greylisted", TemporaryMailError),
        ("MAIL", "553 5.1.8 Sender address rejected", PermanentMailError),
        ("MAIL", "530 5.7.0 Authentication required", TemporaryMailError),
    ],
)
def test_smtp_refusal_of_sender_or_recipient_maps_by_code(
    smtp_peer: SmtpPeer, stage: str, answer: str, kind: type[MailError]
) -> None:
    smtp_peer.answer_next(answer, stage=stage)

    with pytest.raises(MailError) as failure:
        sender_for(smtp_peer).send(build_message(letter(), NOW))
    assert type(failure.value) is kind
    assert answer[:3] in failure.value.reason


def test_smtp_failure_reason_and_logs_hold_no_addresses(
    smtp_peer: SmtpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_peer.answer_next("550 5.1.1 No such user", stage="RCPT")
    caplog.set_level(logging.DEBUG, logger="callmp.letters.smtp")
    message = build_message(letter(), NOW)

    with pytest.raises(PermanentMailError) as failure:
        sender_for(smtp_peer).send(message)
    sender_for(smtp_peer).send(message)

    ours = [
        record.getMessage() for record in caplog.records if record.name == "callmp.letters.smtp"
    ]
    assert len(ours) == 2
    assert all(letter().message_id in text for text in ours)
    for text in [*ours, failure.value.reason, str(failure.value)]:
        for address in (CAMPAIGN, MP, SUPPORTER):
            assert address not in text


def test_smtp_server_down_is_temporary() -> None:
    sender = SmtpSender(HOST, free_port(), tls="none", timeout=2.0)

    with pytest.raises(TemporaryMailError, match="connection refused"):
        sender.send(build_message(letter(), NOW))


def test_smtp_server_that_never_answers_times_out_as_temporary() -> None:
    # The kernel completes the handshake for a listening socket; nobody ever greets.
    with socket.create_server((HOST, 0)) as silent:
        sender = SmtpSender(HOST, silent.getsockname()[1], tls="none", timeout=0.5)
        with pytest.raises(TemporaryMailError, match="timed out"):
            sender.send(build_message(letter(), NOW))


def test_smtp_server_hanging_up_is_temporary() -> None:
    with socket.create_server((HOST, 0)) as rude:

        def hang_up() -> None:
            connection, _ = rude.accept()
            connection.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        sender = SmtpSender(HOST, rude.getsockname()[1], tls="none", timeout=2.0)
        with pytest.raises(TemporaryMailError, match="closed"):
            sender.send(build_message(letter(), NOW))
        thread.join()


def test_smtp_starttls_with_login_delivers_encrypted(starttls_peer: SmtpPeer) -> None:
    sender = sender_for(
        starttls_peer,
        tls="starttls",
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        ssl_context=starttls_peer.client_context(),
    )
    sender.send(build_message(letter(), NOW))

    [received] = starttls_peer.wait_for(1)
    assert received.tls
    assert received.login == DEFAULT_USERNAME
    assert received.rcpt_tos == (MP,)
    assert text_of(received.message) == BODY


def test_smtp_starttls_wrong_password_is_temporary(starttls_peer: SmtpPeer) -> None:
    sender = sender_for(
        starttls_peer,
        tls="starttls",
        username=DEFAULT_USERNAME,
        password="wrong",
        ssl_context=starttls_peer.client_context(),
    )

    with pytest.raises(TemporaryMailError) as failure:
        sender.send(build_message(letter(), NOW))
    assert "535" in failure.value.reason
    assert "login" in failure.value.reason
    assert starttls_peer.received == []


def test_smtp_starttls_refuses_server_without_it_and_sends_nothing(smtp_peer: SmtpPeer) -> None:
    sender = sender_for(smtp_peer, tls="starttls")

    with pytest.raises(TemporaryMailError, match="STARTTLS"):
        sender.send(build_message(letter(), NOW))
    assert smtp_peer.received == []


def test_smtp_starttls_refuses_untrusted_certificate(starttls_peer: SmtpPeer) -> None:
    # The default context trusts the system's CAs, not the test CA.
    sender = sender_for(starttls_peer, tls="starttls", username=DEFAULT_USERNAME)

    with pytest.raises(TemporaryMailError, match="tls error"):
        sender.send(build_message(letter(), NOW))
    assert starttls_peer.received == []


def test_smtp_implicit_tls_with_login_delivers_encrypted(tls_ca: trustme.CA) -> None:
    with SmtpPeer(tls="tls", ca=tls_ca, username=DEFAULT_USERNAME) as peer:
        sender = sender_for(
            peer,
            tls="tls",
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            ssl_context=peer.client_context(),
        )
        sender.send(build_message(letter(), NOW))

        [received] = peer.wait_for(1)
    assert received.tls
    assert received.login == DEFAULT_USERNAME
    assert received.message["Subject"] == "Protégez les forêts — été 2025"


def test_smtp_sender_rejects_unknown_tls_mode() -> None:
    with pytest.raises(ValueError, match="tls"):
        SmtpSender(HOST, 25, tls="ssl")


# -- Display names that must stay one address -----------------------------------------

#: Names of 70 to 120 characters that Python 3.11's folder, given them as they are, split
#: into several addresses (its fold drops the quotes around a long quoted display name).
HOSTILE_NAMES = [
    "Jane Doe, attacker@evil.example, " + "x" * 60,
    'Jane "The Boss" Doe; other@evil.example: ' + "y" * 50,
    "Jane <attacker@evil.example>, Doe (" + "z" * 50 + ")",
    "Jane Doe,@evil.example," + ", ".join(["a@b.example"] * 7),
    "=?utf-8?q?Jane_=3Cattacker=40evil.example=3E?=, " + "w" * 55,
    "Zoë Côté-Tremblay, Élise <attacker@evil.example>, " + "é" * 40 + ", 保护森林",
    '\\\\\\"Jane\\" <a@evil.example>; ,, ::: @@@ ' + "q" * 70,
    ("O'Brien-Smith, Mary Jane Élise, Jr., PhD., Member of the Order of Canada, " * 2)[:118],
]


def _one_address(raw: bytes, field: str) -> Address:
    """The one address of ``field`` in the serialised message, by two parsers."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    (header,) = parsed.get_all(field) or []
    (address,) = header.addresses
    # The same header as written on the wire (unfolded), through the older parser.
    (line,) = [
        line for line in headers_of(raw) if line.lower().startswith(field.lower().encode() + b":")
    ]
    (pair,) = getaddresses([line.split(b":", 1)[1].decode("ascii")])
    assert pair[1] == address.addr_spec
    assert isinstance(address, Address)
    return address


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_long_display_name_never_becomes_more_addresses(name: str) -> None:
    assert 70 <= len(name) <= 120
    mail = letter(from_name=name, reply_to_name=name, to_name=name)
    try:
        message = build_message(mail, NOW)
    except PermanentMailError as refused:
        assert "does not parse back" in refused.reason
        return
    raw = message.as_bytes(policy=email.policy.SMTP)
    for field, intended in (("From", CAMPAIGN), ("Reply-To", SUPPORTER), ("To", MP)):
        address = _one_address(raw, field)
        assert address.addr_spec == intended, (field, raw)
        assert len(address.display_name) <= DISPLAY_NAME_MAX
        # The name as written, perhaps cut short (folding may add spaces).
        assert "".join(address.display_name.split()) in "".join(name.split())


def test_a_name_that_decodes_into_an_address_is_refused_permanently() -> None:
    spoof = "=?utf-8?q?Jane_=3Cattacker=40evil.example=3E?="
    with pytest.raises(PermanentMailError, match="Reply-To does not parse back"):
        build_message(letter(from_name="Jane", reply_to_name=spoof), NOW)


def test_smtp_delivers_hostile_names_as_one_address_per_header(smtp_peer: SmtpPeer) -> None:
    sender = sender_for(smtp_peer)
    sent = 0
    for number, name in enumerate(HOSTILE_NAMES):
        mail = letter(
            from_name=name, reply_to_name=name, message_id=f"<{number}.hostile@forets.example.org>"
        )
        try:
            sender.send(build_message(mail, NOW))
        except PermanentMailError:
            continue
        sent += 1
    received = smtp_peer.wait_for(sent)
    assert sent == len(HOSTILE_NAMES) - 1  # only the encoded word that decodes differently
    for item in received:
        assert item.mail_from == CAMPAIGN and item.rcpt_tos == (MP,)
        raw = item.raw
        assert _one_address(raw, "From").addr_spec == CAMPAIGN
        assert _one_address(raw, "Reply-To").addr_spec == SUPPORTER
        assert _one_address(raw, "To").addr_spec == MP

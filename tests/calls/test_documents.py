"""Kept TwiML documents: the same document the builder gives, with each call's own id."""

from __future__ import annotations

from typing import Any

import pytest

from callmp.calls import twiml
from callmp.calls.documents import CALL_ID, document
from callmp.i18n import translator

BASE = "https://callmp.example/twilio/calls/{call}/gather?step=1&x=2"


@pytest.mark.parametrize("public_id", ["Abc-123_xyz", "odd&<id>\"'", ""])
def test_a_kept_document_is_the_builders_own_for_that_call(public_id: str) -> None:
    english = translator("en")
    arguments: dict[str, Any] = {
        "target_label": "Jenny Kwan, your MP",
        "voice": twiml.ENGLISH,
        "translate": english,
        "notes": ["Nobody picked up there."],
    }
    kept = document(public_id, twiml.next_target, gather_url=BASE.format(call=CALL_ID), **arguments)
    own = twiml.next_target(gather_url=BASE.format(call=public_id), **arguments)
    assert kept == own
    assert CALL_ID not in kept


def test_two_calls_get_one_document_each_with_its_own_id() -> None:
    french = translator("fr")

    def build(public_id: str) -> str:
        return document(
            public_id,
            twiml.greeting,
            intro="Bonjour.",
            gather_url=BASE.format(call=CALL_ID),
            voice=twiml.FRENCH,
            translate=french,
        )

    first, second = build("first"), build("second")
    assert first.replace("first", "second") == second
    assert "calls/first/gather" in first and "calls/second/gather" in second

"""The accent colour's check: WCAG contrast against white, refused under 4.5:1."""

from __future__ import annotations

import pytest

from callmp.campaigns import branding


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
        ("#777777", "#ffffff", 4.48),
        ("#ff0000", "#ffffff", 4.0),  # pure red: WCAG's own worked example is 4:1
    ],
)
def test_contrast_ratios_match_wcag(first: str, second: str, ratio: float) -> None:
    assert branding.contrast(first, second) == pytest.approx(ratio, abs=0.01)
    assert branding.contrast(second, first) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("#8A1C4B", "#8a1c4b"), ("8a1c4b", "#8a1c4b"), (" #767676 ", "#767676"), ("", "")],
)
def test_dark_enough_colours_are_kept_lowercase(raw: str, kept: str) -> None:
    assert branding.check_accent(raw) == (kept, None, {})


def test_a_light_colour_is_refused_with_its_ratio_rounded_down() -> None:
    colour, error, params = branding.check_accent("#777777")
    assert (colour, error, params) == ("#777777", branding.LOW_CONTRAST, {"ratio": "4.4"})
    assert branding.check_accent("#ffcc00")[1] == branding.LOW_CONTRAST


@pytest.mark.parametrize("raw", ["blue", "#12345", "#1234567", "#ggg000", "rgb(0,0,0)", "#fff"])
def test_anything_but_six_hex_digits_is_not_a_colour(raw: str) -> None:
    assert branding.check_accent(raw)[1] == branding.BAD_COLOUR

"""Rural postal codes (second character 0) picked from the shipped tables by their
properties, so tests need not hard-code what the data says."""

from __future__ import annotations

from collections.abc import Iterator

from callmp.directory.postal_index import PostalIndex

#: The share below which the lookup drops an FSA's riding as noise (FSA_MIN_SHARE).
MIN_SHARE = 0.01


def _spaced(compact: str) -> str:
    """``K0A1A0`` as ``K0A 1A0``."""
    return f"{compact[:3]} {compact[3:]}"


def _plain_rural(index: PostalIndex) -> Iterator[tuple[str, int, list[int]]]:
    """Rural codes outside the territories with an unflagged entry: (code, its point
    riding, its FSA's ridings above the noise share, largest first)."""
    for compact in index.rural_codes():
        entry = index.code(compact)
        if compact[0] in "XY" or entry is None or entry.suspect or entry.near_boundary:
            continue
        ridings = [s.fed_num for s in index.fsa(compact[:3]) if s.share >= MIN_SHARE]
        yield _spaced(compact), entry.fed_num, ridings


def shared_rural_code(index: PostalIndex) -> str:
    """A rural code whose FSA reaches other ridings and whose own (point) riding is not
    the FSA's largest: ranking by the point and ranking by share then differ."""
    return next(
        code
        for code, own, ridings in _plain_rural(index)
        if len(ridings) >= 2 and own in ridings and ridings[0] != own
    )


def lone_rural_code(index: PostalIndex) -> str:
    """A rural code whose whole FSA is its own riding."""
    return next(
        code
        for code, own, _ridings in _plain_rural(index)
        if {s.fed_num for s in index.fsa(code[:3])} == {own}
    )

"""The shipped postal-code tables, held in memory in a compact form.

``data/postal_codes.csv.gz`` has fixed-width lines (``A0A0A1,10001,00000,0``), so the
whole table becomes four numpy arrays without a Python loop over its 890,000 rows, and
one lookup is a binary search. ``data/fsa_ridings.csv`` gives each FSA's ridings with
their share of the FSA's postal codes.
"""

from __future__ import annotations

import csv
import gzip
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

POSTAL_FILE = "postal_codes.csv.gz"
FSA_FILE = "fsa_ridings.csv"
HEADER = b"postal_code,fed_num,alt_fed_num,flags\n"
LINE = 21  # bytes per fixed-width row, newline included

FLAG_SUSPECT = 1  # the source marks the coordinate as a likely geocoding error
FLAG_NEAR_BOUNDARY = 2  # another riding lies within a short distance of the point


@dataclass(frozen=True)
class CodeEntry:
    """What the full-code table says about one postal code."""

    fed_num: int
    alt_fed_num: int | None
    suspect: bool
    near_boundary: bool


@dataclass(frozen=True)
class FsaShare:
    """One riding's share of an FSA's postal codes."""

    fed_num: int
    share: float


def _digits(block: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """Turn an (n, k) array of ASCII digits into n integers."""
    values = np.zeros(block.shape[0], dtype=np.int32)
    for column in range(block.shape[1]):
        values = values * 10 + (block[:, column].astype(np.int32) - 48)
    return values


def _between(block: npt.NDArray[np.uint8], low: str, high: str) -> bool:
    """True when every byte of ``block`` lies between two ASCII characters."""
    return bool(np.all((block >= ord(low)) & (block <= ord(high))))


def _check_fields(rows: npt.NDArray[np.uint8]) -> None:
    """Refuse a table whose columns are not letter/digit codes, numbers, commas and flags."""
    checks = (
        _between(rows[:, [0, 2, 4]], "A", "Z"),
        _between(rows[:, [1, 3, 5]], "0", "9"),
        _between(rows[:, 7:12], "0", "9"),
        _between(rows[:, 13:18], "0", "9"),
        _between(rows[:, 19], "0", "3"),
        bool(np.all(rows[:, [6, 12, 18]] == ord(","))),
        bool(np.all(rows[:, LINE - 1] == ord("\n"))),
    )
    if not all(checks):
        raise ValueError(f"{POSTAL_FILE} has a row that is not `A1A1A1,NNNNN,NNNNN,F`")


class PostalIndex:
    """Postal code and FSA to riding tables, loaded once per data folder."""

    def __init__(
        self,
        codes: npt.NDArray[np.bytes_],
        fed: npt.NDArray[np.int32],
        alt: npt.NDArray[np.int32],
        flags: npt.NDArray[np.uint8],
        fsas: dict[str, tuple[FsaShare, ...]],
    ) -> None:
        self._codes = codes
        self._fed = fed
        self._alt = alt
        self._flags = flags
        self._fsas = fsas

    @classmethod
    def load(cls, data_dir: Path) -> PostalIndex:
        """Read both tables from ``data_dir``."""
        with gzip.open(data_dir / POSTAL_FILE, "rb") as handle:
            raw = handle.read()
        if not raw.startswith(HEADER) or (len(raw) - len(HEADER)) % LINE:
            raise ValueError(f"{POSTAL_FILE} is not in the expected fixed-width form")
        rows = np.frombuffer(raw, dtype=np.uint8, offset=len(HEADER)).reshape(-1, LINE)
        _check_fields(rows)
        codes = np.ascontiguousarray(rows[:, 0:6]).view("S6").ravel()
        if codes.size > 1 and not bool(np.all(codes[1:] > codes[:-1])):
            raise ValueError(f"{POSTAL_FILE} is not sorted by postal code")
        fsas: dict[str, list[FsaShare]] = {}
        with (data_dir / FSA_FILE).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                fsas.setdefault(row["fsa"], []).append(
                    FsaShare(int(row["fed_num"]), float(row["share"]))
                )
        ranked = {
            fsa: tuple(sorted(shares, key=lambda s: (-s.share, s.fed_num)))
            for fsa, shares in fsas.items()
        }
        return cls(
            codes=codes,
            fed=_digits(rows[:, 7:12]),
            alt=_digits(rows[:, 13:18]),
            flags=(rows[:, 19] - 48).astype(np.uint8),
            fsas=ranked,
        )

    def __len__(self) -> int:
        return int(self._codes.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self._codes.nbytes + self._fed.nbytes + self._alt.nbytes + self._flags.nbytes)

    def code(self, compact_code: str) -> CodeEntry | None:
        """The entry of a full code without its space (``K1A0A6``), or None."""
        key = compact_code.encode("ascii")
        i = int(np.searchsorted(self._codes, key))
        if i >= self._codes.size or self._codes[i] != key:
            return None
        flags = int(self._flags[i])
        alt = int(self._alt[i])
        return CodeEntry(
            fed_num=int(self._fed[i]),
            alt_fed_num=alt or None,
            suspect=bool(flags & FLAG_SUSPECT),
            near_boundary=bool(flags & FLAG_NEAR_BOUNDARY),
        )

    def fsa(self, fsa: str) -> tuple[FsaShare, ...]:
        """The FSA's ridings, largest share first; empty when the FSA is unknown."""
        return self._fsas.get(fsa, ())

    def rural_codes(self) -> list[str]:
        """Every full code whose second character is 0 (a rural delivery area), compact and
        sorted."""
        if not len(self):
            return []
        second = self._codes.view(np.uint8).reshape(-1, 6)[:, 1]
        return [code.decode("ascii") for code in self._codes[second == ord("0")]]

    def fed_nums(self) -> set[int]:
        """Every riding number the tables mention."""
        found = {int(v) for v in np.unique(self._fed)}
        found.update(share.fed_num for shares in self._fsas.values() for share in shares)
        return found


_cache: dict[Path, PostalIndex] = {}
_lock = threading.Lock()


def get_index(data_dir: Path) -> PostalIndex:
    """The index for ``data_dir``, loaded on first use and shared within the process."""
    key = data_dir.resolve()
    with _lock:
        index = _cache.get(key)
        if index is None:
            index = _cache[key] = PostalIndex.load(key)
        return index

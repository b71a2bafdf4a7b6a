"""The shipped postal-code tables, and the loader's checks on a small synthetic folder."""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import pytest

from callmp.config import REPO_ROOT
from callmp.directory import postal_codes
from callmp.directory.postal_index import (
    FSA_FILE,
    HEADER,
    LINE,
    POSTAL_FILE,
    CodeEntry,
    FsaShare,
    PostalIndex,
    get_index,
)

DATA_DIR = REPO_ROOT / "data"
PROVINCE_CODES = {10, 11, 12, 13, 24, 35, 46, 47, 48, 59, 60, 61, 62}


@pytest.fixture(scope="module")
def shipped() -> PostalIndex:
    """The tables shipped in ``data/``."""
    return get_index(DATA_DIR)


def ridings() -> list[dict[str, str]]:
    """The rows of ``data/ridings.csv``."""
    with (DATA_DIR / "ridings.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shipped_fsas() -> list[str]:
    """Every FSA named in ``data/fsa_ridings.csv``, once each."""
    with (DATA_DIR / FSA_FILE).open(newline="", encoding="utf-8") as handle:
        return sorted({row["fsa"] for row in csv.DictReader(handle)})


# -- the shipped data --------------------------------------------------------------


def test_shipped_table_has_every_code(shipped: PostalIndex) -> None:
    assert len(shipped) == 891_909


def test_get_index_loads_a_folder_once(shipped: PostalIndex) -> None:
    assert get_index(DATA_DIR) is shipped
    assert get_index(REPO_ROOT / "callmp" / ".." / "data") is shipped


@pytest.mark.parametrize(
    ("code", "fed_num"),
    [("M5V3L9", 35100), ("K1A0A6", 35079), ("A0A0A1", 10001)],
)
def test_known_code_returns_its_riding(shipped: PostalIndex, code: str, fed_num: int) -> None:
    assert shipped.code(code) == CodeEntry(
        fed_num=fed_num, alt_fed_num=None, suspect=False, near_boundary=False
    )


def test_shipped_code_near_a_boundary_names_the_other_riding(shipped: PostalIndex) -> None:
    assert shipped.code("A1A0A6") == CodeEntry(
        fed_num=10002, alt_fed_num=10006, suspect=False, near_boundary=True
    )


def test_shipped_code_can_be_both_suspect_and_near_a_boundary(shipped: PostalIndex) -> None:
    assert shipped.code("E4T1Z9") == CodeEntry(
        fed_num=13004, alt_fed_num=13002, suspect=True, near_boundary=True
    )


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("K1A0A0", id="valid-but-unknown"),
        pytest.param("A0A0A0", id="before-the-first"),
        pytest.param("Y9Z9Z9", id="after-the-last"),
        pytest.param("K1A 0A6", id="with-space"),
        pytest.param("k1a0a6", id="lower-case"),
        pytest.param("K1A", id="fsa-only"),
        pytest.param("K1A0A6X", id="too-long"),
        pytest.param("", id="empty"),
    ],
)
def test_unknown_code_returns_none(shipped: PostalIndex, code: str) -> None:
    assert shipped.code(code) is None


def test_fsa_ranks_ridings_by_share_descending(shipped: PostalIndex) -> None:
    shares = shipped.fsa("M5V")
    assert shares[0] == FsaShare(fed_num=35100, share=0.9526)
    assert [s.fed_num for s in shares[:3]] == [35100, 35112, 35120]
    assert [s.share for s in shares] == sorted((s.share for s in shares), reverse=True)


def test_fsa_breaks_ties_by_riding_number(shipped: PostalIndex) -> None:
    tail = [s.fed_num for s in shipped.fsa("M5V") if s.share == 0.0018]
    assert tail == sorted(tail)
    assert len(tail) == 4


def test_unknown_fsa_returns_empty(shipped: PostalIndex) -> None:
    assert shipped.fsa("Z9Z") == ()
    assert shipped.fsa("K1A 0A6") == ()


def test_every_fsa_is_ranked_and_its_shares_sum_to_one(shipped: PostalIndex) -> None:
    fsas = shipped_fsas()
    assert len(fsas) > 1500
    for name in fsas:
        shares = shipped.fsa(name)
        assert shares, name
        values = [s.share for s in shares]
        assert values == sorted(values, reverse=True), name
        assert all(0 < v <= 1 for v in values), name
        assert math.isclose(sum(values), 1.0, abs_tol=0.002), name


def test_fed_nums_are_exactly_the_ridings(shipped: PostalIndex) -> None:
    expected = {int(row["fed_num"]) for row in ridings()}
    assert len(expected) == 343
    assert shipped.fed_nums() == expected


def test_every_fed_num_starts_with_a_province_code(shipped: PostalIndex) -> None:
    prefixes = {fed_num // 1000 for fed_num in shipped.fed_nums()}
    assert all(10000 <= fed_num <= 99999 for fed_num in shipped.fed_nums())
    assert prefixes == PROVINCE_CODES


def test_ridings_province_code_matches_the_fed_num() -> None:
    for row in ridings():
        assert row["fed_num"][:2] == row["province_code"], row["fed_num"]


def test_every_shipped_code_lies_in_a_province_its_first_letter_allows() -> None:
    province = {row["fed_num"]: row["province_abbr"] for row in ridings()}
    with gzip.open(DATA_DIR / POSTAL_FILE, "rt", encoding="ascii") as handle:
        lines = handle.read().splitlines()[1:]
    wrong = []
    for line in lines:
        code, fed_num, alt_fed_num, _flags = line.split(",")
        allowed = postal_codes.provinces(code)
        if province[fed_num] not in allowed:
            wrong.append(code)
        if alt_fed_num != "00000" and province[alt_fed_num] not in allowed:
            wrong.append(code)
    assert len(lines) == 891_909
    assert wrong == []


# -- the loader, on synthetic data -------------------------------------------------

ROWS = [
    "A0A0A1,10001,00000,0",
    "A0A0A2,10001,00000,1",
    "A0A0A3,10001,10002,2",
    "A0A0A4,10002,10001,3",
    "K1A0A6,35079,00000,0",
]
FSA_ROWS = [
    "fsa,fed_num,share,rank,n_postal_codes",
    "A0A,10002,0.25,2,1",
    "A0A,10001,0.75,1,3",
    "K1A,35079,1.0,1,1",
]


def write_folder(
    folder: Path, rows: list[str], header: bytes = HEADER, fsa_rows: list[str] = FSA_ROWS
) -> Path:
    """Write a data folder with ``rows`` as the fixed-width postal-code table."""
    body = header + b"".join(row.encode("ascii") + b"\n" for row in rows)
    with gzip.open(folder / POSTAL_FILE, "wb") as handle:
        handle.write(body)
    (folder / FSA_FILE).write_text("\n".join(fsa_rows) + "\n", encoding="utf-8")
    return folder


def test_synthetic_rows_have_the_documented_width() -> None:
    assert all(len(row) + 1 == LINE for row in ROWS)


def test_load_reads_riding_alt_riding_and_flags(tmp_path: Path) -> None:
    index = PostalIndex.load(write_folder(tmp_path, ROWS))
    assert len(index) == 5
    assert index.code("A0A0A1") == CodeEntry(10001, None, suspect=False, near_boundary=False)
    assert index.code("A0A0A2") == CodeEntry(10001, None, suspect=True, near_boundary=False)
    assert index.code("A0A0A3") == CodeEntry(10001, 10002, suspect=False, near_boundary=True)
    assert index.code("A0A0A4") == CodeEntry(10002, 10001, suspect=True, near_boundary=True)
    assert index.code("K1A0A6") == CodeEntry(35079, None, suspect=False, near_boundary=False)
    assert index.code("A0A0A5") is None


def test_load_reads_and_ranks_fsa_shares(tmp_path: Path) -> None:
    index = PostalIndex.load(write_folder(tmp_path, ROWS))
    assert index.fsa("A0A") == (FsaShare(10001, 0.75), FsaShare(10002, 0.25))
    assert index.fsa("K1A") == (FsaShare(35079, 1.0),)
    assert index.fsa("M5V") == ()


def test_fed_nums_include_codes_and_fsas(tmp_path: Path) -> None:
    fsa_rows = [*FSA_ROWS, "X0A,62001,1.0,1,1"]
    index = PostalIndex.load(write_folder(tmp_path, ROWS, fsa_rows=fsa_rows))
    assert index.fed_nums() == {10001, 10002, 35079, 62001}


def test_load_accepts_an_empty_table(tmp_path: Path) -> None:
    index = PostalIndex.load(write_folder(tmp_path, []))
    assert len(index) == 0
    assert index.code("K1A0A6") is None


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(b"", id="missing"),
        pytest.param(b"postal_code,fed_num,alt_fed_num\n", id="missing-column"),
        pytest.param(b"code,fed_num,alt_fed_num,flags\n", id="renamed-column"),
        pytest.param(b"postal_code,fed_num,alt_fed_num,flags\r\n", id="crlf"),
    ],
)
def test_load_refuses_a_bad_header(tmp_path: Path, header: bytes) -> None:
    with pytest.raises(ValueError, match="fixed-width"):
        PostalIndex.load(write_folder(tmp_path, ROWS, header=header))


@pytest.mark.parametrize(
    "bad_row",
    [
        pytest.param("A0A0A9,10001,0000,0", id="short-field"),
        pytest.param("A0A0A9,10001,00000,00", id="long-field"),
        pytest.param("A0A 0A9,10001,00000,0", id="code-with-space"),
    ],
)
def test_load_refuses_a_line_of_the_wrong_width(tmp_path: Path, bad_row: str) -> None:
    with pytest.raises(ValueError, match="fixed-width"):
        PostalIndex.load(write_folder(tmp_path, [*ROWS, bad_row]))


@pytest.mark.parametrize(
    "bad_row",
    [
        pytest.param("K1A0A7,3507X,00000,0", id="letter-in-fed-num"),
        pytest.param("K1A0A7,35079,00000,9", id="unknown-flag"),
        pytest.param("K1A0A7;35079;00000;0", id="wrong-separator"),
    ],
)
def test_load_refuses_a_row_with_bad_fields(tmp_path: Path, bad_row: str) -> None:
    with pytest.raises(ValueError):
        PostalIndex.load(write_folder(tmp_path, [*ROWS, bad_row]))


def test_load_refuses_a_missing_final_newline(tmp_path: Path) -> None:
    write_folder(tmp_path, ROWS)
    with gzip.open(tmp_path / POSTAL_FILE, "rb") as handle:
        body = handle.read()
    with gzip.open(tmp_path / POSTAL_FILE, "wb") as handle:
        handle.write(body.rstrip(b"\n"))
    with pytest.raises(ValueError, match="fixed-width"):
        PostalIndex.load(tmp_path)


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([ROWS[1], ROWS[0], *ROWS[2:]], id="swapped"),
        pytest.param([*ROWS, ROWS[-1]], id="duplicate"),
        pytest.param(list(reversed(ROWS)), id="reversed"),
    ],
)
def test_load_refuses_rows_out_of_order(tmp_path: Path, rows: list[str]) -> None:
    with pytest.raises(ValueError, match="sorted"):
        PostalIndex.load(write_folder(tmp_path, rows))


def test_get_index_caches_per_folder(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = write_folder(tmp_path / "one", ROWS)
    second = write_folder(tmp_path / "two", ROWS[:2])
    assert get_index(first) is get_index(first)
    assert get_index(first) is not get_index(second)
    assert len(get_index(second)) == 2


def test_load_refuses_misaligned_lines_of_compensating_widths(tmp_path: Path) -> None:
    rows = [ROWS[0], "A0A0A2,10001,0000,0", "A0A0A3,10001,000000,0"]
    with pytest.raises(ValueError, match="row that is not"):
        PostalIndex.load(write_folder(tmp_path, rows))

"""data/README.md describes every field of every shipped file (source, date, method, gaps)."""

from __future__ import annotations

import csv
import gzip
import re

import pytest

from callmp.config import REPO_ROOT

DATA = REPO_ROOT / "data"
README = (DATA / "README.md").read_text(encoding="utf-8")
SHIPPED = sorted(p.name for p in DATA.iterdir() if p.suffix in {".csv", ".gz"})


def _header(name: str) -> list[str]:
    """The file's columns, read from its header row."""
    path = DATA / name
    if name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as zipped:
            return list(next(csv.reader(zipped)))
    with path.open(encoding="utf-8", newline="") as handle:
        return list(next(csv.reader(handle)))


def _table(name: str) -> dict[str, list[str]]:
    """The README's field table for ``name``: field -> its other cells."""
    start = README.index(f"### `{name}`")
    following = README.find("\n#", start + 1)
    section = README[start : following if following != -1 else len(README)]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) != 5:
            continue
        for field in re.findall(r"`([a-z_0-9]+)`", cells[0]):
            rows[field] = cells[1:]
    return rows


def test_every_shipped_file_has_a_section() -> None:
    assert SHIPPED == [
        "fsa_ridings.csv",
        "mps.csv",
        "offices.csv",
        "postal_codes.csv.gz",
        "ridings.csv",
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_field_has_its_source_date_method_and_gaps(name: str) -> None:
    table = _table(name)
    columns = _header(name)
    assert sorted(table) == sorted(columns), name
    for field, (source, _date, method, _gaps) in table.items():
        assert source and method, (name, field)

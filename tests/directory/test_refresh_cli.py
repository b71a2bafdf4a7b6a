"""``flask data refresh --apply``: writes the diff it prints; a refused source changes nothing,
exits non-zero and says why on stderr."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.models import AuditEntry, DataRelease, OfficeKind, Person, Portfolio
from tests.directory.test_refresh_apply import PAGE_2026, PROFILES, XML_2026, snapshot

PROFILE = next(p for p in PROFILES if "dan-albas" in p.name)


def refresh(app: Flask, folder: Path, *options: str) -> tuple[int, str, str]:
    """Run the command on ``folder``: exit code, stdout, stderr."""
    result = app.test_cli_runner().invoke(args=["data", "refresh", "--from", str(folder), *options])
    return result.exit_code, result.stdout, result.stderr


def newer_page(tmp_path: Path) -> Path:
    """A folder with the September page as of 2026-10-01: Brock gone, one Hill phone new."""
    text = PAGE_2026.read_text(encoding="utf-8")
    start = text.index("Brock, Larry\n")
    text = text[:start] + text[text.index("Brunelle-Duceppe, Alexis\n") :]
    text = text.replace("Telephone:  613-992-0946", "Telephone:  613-992-2222", 1)
    folder = tmp_path / "house"
    folder.mkdir()
    (folder / "addresses_2026-10-01.txt").write_text(text, encoding="utf-8")
    return folder


def counted(session: Session) -> tuple[int, int]:
    """How many data releases and refresh audit entries there are."""
    session.rollback()
    releases = session.scalar(select(func.count()).select_from(DataRelease))
    audits = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "data.refresh")
    )
    return releases or 0, audits or 0


def test_apply_writes_the_printed_diff(app: Flask, session: Session, tmp_path: Path) -> None:
    folder = newer_page(tmp_path)
    code, shown, _ = refresh(app, folder)
    assert code == 0
    assert "  48018 Ziad Aboultaif (#89156): Hill office phone +16139920946 -> +16139922222" in (
        shown.splitlines()
    )
    before = counted(session)
    code, applied, errors = refresh(app, folder, "--apply")
    assert (code, errors) == (0, "")
    # The same diff, then what was applied.
    assert applied.startswith(shown.removesuffix("nothing applied (add --apply to write it)\n"))
    last = applied.splitlines()[-1]
    # An addresses page alone: the data as a whole stays as old as the shipped load.
    assert re.fullmatch(r"applied: phone change 1; data as of 2026-09-02 \(release #\d+\)", last)
    assert counted(session) == (before[0] + 1, before[1] + 1)
    mp = session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
    hill = next(o for o in mp.offices if o.kind == OfficeKind.hill)
    assert (hill.phone, hill.phone_raw, hill.source) == (
        "+16139922222",
        "613-992-2222",
        "hoc_addresses_page_2026-10-01",
    )
    code, again, _ = refresh(app, folder)
    assert code == 0 and "no differences" in again.splitlines()


def _truncated_export(folder: Path) -> None:
    data = XML_2026.read_bytes()
    (folder / "members_2026-10-01.xml").write_bytes(data[: len(data) * 2 // 3])


def _edited_export(old: str, new: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        data = XML_2026.read_text(encoding="utf-8")
        assert old in data
        (folder / "members_2026-10-01.xml").write_text(data.replace(old, new, 1), "utf-8")

    return write


def _partial_export(folder: Path) -> None:
    data = XML_2026.read_text(encoding="utf-8")
    members = re.findall(r"<MemberOfParliament>.*?</MemberOfParliament>", data)
    head = data[: data.index("<MemberOfParliament>")]
    text = head + "".join(members[:120]) + "</ArrayOfMemberOfParliament>"
    (folder / "members_2026-10-01.xml").write_text(text, encoding="utf-8")


def _undated_export(folder: Path) -> None:
    shutil.copy(XML_2026, folder / "members.xml")


def _older_export(folder: Path) -> None:
    shutil.copy(XML_2026, folder / XML_2026.name)


def _profile(old: str, new: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        html = PROFILE.read_text(encoding="utf-8")
        assert old in html
        (folder / PROFILE.name).write_text(html.replace(old, new, 1), encoding="utf-8")

    return write


def _truncated_profile(folder: Path) -> None:
    html = PROFILE.read_text(encoding="utf-8")
    (folder / PROFILE.name).write_text(html[: len(html) * 9 // 10], encoding="utf-8")


def _unrecognised_profile(folder: Path) -> None:
    # Cut before the profile's container: the file is no longer recognised as a profile.
    html = PROFILE.read_text(encoding="utf-8")
    (folder / PROFILE.name).write_text(html[: len(html) // 4], encoding="utf-8")


def _truncated_page(folder: Path) -> None:
    text = PAGE_2026.read_text(encoding="utf-8")
    (folder / "addresses_2026-10-01.txt").write_text(text[: len(text) // 2], "utf-8")


@pytest.mark.parametrize(
    ("write", "reason"),
    [
        (_truncated_export, "refused: members export: not well-formed XML"),
        (_partial_export, "refused: members export: only 120 sitting members"),
        (_truncated_page, "refused: addresses page: no 'Top of Page' footer"),
        (_truncated_profile, "refused: profile page: no closing </html>"),
        (_unrecognised_profile, "not recognised as a House of Commons file"),
        (
            _edited_export("<ConstituencyName>Avalon</ConstituencyName>", "<ConstituencyName />"),
            "refused: members export, member ",
        ),
        (
            _edited_export(
                "<ConstituencyName>Edmonton Manning</ConstituencyName>",
                "<ConstituencyName>Terrebonne</ConstituencyName>",
            ),
            "several sitting members for riding(s) [24073]",
        ),
        (_undated_export, "members.xml: the date of its data is unknown"),
        (_older_export, "data of 2026-04-13 is older than the data loaded (2026-09-27)"),
        (
            _profile("<dd>English </dd>", "<dd>Klingon</dd>"),
            "profile page 72029: preferred language 'Klingon' is neither English nor French",
        ),
    ],
    ids=[
        "truncated-export",
        "partial-export",
        "truncated-page",
        "truncated-profile",
        "unrecognised-file",
        "member-without-riding",
        "two-members-one-riding",
        "undated",
        "older",
        "unknown-language",
    ],
)
def test_a_refused_source_changes_nothing(
    app: Flask, session: Session, tmp_path: Path, write: Callable[[Path], None], reason: str
) -> None:
    folder = tmp_path / "house"
    folder.mkdir()
    write(folder)
    before, releases = snapshot(session), counted(session)
    code, _, errors = refresh(app, folder, "--apply")
    assert code == 1
    assert errors.startswith("Error: refused: ")
    assert reason in errors
    assert errors.rstrip().endswith("nothing applied")
    session.rollback()
    assert snapshot(session) == before
    assert counted(session) == releases


def test_as_of_dates_a_file_whose_name_gives_none(app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "house"
    folder.mkdir()
    shutil.copy(PROFILE, folder / "albas.html")
    code, _, errors = refresh(app, folder)
    assert code == 1 and "albas.html: the date of its data is unknown" in errors
    code, shown, _ = refresh(app, folder, "--as-of", "2026-12-01")
    assert code == 0
    assert "  profile pages: albas.html (2026-12-01)" in shown.splitlines()


def test_apply_retargets_a_portfolio_campaign_after_a_shuffle(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    """The ministry lists go through the same command: ministers in and out are printed,
    then applied with the members, and the portfolio campaigns aim at changes holder."""
    house = Path(__file__).parent.parent / "fixtures" / "house"
    folders = []
    for day, names in (
        ("2026-09-15", ["ministries_en_2026-09-15_CONSTRUCTED.xml"]),
        (
            "2026-11-20",
            [
                "ministries_en_2026-11-20_CONSTRUCTED.xml",
                "ministries_fr_2026-11-20_CONSTRUCTED.xml",
            ],
        ),
    ):
        folder = tmp_path / day
        folder.mkdir()
        for name in names:
            shutil.copy(house / name, folder / name)
        folders.append(folder)
    assert refresh(app, folders[0], "--apply")[0] == 0
    code, shown, errors = refresh(app, folders[1], "--apply")
    assert (code, errors) == (0, "")
    lines = shown.splitlines()
    assert "minister in (3):" in lines and "minister out (3):" in lines
    assert re.fullmatch(
        r"applied: .*minister in 3.*; data as of 2026-09-02 \(release #\d+\)", lines[-1]
    )
    session.rollback()
    portfolio = session.scalars(
        select(Portfolio).where(
            Portfolio.slug == "minister-of-immigration-refugees-and-citizenship"
        )
    ).one()
    assert portfolio.holder is not None and portfolio.holder.ourcommons_person_id == 122684
    assert portfolio.holder_source == "hoc_ministries_2026-11-20"
    # Applied once: the same files again show no differences.
    code, again, _ = refresh(app, folders[1])
    assert code == 0 and "no differences" in again.splitlines()

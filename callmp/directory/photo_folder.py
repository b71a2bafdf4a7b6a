"""Load a folder of saved MP photos into the photo store (``flask data photos --from DIR``).

A file belongs to a member when its name is the last part of the member's House photo
URL (``AlbasDan_CPC.jpg``, any case) or their House person id (``72029.jpg``). Every
matched file is checked first; when any is refused, nothing is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.directory.photos import MAX_BYTES, PhotoError, PhotoStore, check_photo
from callmp.models import ContentState, Person

_BY_ID = re.compile(r"^([0-9]{1,9})\.(?:jpe?g|png)$", re.IGNORECASE)


@dataclass
class PhotoLoad:
    """What a folder gave: photos stored, files refused (and why), files matching nobody."""

    stored: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    without_photo: int = 0

    def summary(self) -> str:
        """One line for the command line."""
        if self.refused:
            return f"refused {len(self.refused)} file(s); nothing stored"
        return (
            f"stored {len(self.stored)} photo(s); {len(self.unmatched)} file(s) matched no "
            f"member; {self.without_photo} sitting member(s) still without a photo"
        )


def _names(session: Session) -> tuple[dict[str, int], set[int], set[int]]:
    """Members' photo file names (folded) to person ids; all person ids; sitting ones."""
    by_name: dict[str, int] = {}
    ids: set[int] = set()
    sitting: set[int] = set()
    for person in session.scalars(select(Person).where(Person.ourcommons_person_id.is_not(None))):
        person_id = person.ourcommons_person_id
        if person_id is None:
            continue
        ids.add(person_id)
        if person.fed_num is not None:
            sitting.add(person_id)
        name = urlsplit(person.photo_url).path.rsplit("/", 1)[-1]
        if name:
            by_name[name.casefold()] = person_id
    return by_name, ids, sitting


def _owner(name: str, by_name: dict[str, int], ids: set[int]) -> int | None:
    """The person id a file name belongs to, if any."""
    found = by_name.get(name.casefold())
    if found is not None:
        return found
    match = _BY_ID.match(name)
    if match and int(match.group(1)) in ids:
        return int(match.group(1))
    return None


def _read(path: Path) -> bytes:
    """At most one byte more than a photo may have (the check then says it is too big)."""
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1)


def load_photo_folder(session: Session, store: PhotoStore, folder: Path) -> PhotoLoad:
    """Check every member's photo in ``folder`` and store them all, or none if any fails;
    a new content revision then (the caller commits)."""
    by_name, ids, sitting = _names(session)
    result = PhotoLoad()
    checked: dict[int, tuple[str, bytes]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        person_id = _owner(path.name, by_name, ids)
        if person_id is None:
            result.unmatched.append(path.name)
            continue
        if person_id in checked:
            other = checked[person_id][0]
            result.refused.append(
                (path.name, f"{other} is a photo of the same member ({person_id})")
            )
            continue
        data = _read(path)
        try:
            check_photo(data)
        except PhotoError as error:
            result.refused.append((path.name, str(error)))
            continue
        checked[person_id] = (path.name, data)
    if result.refused:
        return result
    for person_id, (name, data) in sorted(checked.items()):
        store.store(person_id, data)
        result.stored.append((person_id, name))
    if result.stored:
        # Pages and API answers are kept per content revision: a new one shows the photos.
        session.execute(update(ContentState).values(revision=ContentState.revision + 1))
    result.without_photo = sum(1 for pid in sitting if store.photo(pid) is None)
    return result

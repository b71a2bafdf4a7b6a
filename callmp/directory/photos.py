"""MPs' photos kept in a local folder and served by the app itself.

Pages then load nothing from other sites: the House of Commons' photo URLs stay in the
data (``Person.photo_url``) only to match downloaded or saved files to members. A photo
is stored as ``{House person id}.jpg`` or ``.png`` after a check that it really is a JPEG
or PNG image of a sane size. :class:`PhotoStore` keeps, per process, which ids have a
photo, so the riding page does not touch the disk for each member it shows.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from callmp.i18n import N_

#: House of Commons portraits are 20 to 80 KB; anything this large is not one of them.
MAX_BYTES = 2_000_000
#: Sides in pixels: smaller is an icon or a tracking pixel, larger is not a portrait.
MIN_SIDE = 32
MAX_SIDE = 4000
#: The file types served, by Pillow's format name: (extension, media type).
TYPES = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
MEDIA_TYPES = dict(TYPES.values())
#: Magic bytes of the two types, checked before any decoder sees the data.
_MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
_STORED = re.compile(r"^([0-9]{1,9})\.(jpg|png)$")
#: How often another process's new photos are looked for (one stat of the folder).
RECHECK_SECONDS = 10.0


class PhotoError(ValueError):
    """Data that is not a photo we serve; ``message`` says why (a msgid)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Photo:
    """A checked image: its extension, media type and size in pixels."""

    extension: str
    media_type: str
    width: int
    height: int


def check_photo(data: bytes) -> Photo:
    """The checked JPEG or PNG image in ``data``, or PhotoError saying what is wrong."""
    if not data:
        raise PhotoError(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise PhotoError(
            N_("The file is %(size)s bytes; a photo may have at most %(max)s."),
            size=len(data),
            max=MAX_BYTES,
        )
    kind = next((k for magic, k in _MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise PhotoError(N_("The file is not a JPEG or PNG image."))
    width, height = _decoded_size(data, kind)
    if not _sane(width, height):
        raise PhotoError(
            N_(
                "The image is %(width)s × %(height)s pixels; a photo has sides of "
                "%(min)s to %(max)s pixels."
            ),
            width=width,
            height=height,
            min=MIN_SIDE,
            max=MAX_SIDE,
        )
    extension, media_type = TYPES[kind]
    return Photo(extension, media_type, width, height)


def _decoded_size(data: bytes, kind: str) -> tuple[int, int]:
    """Width and height of an image Pillow decodes to its end, or PhotoError."""
    try:
        # A bomb (a few KB claiming gigapixels) is refused, never a warning to ignore.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                # Decode it all (a truncated file fails here), unless the header alone
                # already rules it out: then its size is the message.
                if _sane(width, height):
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PhotoError(N_("The image claims far more pixels than a photo has.")) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise PhotoError(N_("The file is damaged or not a real image.")) from error
    return width, height


def _sane(width: int, height: int) -> bool:
    """A portrait's size: neither an icon nor a poster."""
    return min(width, height) >= MIN_SIDE and max(width, height) <= MAX_SIDE


def stored_name(person_id: int, extension: str) -> str:
    """The file name of a member's photo in the photo folder."""
    return f"{person_id}.{extension}"


def store_photo(photo_dir: Path, person_id: int, data: bytes) -> Path:
    """Check ``data`` and store it as the photo of House person ``person_id``; its path.

    The file appears whole or not at all (written beside it, then renamed), and a photo
    of the other type stored before is removed.
    """
    photo = check_photo(data)
    photo_dir.mkdir(parents=True, exist_ok=True)
    target = photo_dir / stored_name(person_id, photo.extension)
    handle, temporary = tempfile.mkstemp(dir=photo_dir, prefix=".incoming-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for extension, _media in TYPES.values():
        if extension != photo.extension:
            (photo_dir / stored_name(person_id, extension)).unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo: its file name and a version that changes when the file does."""

    name: str
    version: str

    @property
    def media_type(self) -> str:
        """The photo's media type, from its extension."""
        return MEDIA_TYPES[self.name.rsplit(".", 1)[1]]


class PhotoStore:
    """Which members have a photo in ``photo_dir``, kept per process.

    The folder is listed again only when its modification time changed, and that is
    looked at no more than every ``RECHECK_SECONDS`` (photos stored by another process,
    such as ``flask data photos``, show up then); photos stored through this object show
    up at once.
    """

    def __init__(self, photo_dir: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.photo_dir = photo_dir
        self._clock = clock
        self._lock = threading.Lock()
        self._photos: dict[int, StoredPhoto] = {}
        self._folder_mtime: int | None = None
        self._checked_at: float | None = None

    def photo(self, person_id: int | None) -> StoredPhoto | None:
        """The stored photo of House person ``person_id``, if there is one."""
        if person_id is None:
            return None
        now = self._clock()
        if self._checked_at is None or now - self._checked_at >= RECHECK_SECONDS:
            with self._lock:
                self._checked_at = now
                self._reload()
        return self._photos.get(person_id)

    def store(self, person_id: int, data: bytes) -> Path:
        """Check and store a photo (see ``store_photo``); it is served from now on."""
        path = store_photo(self.photo_dir, person_id, data)
        with self._lock:
            self._folder_mtime = None
            self._reload()
        return path

    def _reload(self) -> None:
        """List the folder again when it changed since the last listing."""
        try:
            mtime = self.photo_dir.stat().st_mtime_ns
        except FileNotFoundError:
            self._photos, self._folder_mtime = {}, None
            return
        if mtime == self._folder_mtime:
            return
        found: dict[int, StoredPhoto] = {}
        for entry in os.scandir(self.photo_dir):
            match = _STORED.match(entry.name)
            if match and entry.is_file():
                version = format(entry.stat().st_mtime_ns, "x")
                found[int(match.group(1))] = StoredPhoto(entry.name, version)
        self._photos, self._folder_mtime = found, mtime

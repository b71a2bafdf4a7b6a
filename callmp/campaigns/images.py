"""Images a lead uploads for a campaign: its logo, its header and its share image.

Domain code: no Flask. Each is checked like MPs' photos (``directory.photos``: a real
JPEG or PNG decoded by Pillow, size limits) and kept in ``campaign_images`` under a key
made of its content's hash, its size and its type (``<sha256>-<w>x<h>.<ext>``): the
campaign's fields and versions hold only keys, and pages read the size from the key.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.db import insert_once
from callmp.directory.photos import check_photo
from callmp.i18n import N_
from callmp.models import CampaignImage

#: The campaign fields that hold an image key, with their labels (msgids).
IMAGE_FIELDS = {
    "logo_image": N_("Logo"),
    "header_image": N_("Header image"),
    "share_image": N_("Share image"),
}
KEY = re.compile(r"([0-9a-f]{40})-([0-9]{1,4})x([0-9]{1,4})\.(png|jpg)")
UNKNOWN_IMAGE = N_("This image is not one of this site's. Please upload it again.")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class StoredImage:
    """What a key says: its file type and size in pixels."""

    key: str
    extension: str
    width: int
    height: int


def parse_key(key: str) -> StoredImage | None:
    """The image a well-formed key names, or None."""
    found = KEY.fullmatch(key)
    if found is None:
        return None
    return StoredImage(key, found.group(4), int(found.group(2)), int(found.group(3)))


def store(session: Session, data: bytes) -> str:
    """Check ``data`` (PhotoError says what is wrong) and keep it; its key."""
    checked = check_photo(data)
    digest = hashlib.sha256(data).hexdigest()[:40]
    key = f"{digest}-{checked.width}x{checked.height}.{checked.extension}"
    # The same file uploaded twice is one row.
    insert_once(
        session, CampaignImage, {"key": key, "media_type": checked.media_type, "data": data}
    )
    return key


def exists(session: Session, key: str) -> bool:
    """Whether an image with this key is kept."""
    return session.scalar(select(CampaignImage.key).where(CampaignImage.key == key)) is not None


def load(session: Session, key: str) -> CampaignImage | None:
    """The kept image of this key, or None."""
    return session.get(CampaignImage, key) if parse_key(key) else None

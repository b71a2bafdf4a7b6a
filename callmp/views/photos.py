"""MPs' photos served from the app's own photo folder (``PHOTO_DIR``), never from elsewhere."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory, url_for
from werkzeug.wrappers import Response

from callmp.directory.photos import PhotoStore
from callmp.models import Person

bp = Blueprint("photos", __name__)

#: A photo's URL carries its version, so a browser may keep it for a year.
MAX_AGE_SECONDS = 365 * 24 * 3600
_KEY = "callmp_photos"


def init_photos(app: Flask) -> None:
    """The per-process photo store, the photo route and ``member_photo`` in templates."""
    app.extensions[_KEY] = PhotoStore(Path(app.config["PHOTO_DIR"]))
    app.register_blueprint(bp)
    app.add_template_global(member_photo)


def photo_store(app: Flask | None = None) -> PhotoStore:
    """The app's photo store."""
    store: PhotoStore = (app or current_app).extensions[_KEY]
    return store


def member_photo(person: Person | None, external: bool = False) -> str | None:
    """The URL of the member's stored photo, or None when the app has none."""
    if person is None:
        return None
    stored = photo_store().photo(person.ourcommons_person_id)
    if stored is None:
        return None
    person_id, extension = stored.name.split(".")
    return url_for(
        "photos.photo",
        person_id=int(person_id),
        ext=extension,
        v=stored.version,
        _external=external,
    )


@bp.get("/photos/<int:person_id>.<any(jpg, png):ext>")
def photo(person_id: int, ext: str) -> Response:
    """A member's photo with its media type, cached for long (404 when there is none)."""
    stored = photo_store().photo(person_id)
    if stored is None or not stored.name.endswith(f".{ext}"):
        # An image was asked for: a short text answer, not an HTML error page.
        return Response("no such photo\n", status=404, mimetype="text/plain")
    response = send_from_directory(
        photo_store().photo_dir,
        stored.name,
        mimetype=stored.media_type,
        max_age=MAX_AGE_SECONDS,
        conditional=True,
        etag=True,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response

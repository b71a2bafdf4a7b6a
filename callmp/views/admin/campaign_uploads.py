"""The images uploaded with the campaign form: checked, kept, and their keys put in it."""

from __future__ import annotations

from flask import request

from callmp.campaigns import images
from callmp.campaigns.fields import CampaignInvalid, FieldError
from callmp.directory.photos import MAX_BYTES, PhotoError
from callmp.views.admin.campaign_forms import CampaignForm
from callmp.views.context import db


def take_uploads(form: CampaignForm) -> None:
    """Keep each uploaded image and put its key in ``form`` (a ticked "remove" empties it).

    Raises CampaignInvalid naming each refused file, next to its upload field.
    """
    errors = []
    kept: dict[str, str] = {}
    for name in images.IMAGE_FIELDS:
        kept[name] = form[name].data or ""
        if form[f"{name}_remove"].data:
            form[name].data = ""
        upload = request.files.get(f"{name}_upload")
        if upload is None or not upload.filename:
            continue
        try:
            form[name].data = images.store(db(), upload.stream.read(MAX_BYTES + 1))
        except PhotoError as error:
            params = {key: str(value) for key, value in error.params.items()}
            errors.append(FieldError(f"{name}_upload", error.message, params))
    if errors:
        # The refused form is rolled back, new images too: show the images it had before.
        for name, key in kept.items():
            form[name].data = key
        raise CampaignInvalid(errors)

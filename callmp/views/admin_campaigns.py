"""Campaign leads create, edit, preview, publish and archive campaigns (organizers look)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from werkzeug.wrappers import Response

from callmp.auth import role_required
from callmp.models import Role

bp = Blueprint("admin_campaigns", __name__, url_prefix="/admin")


@bp.get("")
@role_required(Role.organizer)
def index() -> Response:
    """Placeholder until the campaign list lands."""
    return redirect(url_for("admin_users.index"))

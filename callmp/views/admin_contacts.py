"""Campaign leads correct MPs' office phones, emails and hours."""

from __future__ import annotations

from flask import Blueprint

from callmp.auth import role_required
from callmp.models import Role

bp = Blueprint("admin_contacts", __name__, url_prefix="/admin/contacts")


@bp.get("")
@role_required(Role.lead)
def index() -> str:
    """Placeholder until the contact screens land."""
    return ""

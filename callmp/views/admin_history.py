"""Versions of a campaign (differences, restore) and the audit log."""

from __future__ import annotations

from flask import Blueprint

from callmp.auth import role_required
from callmp.models import Role

bp = Blueprint("admin_history", __name__, url_prefix="/admin")


@bp.get("/audit")
@role_required(Role.lead)
def audit() -> str:
    """Placeholder until the audit log lands."""
    return ""

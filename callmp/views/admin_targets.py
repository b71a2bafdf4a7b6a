"""Campaign leads choose a campaign's targets: own MP with filters and fallback, people."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_targets", __name__, url_prefix="/admin")

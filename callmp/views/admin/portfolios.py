"""Staff see the ministers' portfolios: who holds each now, since when, from which source,
and the ministerial office each one is reached at (with its own source and date)."""

from __future__ import annotations

from flask import Blueprint, render_template

from callmp.campaigns import target_editing
from callmp.models import Role
from callmp.views.context import db
from callmp.views.security import role_required

bp = Blueprint("admin_portfolios", __name__, url_prefix="/admin/portfolios")


@bp.get("")
@role_required(Role.organizer)
def index() -> str:
    """Every portfolio with its holder and office contact, and where each came from."""
    return render_template(
        "admin/portfolios/index.html", portfolios=target_editing.portfolio_choices(db())
    )

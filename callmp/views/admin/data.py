"""How old the MP and office data is: a line on staff pages, leads' warning, the data page."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template

from callmp.db import utcnow
from callmp.directory import freshness
from callmp.directory.freshness import DataOverview
from callmp.models import Role
from callmp.views.context import db
from callmp.views.security import role_required

bp = Blueprint("admin_data", __name__, url_prefix="/admin/data")

#: Loads listed on the data page.
RELEASES_SHOWN = 20


def _max_age() -> int:
    """``DATA_MAX_AGE_DAYS`` (checked at startup)."""
    return freshness.max_age_days(current_app.config["DATA_MAX_AGE_DAYS"])


def data_overview() -> DataOverview:
    """The data's freshness for this request's staff page (read once per request)."""
    if "data_overview" not in g:
        g.data_overview = freshness.overview(db(), utcnow().date(), _max_age())
    found: DataOverview = g.data_overview
    return found


@bp.get("")
@role_required(Role.lead)
def index() -> str:
    """The data's date and source, the latest loads and the last scheduled check."""
    found = freshness.overview(db(), utcnow().date(), _max_age(), releases=RELEASES_SHOWN)
    return render_template(
        "admin/data.html",
        data=found,
        schedule=current_app.config["DATA_REFRESH_CHECK"],
    )

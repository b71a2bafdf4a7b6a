"""Organizers' petition pages: how many constituents of each MP signed, and CSV files.

The petition's section of the campaign dashboard is drawn by ``admin_stats.show``; these
pages add the table per MP and vacant riding (sortable by any column without JavaScript)
and its downloads. Counts and public officials only: nothing about any signer.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request

from callmp.db import utcnow
from callmp.models import Role
from callmp.petitions import counts, tables
from callmp.stats import dashboard
from callmp.views import presenters
from callmp.views.admin import petition_presenters as present
from callmp.views.context import campaign_or_404, db
from callmp.views.security import role_required
from callmp.views.times import staff_zone

bp = Blueprint("admin_petition_counts", __name__, url_prefix="/admin")


def _order() -> tuple[str, bool, bool]:
    """(sort key, descending, valid) from ``?sort=`` and ``?dir=`` (default: most first)."""
    key = request.args.get("sort", tables.SORTS[0])
    direction = request.args.get("dir", "desc")
    if key not in tables.SORTS or direction not in ("asc", "desc"):
        return tables.SORTS[0], True, False
    return key, direction == "desc", True


def _zone() -> ZoneInfo:
    """``?tz=`` when it is one the dashboard offers, else the account's zone; 400 else."""
    asked = request.args.get("tz")
    if asked is None:
        zone = str(staff_zone())
        if zone not in dashboard.TIME_ZONES:
            zone = str(current_app.config["DASHBOARD_TIME_ZONE"])
        return ZoneInfo(zone)
    if asked not in dashboard.TIME_ZONES:
        abort(400)
    return ZoneInfo(asked)


def _csv(name: str, body: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/campaigns/<int:campaign_id>/petition/constituents")
@role_required(Role.organizer)
def constituents(campaign_id: int) -> tuple[str, int]:
    """How many constituents of each MP (and of each vacant riding) signed."""
    campaign = campaign_or_404(campaign_id)
    key, descending, valid = _order()
    locale = presenters.locale_code()
    rows = tables.sorted_constituents(db(), campaign.id, key, descending=descending, locale=locale)
    page = render_template(
        "admin/stats/petition_constituents.html",
        campaign=campaign,
        rows=rows,
        total=sum(r.signatures for r in rows),
        sort=key,
        descending=descending,
        sort_error=not valid,
        present=present,
        locale=locale,
        now=utcnow(),
    )
    # A bad order shows the table in its usual order, and says so.
    return page, 200 if valid else 400


@bp.get("/campaigns/<int:campaign_id>/petition/constituents.csv")
@role_required(Role.organizer)
def constituents_csv(campaign_id: int) -> Response:
    """The table as CSV, in the order the page was sorted."""
    campaign = campaign_or_404(campaign_id)
    key, descending, valid = _order()
    if not valid:
        abort(400)
    rows = tables.sorted_constituents(
        db(), campaign.id, key, descending=descending, locale=presenters.locale_code()
    )
    day = utcnow().astimezone(_zone()).date().isoformat()
    body = "".join(tables.constituents_csv(rows))
    return _csv(f"{campaign.slug}-petition-constituents-{day}.csv", body)


@bp.get("/campaigns/<int:campaign_id>/petition/days.csv")
@role_required(Role.organizer)
def days_csv(campaign_id: int) -> Response:
    """Signatures per local day as CSV (``?tz=`` as on the dashboard)."""
    campaign = campaign_or_404(campaign_id)
    zone = _zone()
    now = utcnow()
    days = counts.by_day(db(), campaign.id, zone, now)
    day = now.astimezone(zone).date().isoformat()
    return _csv(f"{campaign.slug}-petition-days-{day}.csv", "".join(tables.days_csv(days)))

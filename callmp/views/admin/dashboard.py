"""Organizers' dashboard of a campaign, and its CSV exports (organizer role and up)."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from callmp import accounts
from callmp.db import utcnow
from callmp.models import Role
from callmp.stats import dashboard, exports, totals
from callmp.views import presenters
from callmp.views.admin import dashboard_presenters as present
from callmp.views.admin import petition_presenters
from callmp.views.admin.account_forms import ZoneForm, zone_label
from callmp.views.admin.dashboard_forms import DashboardForm
from callmp.views.context import campaign_or_404, db
from callmp.views.security import role_required, staff
from callmp.views.times import staff_zone

bp = Blueprint("admin_stats", __name__, url_prefix="/admin")


def _form() -> DashboardForm:
    """The filter form from the query string, its zone defaulting to the account's own."""
    zone = str(staff_zone())
    if zone not in dashboard.TIME_ZONES:
        zone = "America/Toronto"
    return DashboardForm(request.args, tz=zone)


def _zone(form: DashboardForm) -> ZoneInfo:
    """The form's time zone (or the default when the one asked for is not offered)."""
    if form.tz.errors:
        return ZoneInfo(str(current_app.config["DASHBOARD_TIME_ZONE"]))
    return ZoneInfo(form.tz.data)


@bp.get("/campaigns/<int:campaign_id>/dashboard")
@role_required(Role.organizer)
def show(campaign_id: int) -> tuple[str, int]:
    """Totals, charts over time, and the office, target and referral tables."""
    campaign = campaign_or_404(campaign_id)
    form = _form()
    # ``?tz=`` shows another zone for this view only: the account's own zone changes
    # only by a POST (below, or on the account page), never by opening a link.
    valid = form.validate()
    filters = form.filters() if valid else dashboard.Filters()
    board = dashboard.build(db(), campaign, _zone(form), filters, utcnow())
    form.set_parties(board.parties)
    page = render_template(
        "admin/stats/dashboard.html",
        campaign=campaign,
        board=board,
        form=form,
        present=present,
        petition_present=petition_presenters,
        columns=present.table_columns(),
        sort_url=present.sort_url,
        locale=presenters.locale_code(),
        zone_form=ZoneForm(zone=form.tz.data),
        account_zone=str(staff_zone()),
    )
    return page, 200 if valid else 400


@bp.post("/campaigns/<int:campaign_id>/dashboard/time-zone")
@role_required(Role.organizer)
def save_zone(campaign_id: int) -> WerkzeugResponse:
    """Make the zone the dashboard shows the account's own, then show the dashboard."""
    campaign = campaign_or_404(campaign_id)
    form = ZoneForm()
    if not form.validate():
        abort(400)  # only the offered zones, with the form's CSRF token
    if accounts.set_time_zone(db(), staff(), form.zone.data):
        db().commit()
    flash(gettext("Times are now shown in %(zone)s.", zone=zone_label(form.zone.data)), "info")
    return redirect(url_for("admin_stats.show", campaign_id=campaign.id), 303)


def _csv(name: str, content: str | Iterator[str]) -> Response:
    """A CSV download called ``name`` (streamed when ``content`` is an iterator)."""
    body = content if isinstance(content, str) else stream_with_context(content)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/campaigns/<int:campaign_id>/dashboard/offices.csv")
@role_required(Role.organizer)
def offices_csv(campaign_id: int) -> Response:
    """The per-office table (filtered and sorted as on the page) as CSV."""
    campaign = campaign_or_404(campaign_id)
    form = _form()
    if not form.validate():
        abort(400)
    shown = dashboard.office_table(totals.office_rows(db(), campaign.id), form.filters())
    locale = presenters.locale_code()
    day = utcnow().astimezone(_zone(form)).date().isoformat()
    # A few thousand lines at most: sent whole, unlike the events.
    body = "".join(exports.offices_csv(shown, locale))
    return _csv(f"{campaign.slug}-offices-{day}.csv", body)


@bp.get("/campaigns/<int:campaign_id>/dashboard/events.csv")
@role_required(Role.organizer)
def events_csv(campaign_id: int) -> Response:
    """Every contact event of the campaign as CSV (no personal data), streamed."""
    campaign = campaign_or_404(campaign_id)
    form = _form()
    form.validate()
    zone = _zone(form)
    locale = presenters.locale_code()
    day = utcnow().astimezone(zone).date().isoformat()

    def lines() -> Iterator[str]:
        # Nothing touches the database until the download is read, inside its context.
        yield from exports.events_csv(db(), campaign.id, zone, locale)

    return _csv(f"{campaign.slug}-events-{day}.csv", lines())

"""The organization's list of opted-in supporters as CSV (admins only, each export audited)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from callmp import audit
from callmp.db import utcnow
from callmp.i18n import N_
from callmp.models import Role
from callmp.supporters import list_export
from callmp.views import presenters
from callmp.views.context import campaign_or_404, db
from callmp.views.security import role_required, staff

bp = Blueprint("admin_supporters", __name__, url_prefix="/admin")


@bp.get("/campaigns/<int:campaign_id>/supporters.csv")
@role_required(Role.admin)
def supporters_csv(campaign_id: int) -> Response:
    """Every standing consent of the campaign, with its proof, actions and unsubscribe link."""
    campaign = campaign_or_404(campaign_id)
    if request.method == "HEAD":
        # A HEAD changes nothing: no list read, no audit entry.
        return Response(b"", mimetype="text/csv")
    public_url = str(current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000")
    body, count = list_export.supporters_csv(db(), campaign, public_url, presenters.locale_code())
    audit.record(
        db(),
        staff(),
        "supporters.export",
        audit.Summary(N_("Exported %(count)s opted-in supporters."), {"count": count}),
        campaign=campaign,
    )
    db().commit()
    day = utcnow().date().isoformat()
    response = Response(body, mimetype="text/csv")
    name = f"{campaign.slug}-supporters-{day}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

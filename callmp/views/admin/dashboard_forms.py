"""The dashboard's filter form (a GET form: it changes nothing, so it needs no CSRF token)."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from wtforms import Form, SelectChoice, SelectField
from wtforms.validators import Length

from callmp.campaigns.people_editing import PROVINCES
from callmp.stats import dashboard
from callmp.views.admin.account_forms import ZONE_LABELS
from callmp.views.presenters import party_name


class DashboardForm(Form):  # type: ignore[misc]
    """Time zone, province and party filters, and the office table's order."""

    tz = SelectField(
        lazy_gettext("Times in"),
        choices=[SelectChoice(z, ZONE_LABELS[z]) for z in dashboard.TIME_ZONES],
    )
    province = SelectField(
        lazy_gettext("Province or territory"),
        choices=[SelectChoice("", lazy_gettext("All")), *[SelectChoice(p, p) for p in PROVINCES]],
        default="",
    )
    party = SelectField(
        lazy_gettext("Party"),
        choices=[SelectChoice("", lazy_gettext("All"))],
        default="",
        validate_choice=False,  # any party name filters; an unknown one shows no rows
        validators=[Length(max=60)],
    )
    sort = SelectField(choices=sorted(dashboard.SORTS), default="reached")
    dir = SelectField(choices=["desc", "asc"], default="desc")

    def filters(self) -> dashboard.Filters:
        """The filters asked for (call after ``validate``)."""
        return dashboard.Filters(
            province=self.province.data or "",
            party=self.party.data or "",
            sort=self.sort.data or "reached",
            descending=self.dir.data != "asc",
        )

    def set_parties(self, parties: list[str]) -> None:
        """Offer the parties found among the rows (and keep the asked one listed)."""
        wanted = self.party.data or ""
        names = sorted({*parties, wanted} - {""})
        self.party.choices = [
            SelectChoice("", gettext("All")),
            *[SelectChoice(name, party_name(name)) for name in names],
        ]

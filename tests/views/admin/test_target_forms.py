"""The lists of people on the target editor: the quick option writer writes WTForms'
own options."""

from __future__ import annotations

import pytest
from wtforms import Form, SelectChoice, SelectField
from wtforms.widgets import Select

from callmp.views.admin.target_forms import PeopleSelect

CHOICES = [
    SelectChoice("", 'Nobody <say> "vacant"'),
    SelectChoice("338", "Office of the Minister", optgroup="Other people"),
    SelectChoice("63", "Mario Beaulieu · La Pointe-de-l'Île (24031)", optgroup="MPs"),
    SelectChoice("12", "Chris d'Entremont & co", optgroup="MPs"),
    SelectChoice("7", "", optgroup="MPs"),  # no label: the value is shown
    SelectChoice("9", "Styled", render_kw={"class": "x"}, optgroup="MPs"),
]


class Both(Form):  # type: ignore[misc]
    wtforms = SelectField(choices=CHOICES, widget=Select(), validate_choice=False)
    quick = SelectField(choices=CHOICES, widget=PeopleSelect(), validate_choice=False)


@pytest.mark.parametrize("chosen", [None, "", "63", "12", "9", "404"])
def test_the_people_select_writes_the_same_html_as_wtforms(chosen: str | None) -> None:
    form = Both(data={"wtforms": chosen, "quick": chosen})
    assert str(form.quick()).replace("quick", "wtforms") == str(form.wtforms())
    assert "Nobody &lt;say&gt; &#34;vacant&#34;" in str(form.quick())

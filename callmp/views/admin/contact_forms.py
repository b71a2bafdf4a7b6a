"""WTForms classes for the contact-data screens (search, one correction, undo)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SearchField, StringField

from callmp.directory.corrections import NOTE_MAX, VALUE_MAX


class SearchForm(FlaskForm):  # type: ignore[misc]
    """Find an MP by name, riding name or riding number (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(
        lazy_gettext("MP's name, riding or riding number"), render_kw={"maxlength": "100"}
    )


class CorrectionForm(FlaskForm):  # type: ignore[misc]
    """A new value for one field (email, or an office's phone or hours) and a note.

    Each form on the page has its own prefix and a plain ``target`` input saying which
    field it corrects, e.g. ``email``, ``phone:12`` or ``hours:12`` (12: the office's id).
    The page's CSRF token is checked for every staff POST (``callmp.views.security``).
    """

    class Meta:
        csrf = False

    value = StringField(lazy_gettext("Corrected value"), render_kw={"maxlength": str(VALUE_MAX)})
    note = StringField(
        lazy_gettext("Note (optional), e.g. “called the office on 12 Nov”"),
        render_kw={"maxlength": str(NOTE_MAX)},
    )


#: Labels of the value field for each kind of correction.
VALUE_LABELS = {
    "email": lazy_gettext("Corrected email address"),
    "phone": lazy_gettext("Corrected phone number (with its extension, if any)"),
    "hours": lazy_gettext("Corrected opening hours"),
}

#: Hints under the value field.
VALUE_HINTS = {
    "email": lazy_gettext("Checked for form only; nothing is sent to it."),
    "phone": lazy_gettext("As written by the office, e.g. 613-992-4133 or 613-992-4133 ext. 210."),
    "hours": lazy_gettext(
        "Days and 24-hour times, e.g. “Mon-Thu 09:00-17:00; Fri 09:00-12:00”. "
        "French days (lun, mar …) and 9h or 9 h 30 are fine too."
    ),
}


def correction_form(target: str, formdata: object | None = None) -> CorrectionForm:
    """The form for ``target`` with its own prefix; filled from ``formdata`` when posted."""
    form = CorrectionForm(formdata=formdata, prefix=target.replace(":", "-"))
    field = target.split(":", 1)[0]
    form.value.label.text = VALUE_LABELS.get(field, form.value.label.text)
    return form

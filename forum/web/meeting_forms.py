"""Forms for meetings. They carry the fields and the CSRF token; the service checks meaning."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.meetings.plan import ACCESSIBILITY, FORMATS, LANGUAGES, WEEKDAY_NAMES

_ZONES: list[str] = []


def zone_names() -> list[str]:
    """Every IANA zone the system knows, sorted (computed once)."""
    if not _ZONES:
        _ZONES.extend(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))
    return _ZONES


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of labelled checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeetingForm(FlaskForm):
    """Schedule or edit a meeting."""

    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    start_date = StringField(_l("First date"))
    start_time = StringField(_l("Local start time"))
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)
    duration = StringField(_l("Duration in minutes"), default="60")
    recurrence = RadioField(
        _l("Repeats"),
        choices=[SelectChoice("weekly", _l("Every week")), SelectChoice("once", _l("Only once"))],
        default="weekly", validate_choice=False,
    )
    weekdays = CheckboxesField(_l("On"), choices=[], validate_choice=False)
    format = SelectField(_l("Format"), choices=[], validate_choice=False)
    language = SelectField(_l("Language"), choices=[], validate_choice=False)
    accessibility = CheckboxesField(_l("Accessibility"), choices=[], validate_choice=False)
    capacity = StringField(_l("Capacity (people)"), default="20")
    cohost = StringField(_l("Co-host (optional)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(z, z) for z in zone_names()]
        self.weekdays.choices = _choices(WEEKDAY_NAMES)
        self.format.choices = _choices(FORMATS)
        self.language.choices = _choices(LANGUAGES)
        self.accessibility.choices = _choices(ACCESSIBILITY)

    def values(self) -> dict:
        """The submitted values, as the meetings service reads them."""
        return {name: getattr(self, name).data for name in (
            "title", "description", "start_date", "start_time", "timezone", "duration",
            "recurrence", "weekdays", "format", "language", "accessibility", "capacity",
            "cohost")}


class CancelMeetingForm(FlaskForm):
    """Cancel a meeting, with an optional reason for the audit log."""

    reason = StringField(_l("Reason (optional, kept in the moderators' log)"))

"""Forms for boards, threads and posts. Meaning is checked in the services; these check shape."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..services.threads.posts import BODY_MAX, CONTENT_NOTES, TITLE_MAX


def _note_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("No content note"))] + [
        SelectChoice(k, v) for k, v in CONTENT_NOTES.items()
    ]


class _PostFields(FlaskForm):
    body = TextAreaField(_l("Your post"), validators=[Length(max=BODY_MAX + 1000)])
    anonymous = BooleanField(_l('Post as "Anonymous member"'))
    content_warning = SelectField(_l("Content note"), choices=[], validate_choice=False)
    # Set by the "post anyway" button after a nudge: the member chose to go into review.
    confirm_hold = HiddenField(default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.content_warning.choices = _note_choices()


class NewThreadForm(_PostFields):
    """Start a thread: title, body, anonymous, content note."""

    title = StringField(_l("Title"), validators=[Length(max=TITLE_MAX + 50)])


class ReplyForm(_PostFields):
    """Reply to a thread."""

    quote_of = HiddenField(default="")


class EditPostForm(_PostFields):
    """Edit one's own post (and the title when it opens the thread)."""

    title = StringField(_l("Title"), validators=[Length(max=TITLE_MAX + 50)])


class ReportForm(FlaskForm):
    """Report a post with a reason."""

    reason = TextAreaField(_l("What is wrong with this post?"),
                           validators=[InputRequired(), Length(max=2000)])


class ReactForm(FlaskForm):
    """One supportive reaction."""

    kind = StringField(validators=[InputRequired(), Length(max=16)])


class BoardForm(FlaskForm):
    """Admins create or edit a board."""

    slug = StringField(_l("Address (slug)"), validators=[InputRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    position = IntegerField(_l("Order"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=10_000)])
    content_note = StringField(_l("Board-wide content note (optional)"),
                               validators=[Length(max=200)])


class MilestoneForm(FlaskForm):
    """A recovery start date, whether to show days, and whether this is a fresh start."""

    recovery_start = DateField(_l("Recovery start date"), validators=[Optional()])
    show_days = BooleanField(_l("Show my days on my posts"))
    came_back = BooleanField(_l("This is a fresh start after a relapse (your history is kept)"))

"""Forms for the review queue and the moderation team's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class DecisionForm(FlaskForm):
    """One decision with its kept reason; edited text for edit-and-approve."""

    decision = SelectField(_l("Decision"), choices=[
        SelectChoice("edit", _l(
            "Edit and approve (e.g. take out method details or a phone number)")),
        SelectChoice("approve", _l("Approve")),
        SelectChoice("remove", _l("Remove (the author is told why and may edit and resubmit)")),
        SelectChoice("escalate", _l("Escalate to a supervisor")),
        SelectChoice("dismiss", _l("Dismiss the report")),
    ], validators=[InputRequired()])
    reason = TextAreaField(_l("Reason (kept, and shown to the author for removals and edits)"),
                           validators=[InputRequired(), Length(max=2000)])
    new_text = TextAreaField(_l("Edited text (for edit and approve)"),
                             validators=[Optional(), Length(max=20000)])
    whole_disclosure = BooleanField(
        _l("The whole post must go, not only method details (risk items)"))
    # Whether an answer is required depends on the item: the service decides.
    followup_needed = RadioField(_l("Did this need follow-up?"), choices=[
        SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))], validators=[Optional()])

    def followup_answer(self) -> bool | None:
        """The radio's answer as the service takes it: True, False or not given."""
        return {"yes": True, "no": False}.get(self.followup_needed.data)


class FollowupForm(FlaskForm):
    """The outcome of reaching out about a risk item."""

    outcome = SelectField(_l("Follow-up outcome"), choices=[], validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class MessageForm(FlaskForm):
    """A private message between a member and the moderation team."""

    body = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=5000)])


class SanctionForm(FlaskForm):
    """A strike with the reason the member will see."""

    kind = SelectField(_l("Sanction"), choices=[
        SelectChoice("warn", _l("Warn")), SelectChoice("mute", _l("Mute (no posting or chatting)")),
        SelectChoice("suspend", _l("Suspend (no login)"))], validators=[InputRequired()])
    days = IntegerField(_l("Days (mute or suspend)"),
                        validators=[Optional(), NumberRange(min=1, max=365)])
    reason = TextAreaField(_l("Reason the member will see"),
                           validators=[InputRequired(), Length(max=2000)])


class DutyForm(FlaskForm):
    """Go on or off duty."""

    on = HiddenField(validators=[InputRequired()])


class ShiftForm(FlaskForm):
    """An admin enters a shift (UTC)."""

    starts_at = DateTimeLocalField(_l("Starts (UTC)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired()])
    moderator = StringField(_l("Moderator pseudonym (optional)"),
                            validators=[Optional(), Length(max=64)])


class AppealForm(FlaskForm):
    """A member's one appeal."""

    text = TextAreaField(_l("Why should this strike go?"),
                         validators=[InputRequired(), Length(max=5000)])


class AppealDecisionForm(FlaskForm):
    """Uphold or overturn an appeal, with a reason."""

    outcome = SelectField(_l("Decision"), choices=[
        SelectChoice("uphold", _l("Uphold the strike")),
        SelectChoice("overturn", _l("Overturn the strike")),
    ], validators=[InputRequired()])
    reason = TextAreaField(_l("Reason the member will see"),
                           validators=[InputRequired(), Length(max=2000)])


class ResubmitForm(FlaskForm):
    """The author edits a removed post and sends it again."""

    body = TextAreaField(_l("Your post"), validators=[InputRequired(), Length(max=20000)])

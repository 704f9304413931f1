"""Forms for accounts. Validation of meaning lives in the services; these check shape."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import TextArea

from .meeting_forms import zone_names


class SignupForm(FlaskForm):
    """Pseudonym, password, and agreement to the guidelines: nothing else."""

    pseudonym = StringField(_l("Pseudonym"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])
    password_confirm = PasswordField(
        _l("Password again"), validators=[InputRequired(), Length(max=256)]
    )
    guidelines_version = HiddenField()
    # Times are shown in it; preselected from the browser (timezone.js), changeable later.
    timezone = SelectField(_l("Time zone"), choices=zone_names, default="UTC")
    agree = BooleanField(_l("I have read the community guidelines and agree to them."))


class LoginForm(FlaskForm):
    """Log in with pseudonym and password."""

    pseudonym = StringField(_l("Pseudonym"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class SecondFactorForm(FlaskForm):
    """A code from an authenticator app, or a backup code."""

    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=32)])


class RecoverForm(FlaskForm):
    """Reset a forgotten password with a recovery code."""

    pseudonym = StringField(_l("Pseudonym"), validators=[InputRequired(), Length(max=64)])
    code = StringField(_l("Recovery code"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=256)])
    password_confirm = PasswordField(
        _l("New password again"), validators=[InputRequired(), Length(max=256)]
    )


class ChangePasswordForm(FlaskForm):
    """Change the password, confirming the current one."""

    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=256)]
    )
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=256)])
    password_confirm = PasswordField(
        _l("New password again"), validators=[InputRequired(), Length(max=256)]
    )


class ChangePseudonymForm(FlaskForm):
    """Change the pseudonym, confirming with the password."""

    pseudonym = StringField(_l("New pseudonym"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])


class PasswordConfirmForm(FlaskForm):
    """Any action that only needs the password again."""

    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])


class PreferencesForm(FlaskForm):
    """Language, time zone and which notifications arrive."""

    locale = SelectField(_l("Language"), choices=[])
    timezone = SelectField(_l("Time zone"), choices=zone_names)
    support_notifications = BooleanField(_l("Tell me when members send support to my posts"))


class DeleteAccountForm(FlaskForm):
    """Delete the account: password and what happens to posts."""

    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])
    posts = RadioField(
        _l("Your posts"),
        choices=[
            SelectChoice("delete", _l("Delete my posts and messages")),
            SelectChoice("keep", _l('Keep my posts, shown as "deleted member"')),
        ],
        default="delete",
        validators=[InputRequired()],
    )
    confirm = BooleanField(_l("I understand this can't be undone."))


class MuteForm(FlaskForm):
    """Mute a member by pseudonym."""

    pseudonym = StringField(_l("Pseudonym to mute"), validators=[InputRequired(), Length(max=64)])


class UnmuteForm(FlaskForm):
    """Unmute a member by pseudonym (never by account id: see services.mutes.check_unmute)."""

    pseudonym = HiddenField(validators=[InputRequired(), Length(max=64)])


class EmptyForm(FlaskForm):
    """A CSRF-only form for buttons (log out, unmute, agree)."""


class GuidelinesForm(FlaskForm):
    """Admins edit the guidelines Markdown."""

    body = StringField(_l("Guidelines (Markdown)"), widget=TextArea(), validators=[InputRequired()])
    body_es = StringField(_l("The same guidelines in Spanish (Markdown; left empty, Spanish"
                             " readers see the English text with a note)"), widget=TextArea())

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, ValidationError

from lms.i18n import LANGUAGES
from lms.security import ROLES


def new_password(form, field):
    """The password rule of the accounts service (length, not a common password), shown at the field."""
    from lms.accounts.services import password_refusal
    refusal = password_refusal(field.data or "")
    if refusal:
        raise ValidationError(refusal)


def _lang_choices():
    return [(code, name) for code, name in LANGUAGES.items()]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=100)])
    name_latin = StringField(_l("Name in Latin script"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), new_password])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
    submit = SubmitField(_l("Create account"))


class ProfileForm(FlaskForm):
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=100)])
    name_latin = StringField(_l("Name in Latin script"), validators=[DataRequired(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    years_experience = IntegerField(_l("Years of technology-transfer experience"),
                                    validators=[Optional(), NumberRange(min=0, max=60)])
    locale = SelectField(_l("Preferred language"), choices=_lang_choices())
    submit = SubmitField(_l("Save profile"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), new_password])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
    submit = SubmitField(_l("Change password"))


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), new_password])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
    submit = SubmitField(_l("Set new password"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    submit = SubmitField(_l("Apply"))


class OrganisationForm(FlaskForm):
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save"))


class ActionForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
    submit = SubmitField(_l("Confirm"))

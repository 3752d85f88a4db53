from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, ValidationError

from lms.accounts import names
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


def _name_message(code: str, chars: str, chinese: bool) -> str:
    chars = chars.replace(" ", "\u2423")     # a refused space is shown as ␣
    if code == "markup":
        return _("A name cannot contain markup characters (%(chars)s).", chars=chars)
    if code == "emoji":
        return _("A name cannot contain emoji or symbols (%(chars)s).", chars=chars)
    if code == "control":
        return _("The name contains invisible control characters; type it again.")
    if code == "dots":
        return _("Put the middle dot (·) only between the parts of a name.")
    if code == "font":
        return _("The certificate's font cannot print %(chars)s. Use a form of the character that it can print.",
                 chars=chars)
    if chinese:
        return _("Use Chinese characters only, with a middle dot (·) between the parts of a transcribed name "
                 "(not allowed: %(chars)s).", chars=chars)
    if chars:
        return _("Use letters, spaces, hyphens and apostrophes only (not allowed: %(chars)s).", chars=chars)
    return _("The name needs at least one letter.")


def _check_zh(form, field) -> None:
    if problem := names.problem_zh(field.data or ""):
        raise ValidationError(_name_message(*problem, chinese=True))


def _check_latin(form, field) -> None:
    if problem := names.problem_latin(field.data or ""):
        raise ValidationError(_name_message(*problem, chinese=False))


def name_zh_field() -> StringField:
    return StringField(_l("Name in Chinese"), filters=[names.clean_zh],
                       validators=[Optional(), Length(max=100), _check_zh])


def name_latin_field() -> StringField:
    return StringField(_l("Name in Latin script"), filters=[names.clean_latin],
                       validators=[DataRequired(), Length(max=200), _check_latin])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name_zh = name_zh_field()
    name_latin = name_latin_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(), new_password])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
    submit = SubmitField(_l("Create account"))


class ProfileForm(FlaskForm):
    name_zh = name_zh_field()
    name_latin = name_latin_field()
    # shown as the person declares it; an administrator links the account to an organisation
    employer_name = StringField(_l("Employer"), filters=[lambda v: " ".join((v or "").split())],
                                validators=[Optional(), Length(max=200)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    years_experience = IntegerField(_l("Years of technology-transfer experience"),
                                    validators=[Optional(), NumberRange(min=0, max=60)])
    locale = SelectField(_l("Preferred language"), choices=_lang_choices())
    submit = SubmitField(_l("Save profile"))


class ConfirmRegistrationForm(FlaskForm):
    """The registration's link creates the account only with the password chosen at registration."""
    password = PasswordField(_l("The password you chose when you registered"),
                             validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Confirm and sign in"))


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


class NamesForm(FlaskForm):
    """An administrator corrects a person's names (as printed on certificates)."""
    name_zh = name_zh_field()
    name_latin = name_latin_field()
    submit = SubmitField(_l("Save names"))


class OrganisationForm(FlaskForm):
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save"))


class ActionForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
    submit = SubmitField(_l("Confirm"))

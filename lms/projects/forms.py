from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

SPONSOR_KIND_CHOICES = [("company", _l("Company")), ("university", _l("University")),
                        ("institute", _l("Research institute")), ("other", _l("Other organisation"))]


class RegisterProjectForm(FlaskForm):
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("What the project is about"), validators=[DataRequired(), Length(max=5000)])
    trainee_role = TextAreaField(_l("Your role in the project"), validators=[DataRequired(), Length(max=2000)])
    sponsor_org = StringField(_l("Sponsor organisation"), validators=[DataRequired(), Length(max=200)])
    sponsor_kind = SelectField(_l("Kind of organisation"), choices=SPONSOR_KIND_CHOICES)
    sponsor_name = StringField(_l("Sponsor contact's name"), validators=[DataRequired(), Length(max=200)])
    sponsor_email = EmailField(_l("Sponsor contact's e-mail"),
                               validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    confidential = BooleanField(_l("Confidential: only I, my coach, my examiners and administrators see the "
                                   "description, the sponsor and the files"))
    submit = SubmitField(_l("Register the project and ask the sponsor to confirm"))


class SponsorForm(FlaskForm):
    decision = RadioField(_l("Your decision"), choices=[
        ("confirm", _l("I confirm that this is a real project of our organisation")),
        ("decline", _l("I do not confirm this project"))], validators=[DataRequired()])
    statement = TextAreaField(_l("The trainee's role and contribution, in your words"), validators=[Length(max=3000)])
    signed_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Send the answer"))


class OverrideForm(FlaskForm):
    reason = TextAreaField(_l("Reason for confirming without the sponsor"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Confirm by override"))


class StaffForm(FlaskForm):
    coach = SelectField(_l("Coach"), choices=[], validate_choice=False)
    lecturer = SelectField(_l("Lecturer examiner"), choices=[], validate_choice=False)
    practitioner = SelectField(_l("Independent practitioner examiner"), choices=[], validate_choice=False)
    third = SelectField(_l("Third examiner"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Save the assignments"))


class SubmitForm(FlaskForm):
    files = MultipleFileField(_l("Files (PDF, DOCX, XLSX, PPTX, PNG or JPEG)"), validators=[DataRequired()])
    note = TextAreaField(_l("Note to the examiners"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Submit this version"))


class DefenceForm(FlaskForm):
    held_on = DateField(_l("Date of the defence"), validators=[DataRequired()])
    panel = StringField(_l("Panel members"), validators=[DataRequired(), Length(max=500)])
    outcome = SelectField(_l("Outcome"), choices=[("passed", _l("Passed")), ("failed", _l("Failed"))])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=3000)])
    submit = SubmitField(_l("Record the defence"))


class BriefForm(FlaskForm):
    key = StringField(_l("Key (part of the brief's address in the course files)"),
                      validators=[Optional(), Length(max=80),
                                  Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and '-'."))])
    source = TextAreaField(_l("Brief and rubric (YAML)"), validators=[DataRequired(), Length(max=100_000)])
    submit = SubmitField(_l("Save brief"))

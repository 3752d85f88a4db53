from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp


class ImportForm(FlaskForm):
    file = FileField(_l("Question file (GIFT, Moodle XML or Aiken, UTF-8)"), validators=[FileRequired()])
    bank = StringField(_l("Bank (existing or new address name)"),
                       validators=[DataRequired(), Length(max=80),
                                   Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and '-'."))])
    language = SelectField(_l("Language of a new bank"), choices=[("en", "English"), ("zh", "中文")])
    course = SelectField(_l("Course a new bank belongs to (its instructors manage the bank)"), choices=[], default="")
    fmt = SelectField(_l("Format"), choices=[("auto", _l("From the file name")), ("gift", "GIFT"), ("xml", "Moodle XML"), ("aiken", "Aiken")])
    submit = SubmitField(_l("Import"))


class BankCourseForm(FlaskForm):
    """The course a bank belongs to (the choices, the courses the person teaches, are set by the view)."""
    course = SelectField(_l("Course this bank belongs to"), choices=[])
    submit = SubmitField(_l("Save"))


class EditQuestionForm(FlaskForm):
    source = TextAreaField(_l("Question (GIFT)"), validators=[DataRequired(), Length(max=100_000)])
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save as a new version"))


class NewQuestionForm(FlaskForm):
    """A question written in the browser; the bank and competency choices are set by the view."""
    bank = SelectField(_l("Bank"))
    competency = SelectField(_l("Competency it evidences"))
    status = SelectField(_l("Status"), default="ready",
                         choices=[("ready", _l("Ready: may be drawn into exams")),
                                  ("draft", _l("Draft: never drawn at random into an exam"))])
    source = TextAreaField(_l("Question (GIFT)"), validators=[DataRequired(), Length(max=100_000)])
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Add to the bank"))


class CategoryForm(FlaskForm):
    """Rename one category of a bank (the competency choices are set by the view)."""
    category = IntegerField(validators=[InputRequired()])
    path = StringField(_l("New path"), validators=[DataRequired(), Length(max=500)])
    competency = SelectField(_l("Align to competency"))
    submit = SubmitField(_l("Rename"))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False
    q = StringField(validators=[Optional()])


class QuizForm(FlaskForm):
    key = StringField(_l("Key (part of the exam's address in the course files)"),
                      validators=[Optional(), Length(max=80),
                                  Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and '-'."))])
    source = TextAreaField(_l("Exam settings and sections (YAML)"), validators=[DataRequired(), Length(max=50_000)])
    submit = SubmitField(_l("Save exam"))


class RubricForm(FlaskForm):
    key = StringField(_l("Name (the file name in question_banks/rubrics/, without .yaml)"),
                      validators=[Optional(), Length(max=80),
                                  Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and '-'."))])
    source = TextAreaField(_l("Rubric (YAML)"), validators=[DataRequired(), Length(max=100_000)])
    submit = SubmitField(_l("Save rubric"))


class OverrideForm(FlaskForm):
    """A person's extra time and attempts for an exam (the limits are those of lms.assessment.overrides)."""
    email = StringField(_l("Trainee's e-mail"), validators=[DataRequired(), Length(max=254)])
    extra_minutes = IntegerField(_l("Extra minutes"), default=0, validators=[
        InputRequired(_l("Give a number of minutes (0 for none).")),
        NumberRange(0, 600, _l("Extra time must be between 0 and 600 minutes."))])
    extra_attempts = IntegerField(_l("Extra attempts"), default=0, validators=[
        InputRequired(_l("Give a number of attempts (0 for none).")),
        NumberRange(0, 10, _l("Extra attempts must be between 0 and 10."))])
    reason = StringField(_l("Reason (seen by the exam's instructors only)"), validators=[Optional(), Length(max=300)])

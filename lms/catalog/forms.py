from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

LEVEL_CHOICES = [("F", _l("Foundation")), ("P", _l("Practitioner")), ("E", _l("Expert"))]


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewCourseForm(FlaskForm):
    slug = StringField(_l("Address name (e.g. f7-my-course)"), validators=[DataRequired(), Length(min=2, max=80)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=300)])
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES)
    hours = DecimalField(_l("Contact hours (学时)"), places=1, validators=[DataRequired(), NumberRange(min=0, max=1000)])
    submit = SubmitField(_l("Create course"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not (self.title_en.data or self.title_zh.data):
            self.title_en.errors.append(_l("Give a title in at least one language."))
            return False
        return ok


class CourseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=300)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=2000)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Optional(), Length(max=2000)])
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES)
    hours = DecimalField(_l("Contact hours (学时)"), places=1, validators=[DataRequired(), NumberRange(min=0, max=1000)])
    languages = MultiCheckbox(_l("Lesson languages"), choices=[("en", "English"), ("zh", "中文")])
    competencies = MultiCheckbox(_l("Competencies taught"), choices=[])
    submit = SubmitField(_l("Save course"))


class ModuleForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=80)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=300)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=2000)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save module"))


class LessonForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=80)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=300)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=2000)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Optional(), Length(max=2000)])
    hours = DecimalField(_l("Contact hours (学时)"), places=2, validators=[Optional(), NumberRange(min=0, max=100)])
    delivery = SelectField(_l("Delivery"), choices=[("self-study", _l("Self-study (recorded or reading)")),
                                                    ("live", _l("Live (face-to-face or live online)"))],
                           default="self-study")
    body_en = TextAreaField(_l("Text (English, Markdown)"), validators=[Optional(), Length(max=200_000)])
    body_zh = TextAreaField(_l("Text (Chinese, Markdown)"), validators=[Optional(), Length(max=200_000)])
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save lesson"))


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Apply"))


class InstructorForm(FlaskForm):
    email = EmailField(_l("Instructor's e-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Add instructor"))


class PreviewForm(FlaskForm):
    text = TextAreaField(validators=[Optional(), Length(max=200_000)])

"""Instructor authoring: only the course's instructors and administrators may edit a course."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.forms import ActionForm
from lms.catalog import authoring, services
from lms.catalog.forms import (
    CourseForm,
    InstructorForm,
    LessonForm,
    ModuleForm,
    NewCourseForm,
    PreviewForm,
    StatusForm,
)
from lms.catalog.markdown import render_markdown
from lms.catalog.models import CourseStatus
from lms.extensions import db
from lms.frameworks.services import current_competencies
from lms.i18n import localized
from lms.security import role_required

bp = Blueprint("authoring", __name__, url_prefix="/teach")


def _editable(slug: str):
    return services.editable_course_or_abort(current_user, slug)


def _module(course, key: str):
    m = next((m for m in course.modules if m.key == key), None)
    if m is None:
        abort(404)
    return m


def _lesson(course, key: str):
    lesson = next((x for x in course.lessons if x.key == key), None)
    if lesson is None:
        abort(404)
    return lesson


def _fields(form, names):
    return {n: getattr(form, n).data for n in names}


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required("instructor")
def new_course():
    form = NewCourseForm()
    if form.validate_on_submit():
        try:
            course = authoring.create_course(current_user, **_fields(form, ("slug", "code", "title_en", "title_zh",
                                                                             "level", "hours")))
        except authoring.AuthoringError as exc:
            form.slug.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Course created as a draft. Add modules and lessons, then publish."), "success")
            return redirect(url_for("authoring.edit_course", slug=course.slug))
    return render_template("catalog/teach_new.html", form=form)


def _competency_choices():
    return [(c.code, f"{c.code} · {localized(c, 'name').text}") for c in current_competencies()]


@bp.route("/courses/<slug>", methods=["GET", "POST"])
@role_required("instructor")
def edit_course(slug: str):
    course = _editable(slug)
    form = CourseForm(obj=course)
    form.competencies.choices = _competency_choices()
    if request.method == "GET":
        form.languages.data = course.language_list
        form.competencies.data = [cc.competency.code for cc in course.competencies]
    if form.validate_on_submit():
        authoring.update_course(course, **_fields(form, ("code", "title_en", "title_zh", "summary_en", "summary_zh",
                                                         "level", "hours", "languages")),
                                competency_codes=form.competencies.data or [])
        db.session.commit()
        flash(_("Course saved."), "success")
        return redirect(url_for("authoring.edit_course", slug=slug))
    return render_template("catalog/teach_course.html", course=course, form=form, module_form=ModuleForm(formdata=None),
                           extra_links=services.editor_links(course),
                           status_form=StatusForm(), action_form=ActionForm(), instructor_form=InstructorForm())


@bp.post("/courses/<slug>/status")
@role_required("instructor")
def set_status(slug: str):
    course = _editable(slug)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        authoring.set_status(current_user, course, form.status.data)
    except authoring.AuthoringError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The course is published.") if course.status == CourseStatus.PUBLISHED else _("The course is unpublished."),
              "success")
    return redirect(url_for("authoring.edit_course", slug=slug))


@bp.post("/courses/<slug>/instructors")
@role_required("instructor")
def add_instructor(slug: str):
    course = _editable(slug)
    form = InstructorForm()
    if form.validate_on_submit():
        try:
            authoring.add_instructor(current_user, course, form.email.data)
        except authoring.AuthoringError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Instructor added."), "success")
    return redirect(url_for("authoring.edit_course", slug=slug))


@bp.post("/courses/<slug>/modules")
@role_required("instructor")
def add_module(slug: str):
    course = _editable(slug)
    form = ModuleForm()
    if form.validate_on_submit():
        try:
            authoring.add_module(course, **_fields(form, ("key", "title_en", "title_zh", "summary_en", "summary_zh")))
        except authoring.AuthoringError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Module added."), "success")
    else:
        flash(_("The module needs a key."), "error")
    return redirect(url_for("authoring.edit_course", slug=slug))


@bp.route("/courses/<slug>/modules/<key>", methods=["GET", "POST"])
@role_required("instructor")
def edit_module(slug: str, key: str):
    course = _editable(slug)
    module = _module(course, key)
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        authoring.update_module(module, **_fields(form, ("title_en", "title_zh", "summary_en", "summary_zh")))
        db.session.commit()
        flash(_("Module saved."), "success")
        return redirect(url_for("authoring.edit_course", slug=slug))
    return render_template("catalog/teach_module.html", course=course, module=module, form=form)


@bp.post("/courses/<slug>/modules/<key>/<action>")
@role_required("instructor")
def module_action(slug: str, key: str, action: str):
    course = _editable(slug)
    module = _module(course, key)
    if not ActionForm().validate_on_submit() or action not in ("up", "down", "delete"):
        abort(400)
    if action == "delete":
        authoring.delete_module(course, module)
        flash(_("Module deleted."), "success")
    else:
        authoring.move_module(course, module, action)
    db.session.commit()
    return redirect(url_for("authoring.edit_course", slug=slug) + "#outline")


def _lesson_page(course, form, module, lesson=None, preview=None):
    return render_template("catalog/teach_lesson.html", course=course, module=module, lesson=lesson, form=form,
                           preview=preview)


def _previews(form):
    return {"en": render_markdown(form.body_en.data), "zh": render_markdown(form.body_zh.data)}


LESSON_FIELDS = ("title_en", "title_zh", "summary_en", "summary_zh", "hours", "delivery", "body_en", "body_zh")


@bp.route("/courses/<slug>/modules/<key>/lessons/new", methods=["GET", "POST"])
@role_required("instructor")
def new_lesson(slug: str, key: str):
    course = _editable(slug)
    module = _module(course, key)
    form = LessonForm()
    if form.validate_on_submit():
        if form.preview.data:
            return _lesson_page(course, form, module, preview=_previews(form))
        try:
            lesson = authoring.add_lesson(course, module, key=form.key.data, **_fields(form, LESSON_FIELDS))
        except authoring.AuthoringError as exc:
            form.key.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Lesson added."), "success")
            return redirect(url_for("authoring.edit_lesson", slug=slug, key=lesson.key))
    return _lesson_page(course, form, module)


@bp.route("/courses/<slug>/lessons/<key>", methods=["GET", "POST"])
@role_required("instructor")
def edit_lesson(slug: str, key: str):
    course = _editable(slug)
    lesson = _lesson(course, key)
    form = LessonForm(obj=lesson)
    if request.method == "POST":
        form.key.data = lesson.key  # the key is fixed once created (it is the lesson's address)
    if form.validate_on_submit():
        if form.preview.data:
            return _lesson_page(course, form, lesson.module, lesson, preview=_previews(form))
        authoring.update_lesson(lesson, **_fields(form, LESSON_FIELDS))
        db.session.commit()
        flash(_("Lesson saved."), "success")
        return redirect(url_for("authoring.edit_lesson", slug=slug, key=key))
    return _lesson_page(course, form, lesson.module, lesson)


@bp.post("/courses/<slug>/lessons/<key>/<action>")
@role_required("instructor")
def lesson_action(slug: str, key: str, action: str):
    course = _editable(slug)
    lesson = _lesson(course, key)
    if not ActionForm().validate_on_submit() or action not in ("up", "down", "delete"):
        abort(400)
    if action == "delete":
        authoring.delete_lesson(lesson)
        flash(_("Lesson deleted."), "success")
    else:
        authoring.move_lesson(course, lesson, action)
    db.session.commit()
    return redirect(url_for("authoring.edit_course", slug=slug) + "#outline")


@bp.post("/preview")
@role_required("instructor")
def preview():
    """Rendered Markdown for the editor's live preview (the same sanitiser as the lesson page)."""
    form = PreviewForm()
    if not form.validate_on_submit():
        abort(400)
    return Response(str(render_markdown(form.text.data)), mimetype="text/html")


@bp.get("/courses/<slug>/export.zip")
@role_required("instructor")
def export(slug: str):
    course = _editable(slug)
    data = authoring.export_zip(course)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{course.slug}.zip"'})

"""Learner-facing catalogue: browse, course page, enrol, read lessons, mark done."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.forms import ActionForm
from lms.catalog import services
from lms.catalog.markdown import render_markdown
from lms.extensions import db
from lms.frameworks.services import current_competencies
from lms.i18n import current_lang, pick
from lms.security import login_required

bp = Blueprint("catalog", __name__)


def _course_or_404(slug: str):
    course = services.course_by_slug(slug)
    if course is None or not services.can_view(current_user, course):
        abort(404)
    return course


@bp.get("/courses")
def catalogue():
    args = {k: request.args.get(k, "").strip() for k in ("q", "level", "competency", "language")}
    courses = services.search_catalogue(text=args["q"], level=args["level"], competency=args["competency"],
                                        language=args["language"])
    return render_template("catalog/catalogue.html", courses=courses, args=args,
                           competencies=current_competencies())


@bp.get("/courses/<slug>")
def course(slug: str):
    course = _course_or_404(slug)
    enrolment = services.enrolment(current_user, course)
    progress = per_module = done = None
    if enrolment:
        progress, per_module, done = services.course_progress(current_user, course)
    missing = services.missing_prerequisites(current_user, course) if current_user.is_authenticated else []
    editor = services.can_edit(current_user, course)
    activities = services.module_activities(current_user, course) if (enrolment or editor) else {}
    return render_template("catalog/course.html", course=course, enrolment=enrolment, progress=progress,
                           activities=activities,
                           per_module=per_module, done=done or set(), missing=missing, form=ActionForm(),
                           can_edit=editor)


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = _course_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.enrol(current_user, course)
    except services.CatalogError as exc:
        flash(str(exc), "error")
        return redirect(url_for("catalog.course", slug=slug))
    db.session.commit()
    flash(_("You are enrolled. Start with the first lesson."), "success")
    first = course.lessons[0] if course.lessons else None
    if first:
        return redirect(url_for("catalog.lesson", slug=slug, key=first.key))
    return redirect(url_for("catalog.course", slug=slug))


def _lesson_or_404(course, key: str):
    lesson = next((x for x in course.lessons if x.key == key), None)
    if lesson is None:
        abort(404)
    return lesson


@bp.get("/courses/<slug>/lessons/<key>")
@login_required
def lesson(slug: str, key: str):
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, key)
    editor = services.can_edit(current_user, course)
    enrolment = services.enrolment(current_user, course)
    if enrolment is None and not editor:
        flash(_("Enrol in the course to read its lessons."), "info")
        return redirect(url_for("catalog.course", slug=slug))
    body = pick(lesson.body_en, lesson.body_zh, current_lang())
    prev, nxt = services.lesson_neighbours(course, lesson)
    progress = per_module = None
    done = set()
    if enrolment:
        progress, per_module, done = services.course_progress(current_user, course)
    return render_template("catalog/lesson.html", course=course, lesson=lesson, body=body,
                           html=render_markdown(body.text), prev=prev, next=nxt, enrolment=enrolment,
                           progress=progress, per_module=per_module, done=done, form=ActionForm(), can_edit=editor)


@bp.post("/courses/<slug>/lessons/<key>/done")
@login_required
def mark_done(slug: str, key: str):
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, key)
    if not ActionForm().validate_on_submit():
        abort(400)
    value = request.form.get("done", "1") == "1"
    try:
        enrolment = services.mark_done(current_user, lesson, value)
    except services.CatalogError as exc:
        flash(str(exc), "error")
        return redirect(url_for("catalog.course", slug=slug))
    db.session.commit()
    if enrolment.completed_at and value:
        flash(_("Course complete — every lesson is done. Well done!"), "success")
    nxt = services.lesson_neighbours(course, lesson)[1]
    if value and nxt is not None and request.form.get("advance") == "1":
        return redirect(url_for("catalog.lesson", slug=slug, key=nxt.key))
    return redirect(url_for("catalog.lesson", slug=slug, key=key))

"""An exam seen from its instructors' side: the results, the item analysis, one person's extra time and
attempts, and drawing a cohort's attempts ahead. The routes are on the exams blueprint (``exam_views.bp``);
taking an exam, grading essays and the profile stay in ``exam_views``."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.forms import ActionForm
from lms.accounts.services import user_by_email, user_by_public_id
from lms.assessment import exams, starting
from lms.assessment import overrides as terms
from lms.assessment.analysis import analysis_for
from lms.assessment.analysis import to_csv as analysis_to_csv
from lms.assessment.exam_views import bp
from lms.assessment.forms import OverrideForm
from lms.assessment.results import minutes_left, minutes_taken, quiz_results
from lms.assessment.results import to_csv as results_to_csv
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.extensions import db
from lms.security import role_required


def _editable_quiz(public_id: str):
    quiz = exams.quiz_by_public_id(public_id)
    if quiz is None:
        abort(404)
    course = db.session.get(Course, quiz.course_id) if quiz.course_id else None
    if not (catalog.can_edit(current_user, course) if course else current_user.has_role("admin")):
        abort(403)
    return quiz, course


@bp.get("/teach/quizzes/<public_id>/analysis")
@role_required("instructor")
def analysis(public_id: str):
    quiz, course = _editable_quiz(public_id)
    stats = analysis_for(current_user, quiz)
    return render_template("assessment/analysis.html", quiz=quiz, course=course, stats=stats)


@bp.get("/teach/quizzes/<public_id>/results")
@role_required("instructor")
def results(public_id: str):
    """Every attempt of every person, in progress or finished, and the grade that counts for each person."""
    quiz, course = _editable_quiz(public_id)
    return render_template("assessment/results.html", quiz=quiz, course=course, results=quiz_results(quiz),
                           minutes_left=minutes_left, minutes_taken=minutes_taken,
                           terms={o.user_id: o for o in terms.overrides_of(quiz)}, form=ActionForm())


@bp.route("/teach/quizzes/<public_id>/overrides", methods=["GET", "POST"])
@role_required("instructor")
def overrides(public_id: str):
    """Extra time (e.g. an accessibility accommodation) and extra attempts for one person."""
    quiz, course = _editable_quiz(public_id)
    form = OverrideForm()
    if form.validate_on_submit():
        person = user_by_email(form.email.data)
        try:
            if person is None:
                raise exams.ExamError(terms.nobody_message(form.email.data))
            terms.set_override(quiz, person, form.extra_minutes.data, form.extra_attempts.data, form.reason.data,
                               current_user)
        except exams.ExamError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved: %(who)s sits this exam on these terms from now on.", who=person.display_name), "success")
            return redirect(url_for("exams.overrides", public_id=public_id))
    return render_template("assessment/overrides.html", quiz=quiz, course=course, form=form,
                           rows=terms.overrides_of(quiz), remove_form=ActionForm())


@bp.post("/teach/quizzes/<public_id>/overrides/<user_public_id>/remove")
@role_required("instructor")
def remove_override(public_id: str, user_public_id: str):
    quiz, _course = _editable_quiz(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    person = user_by_public_id(user_public_id)
    if person is None:
        abort(404)
    if terms.remove_override(quiz, person):
        db.session.commit()
        flash(_("%(who)s sits this exam on its own terms again.", who=person.display_name), "success")
    return redirect(url_for("exams.overrides", public_id=public_id))


@bp.get("/teach/quizzes/<public_id>/results.csv")
@role_required("instructor")
def results_csv(public_id: str):
    quiz, _course = _editable_quiz(public_id)
    return Response("\ufeff" + results_to_csv(quiz, quiz_results(quiz)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{quiz.key}-results.csv"'})


@bp.post("/teach/quizzes/<public_id>/prepare")
@role_required("instructor")
def prepare(public_id: str):
    """Draw the attempts of everyone enrolled ahead of an exam held at a set time (as `lms exams prepare`)."""
    quiz, _course = _editable_quiz(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    done, skipped = starting.prepare_cohort(quiz)
    db.session.commit()
    flash(_("Attempts drawn ahead: %(n)d. Not drawn: %(m)d (an attempt already open or drawn, or no attempt left).",
            n=done, m=skipped), "success")
    return redirect(url_for("exams.quiz", public_id=public_id))


@bp.post("/teach/quizzes/<public_id>/password")
@role_required("instructor")
def set_password(public_id: str):
    """The password an exam held in a room starts with (empty: none). Kept out of the course files."""
    quiz, _course = _editable_quiz(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        quiz.password = starting.clean_password(request.form.get("password"))
    except exams.ExamError as exc:
        flash(str(exc), "error")
        return redirect(url_for("exams.quiz", public_id=public_id))
    db.session.commit()
    flash(_("Trainees now need the password to start this exam.") if quiz.password
          else _("This exam no longer needs a password."), "success")
    return redirect(url_for("exams.quiz", public_id=public_id))


@bp.post("/teach/quizzes/<public_id>/close-overdue")
@role_required("instructor")
def close_overdue(public_id: str):
    """Submit now, with their saved answers, the attempts whose time is up (otherwise when next opened)."""
    quiz, _course = _editable_quiz(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    closed = exams.close_overdue(quiz.id)          # each submission updates its course's completion
    db.session.commit()
    flash(ngettext("%(num)d attempt whose time was up was submitted.",
                   "%(num)d attempts whose time was up were submitted.", len(closed)), "success")
    return redirect(url_for("exams.results", public_id=public_id))


@bp.get("/teach/quizzes/<public_id>/analysis.csv")
@role_required("instructor")
def analysis_csv(public_id: str):
    quiz, _course = _editable_quiz(public_id)
    return Response("\ufeff" + analysis_to_csv(analysis_for(current_user, quiz)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{quiz.key}-item-analysis.csv"'})

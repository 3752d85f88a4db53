"""Trainees sit exams; instructors grade essays; everyone sees their competency profile."""
from __future__ import annotations

import re
from dataclasses import replace
from itertools import groupby

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from lms.accounts.forms import ActionForm
from lms.assessment import exams, grading, qtypes, starting
from lms.assessment.errors import WrongPassword
from lms.assessment.models import Attempt, AttemptState, QuizKind
from lms.assessment.rendering import attempt_labels, render_text
from lms.catalog import services as catalog
from lms.catalog.models import Course, CourseStatus
from lms.core.limits import body_limit
from lms.extensions import db, limiter
from lms.frameworks import evidence
from lms.frameworks.services import framework_tree
from lms.i18n import at_line, current_lang
from lms.security import login_required, role_required

bp = Blueprint("exams", __name__)


def _quiz_and_course(public_id: str):
    """The quiz, its course, whether the person edits it, and whether they sit it (enrolled; for the
    diagnostic, everyone signed in); 404 for anyone else."""
    quiz = exams.quiz_by_public_id(public_id)
    if quiz is None:
        abort(404)
    if quiz.course_id is None:     # the diagnostic assessment: open to everyone signed in
        return quiz, None, current_user.has_role("admin"), True
    course, enrolled = catalog.course_and_enrolment(current_user, quiz.course_id)
    editor = catalog.can_edit(current_user, course)
    if not editor and (enrolled is None or course.status != CourseStatus.PUBLISHED):
        abort(404)
    return quiz, course, editor, enrolled is not None


@bp.get("/quizzes/<public_id>")
@login_required
def quiz(public_id: str):
    quiz, course, editor, sits = _quiz_and_course(public_id)
    open_att = exams.open_attempt(current_user, quiz)       # an overdue one is submitted instead
    if open_att is None and sits:     # an instructor looking at the page draws nothing (Start still works)
        starting.prepare(current_user, quiz, current_lang())   # drawn now, so that Start only sets the clock
    attempts = exams.user_attempts(current_user, quiz)
    grade = grading.final_grade(attempts, quiz.grading_method)
    extra_minutes, extra_attempts = starting.extras(quiz.id, current_user.id)     # the person's own terms, if any
    from lms.assessment.drawing import shortfalls
    page = render_template("assessment/quiz.html", quiz=quiz, course=course, attempts=attempts, open_att=open_att,
                           grade=grade, form=ActionForm(), editor=editor, extra_minutes=extra_minutes,
                           extra_attempts=extra_attempts, shortfalls=shortfalls(quiz) if editor else [],
                           password_min=starting.PASSWORD_MIN_LENGTH, password_max=starting.PASSWORD_MAX_LENGTH)
    db.session.commit()         # once, after rendering, so that nothing the page shows is read again
    return page


def _guesser() -> str:
    who = current_user.public_id if current_user.is_authenticated else request.remote_addr
    return f"exam-password:{who}"


@bp.post("/quizzes/<public_id>/start")
@login_required
# an exam's password cannot be guessed from home: ten wrong ones in ten minutes, then a pause (starts that send
# no password, a whole cohort's, are not counted)
@limiter.limit("10 per 10 minutes", key_func=_guesser, exempt_when=lambda: "password" not in request.form,
               deduct_when=lambda response: g.get("wrong_exam_password", False))
def start(public_id: str):
    """Start (or resume) an attempt: the one the quiz page drew ahead, when there is one, only has its clock set."""
    quiz, course, _editor, _sits = _quiz_and_course(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        att = starting.start(current_user, quiz, current_lang(), password=request.form.get("password"))
    except WrongPassword as exc:
        g.wrong_exam_password = True
        flash(str(exc), "error")
        return redirect(url_for("exams.quiz", public_id=public_id))
    except exams.ExamError as exc:
        db.session.commit()
        flash(str(exc), "error")
        return redirect(url_for("exams.quiz", public_id=public_id))
    target = url_for("exams.attempt", public_id=att.public_id)     # before the commit expires the attempt
    db.session.commit()
    return redirect(target)


def _mine_or_404(att):
    """An attempt (or an attempt's row) the signed-in person may take: theirs and started; 404 otherwise."""
    if att is None or att.user_id != current_user.id or att.state == AttemptState.PREPARED:
        abort(404)
    return att


def _own_attempt(public_id: str, items: bool = True):
    return _mine_or_404(exams.attempt_by_public_id(public_id, items))


def _responses_from_form(att) -> dict[int, object]:
    if not any(key.startswith("q") for key in request.form):    # nothing to save (the page's script saved it)
        return {}
    out = {}
    for position, spec in exams.item_specs(att):
        sent, value = exams.response_in_form(spec, f"q{position}", request.form)
        if sent:
            out[position] = value
    return out


@bp.get("/attempts/<public_id>")
@login_required
def attempt(public_id: str):
    head, items = exams.attempt_page(public_id)     # plain rows: the page only shows the attempt
    _mine_or_404(head)
    if exams.is_overdue(head):
        exams.submit(_own_attempt(public_id, items=False))
        db.session.commit()
        flash(_("Time is up: the attempt was submitted with the answers saved before the deadline."), "info")
        return redirect(url_for("exams.review", public_id=public_id))
    if head.state != AttemptState.OPEN:
        return redirect(url_for("exams.review", public_id=public_id))
    states = {"answered": _(", answered"), "unanswered": _(", not yet answered"), "flagged": _(", flagged for review")}
    page = make_response(render_template("assessment/attempt.html", att=head, quiz=head, items=items,
                                         fields=Markup("\n").join(_question_fields(items)), states=states,
                                         nav=_question_nav(items, states), left=exams.seconds_left(head.deadline)))
    page.headers["Cache-Control"] = "no-store"      # never shown again from a cache with an old clock and answers
    return page


@bp.get("/attempts/<public_id>/clock")
@login_required
def clock(public_id: str):
    """The attempt's state and seconds left by the server's clock. The open page asks now and then, and when it is
    shown again after the computer slept, so that its countdown follows extra time given meanwhile and never
    trusts the computer's own clock."""
    row = exams.attempt_clock(public_id)
    if row is None or row.user_id != current_user.id or row.state == AttemptState.PREPARED:
        abort(404)
    running = row.state == AttemptState.OPEN and row.deadline is not None
    reply = jsonify(open=row.state == AttemptState.OPEN, left=exams.seconds_left(row.deadline) if running else None,
                    deadline=f"{row.deadline.isoformat()}Z" if running else None)
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _question_nav(items: list, states: dict[str, str]) -> Markup:
    """The navigation panel's links, one per graded question: answered or not, flagged or not, in words for
    screen readers (the page's script keeps them up to date). Built here rather than in a template loop: the
    page is the one a whole cohort opens at the same moment."""
    answered, unanswered, flagged = (str(escape(states[k])) for k in ("answered", "unanswered", "flagged"))
    links = []
    for item in items:
        if not item.mark:
            continue
        done = item.answered
        links.append(f'<li><a href="#q{item.position}" class="qnav-link{" answered" if done else ""}'
                     f'{" flagged" if item.flagged else ""}" data-nav="{item.position}">{item.position}'
                     f'<span class="sr-only">{answered if done else unanswered}{flagged if item.flagged else ""}'
                     f'</span></a></li>')
    return Markup("\n".join(links))


# placeholders made of private-use characters: the position, the legend, and the cut around each option
_POS, _LEGEND, _CUT = "\ue000pos\ue000", "\ue000legend\ue000", "\ue000cut\ue000"


def _question_fields(items: list) -> list[Markup]:
    """Each question's form fields as HTML. An unanswered question looks the same in every attempt that shows
    that version, so its HTML is rendered once per process and the position put in; a multiple-choice
    question's options are kept apart and put in each attempt's shuffled order. This keeps the first page of
    an exam cheap when a whole cohort starts at once."""
    labels = attempt_labels()
    unanswered = current_app.extensions.setdefault("lms.unanswered_fields", {})     # per app, as versioncache
    field = get_template_attribute("assessment/_attempt_question.html", "question_field")
    lang = current_lang()
    out = []
    for item in items:
        legend = labels["question"] % {"n": item.position}
        if item.response is not None or item.saved_at is not None or item.flagged:
            out.append(field(item, labels, item.position, legend))
            continue
        by_option = qtypes.of(item.spec).cut_by_option
        key = (item.version_id, None if by_option else tuple(item.order or ()), item.mark, lang)
        parts = unanswered.get(key)
        if parts is None:
            if len(unanswered) > 5000:
                unanswered.clear()
            if by_option:      # head, each option in the version's own order, tail
                parts = str(field(replace(item, order=None), labels, _POS, _LEGEND, _CUT)).split(_CUT)
            else:
                parts = [str(field(item, labels, _POS, _LEGEND))]
            unanswered[key] = parts
        if by_option:
            order = item.order or range(len(parts) - 2)
            html = parts[0] + "".join(parts[1 + i] for i in order) + parts[-1]
        else:
            html = parts[0]
        out.append(Markup(html.replace(_POS, str(item.position)).replace(_LEGEND, str(escape(legend)))))
    return out


@bp.post("/attempts/<public_id>/save")
@login_required
def save(public_id: str):
    att = _own_attempt(public_id, items=False)
    if not ActionForm().validate_on_submit():
        abort(400)
    finishing = request.form.get("finish") == "1"
    try:
        exams.save(att, _responses_from_form(att))
        if request.form.get("flags-present") == "1":     # the boxes ticked; a box not sent is a box cleared
            exams.set_flags(att, {pos: True for pos in _flagged_in_form()}, others=False)
    except exams.ExamError as exc:
        db.session.commit()
        flash(str(exc), "error")
        return redirect(url_for("exams.attempt", public_id=public_id))
    db.session.commit()
    if finishing:
        return redirect(url_for("exams.summary", public_id=public_id))
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("exams.attempt", public_id=public_id))


_FLAG_KEY = re.compile(r"flag(\d{1,6})", re.ASCII)


def _flagged_in_form() -> list[int]:
    """The positions whose "flag for review" box the page's form sent (without JavaScript, by Save)."""
    return [int(m.group(1)) for key in request.form if (m := _FLAG_KEY.fullmatch(key))]


@bp.post("/attempts/<public_id>/flag")
@login_required
def flag(public_id: str):
    """Flag or unflag one question for review (JavaScript; without it the page's Save button sends the boxes)."""
    att = _own_attempt(public_id, items=False)
    data = _json_object()
    try:
        position = int(data.get("position"))
    except (TypeError, ValueError):
        return jsonify(saved=False, error=_("Unknown question.")), 400
    flagged = data.get("flagged") is True
    try:
        exams.set_flags(att, {position: flagged})
    except exams.ExamError as exc:
        db.session.commit()
        return jsonify(saved=False, error=str(exc), closed=att.state != AttemptState.OPEN), 409
    db.session.commit()
    return jsonify(saved=True, position=position, flagged=flagged)


@bp.get("/attempts/<public_id>/summary")
@login_required
def summary(public_id: str):
    """Before the final submission: which questions have an answer, and the button that submits."""
    att = _own_attempt(public_id)
    if att.state != AttemptState.OPEN or exams.is_overdue(att):
        return redirect(url_for("exams.attempt", public_id=public_id))
    return render_template("assessment/summary.html", att=att, quiz=att.quiz, form=ActionForm())


@bp.post("/attempts/<public_id>/answer")
@login_required
@body_limit(256 * 1024)     # one answer: the longest the server keeps (50,000 characters) in any script, as JSON
def answer(public_id: str):
    """Autosave of one answer (JavaScript); the answer is committed before the reply says 'saved'."""
    data = _json_object()
    try:
        position = int(data.get("position"))
    except (TypeError, ValueError):
        return jsonify(saved=False, error=_("Unknown question.")), 400
    try:
        exams.save_answer(public_id, current_user, position, data.get("response"))
    except exams.AttemptNotFound:
        abort(404)
    except exams.ExamError as exc:
        db.session.commit()
        state = db.session.scalar(select(Attempt.state).where(Attempt.public_id == public_id))
        return jsonify(saved=False, error=str(exc), closed=state != AttemptState.OPEN), 409
    db.session.commit()
    return jsonify(saved=True, position=position)


def _json_object() -> dict:
    """The request's JSON body when it is an object; an empty one otherwise (a list, a number, no JSON)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.post("/attempts/<public_id>/submit")
@login_required
def submit(public_id: str):
    att = _own_attempt(public_id, items=False)
    if not ActionForm().validate_on_submit():
        abort(400)
    if att.state == AttemptState.OPEN:
        try:
            exams.save(att, _responses_from_form(att))
        except exams.ExamError:
            pass
        exams.submit(att)            # which also updates the course's completion
        db.session.commit()
    return redirect(url_for("exams.review", public_id=public_id))


@bp.get("/attempts/<public_id>/review")
@login_required
def review(public_id: str):
    att = exams.attempt_by_public_id(public_id)
    if att is None or att.state == AttemptState.PREPARED:
        abort(404)
    course = db.session.get(Course, att.quiz.course_id) if att.quiz.course_id else None
    staff = catalog.can_edit(current_user, course) if course else current_user.has_role("admin")
    if att.user_id != current_user.id and not staff:
        abort(404)
    if att.state == AttemptState.OPEN:
        return redirect(url_for("exams.attempt", public_id=public_id))
    may_grade = grading.may_grade(current_user, att, course)     # nobody grades their own attempt
    staff = att.user_id != current_user.id
    diagnosis = None
    if att.quiz.kind == QuizKind.DIAGNOSTIC and att.state == AttemptState.GRADED:
        from lms.assessment.diagnostic import result
        diagnosis = result(att)
    show_feedback = staff or may_grade or exams.can_review(att, "feedback")
    # the rubric levels chosen by the grader are feedback: shown only when the quiz lets feedback be seen
    from lms.assessment.rubrics import chosen_levels, current_scores, rubrics_for_items
    scores = current_scores(att.items) if show_feedback else {}
    rubrics = rubrics_for_items(att.items) if may_grade else {}
    return render_template("assessment/review.html", att=att, quiz=att.quiz, course=course, render=render_text,
                           show_feedback=show_feedback, diagnosis=diagnosis, rubric_scores=scores,
                           keyed=_keys_shown(att, staff),
                           may_grade=may_grade, rubrics=rubrics, sent=chosen_levels(scores, rubrics),
                           form=ActionForm() if may_grade else None)


def _keys_shown(att, staff: bool) -> set[int]:
    """The items whose right answers the reader sees: on their own attempt, all when the exam lets answers be
    reviewed; on someone else's (staff, graders), those of the banks they manage."""
    if staff:
        from lms.assessment.ownership import items_with_keys_shown
        return items_with_keys_shown(current_user, att.items)
    return {i.id for i in att.items} if exams.can_review(att, "answers") else set()


@bp.get("/diagnostic")
@login_required
def diagnostic():
    quiz = exams.diagnostic_quiz()
    if quiz is None:
        abort(404)
    return redirect(url_for("exams.quiz", public_id=quiz.public_id))


@bp.get("/teach/grading")
@role_required("instructor")
def grading_queue():
    return _grading_page()


def _grading_page(values: dict | None = None, chosen: dict | None = None):
    """The queue, of one exam or one question when chosen (``?quiz=``, ``?question=``, public ids); ``values``
    keeps what a grader sent for one answer when it was refused (item id → form)."""
    from lms.assessment.rubrics import rubrics_for_items
    course_ids = None if current_user.has_role("admin") else [c.id for c in catalog.instructor_courses(current_user)]
    groups = grading.queue_groups(course_ids, current_user.id)
    chosen = chosen if chosen is not None else _queue_filter(request.args)
    quiz = next((g.quiz for g in groups if g.quiz.public_id == chosen.get("quiz")), None)
    question = next((g.question for g in groups if g.question.public_id == chosen.get("question")
                     and (quiz is None or g.quiz.id == quiz.id)), None)
    items = grading.grading_queue(course_ids, current_user.id, quiz_id=quiz.id if quiz else None,
                                  question_id=question.id if question else None)
    keep = {k: v for k, v in (("quiz", quiz and quiz.public_id), ("question", question and question.public_id)) if v}
    return render_template("assessment/grading.html", items=items, render=render_text, form=ActionForm(),
                           rubrics=rubrics_for_items(items), values=values or {}, groups=groups,
                           by_quiz=[(q, list(gs)) for q, gs in groupby(groups, key=lambda g: g.quiz)],
                           chosen_quiz=quiz, chosen_question=question, keep=keep,
                           total=sum(g.waiting for g in groups))


def _queue_filter(args) -> dict:
    return {k: args.get(k) for k in ("quiz", "question") if args.get(k)}


@bp.post("/teach/grading/<public_id>/<int:position>")
@role_required("instructor")
def grade(public_id: str, position: int):
    att = exams.attempt_by_public_id(public_id)
    if att is None or att.state not in exams.FINISHED:
        abort(404)
    course = db.session.get(Course, att.quiz.course_id) if att.quiz.course_id else None
    if not grading.may_grade(current_user, att, course):    # the exam's instructors, never on their own attempt
        abort(403)
    item = next((i for i in att.items if i.position == position), None)
    if item is None or not ActionForm().validate_on_submit():
        abort(404 if item is None else 400)
    from lms.assessment import rubrics
    rubric = rubrics.rubrics_for_items([item]).get(item.id)
    from_review = request.form.get("back") == "review"      # a mark changed on the review, not in the queue
    try:
        if rubric is not None:      # the fraction comes from the levels chosen, one per criterion
            rubrics.grade_with_rubric(item, rubric, rubrics.choices_from_form(rubric, request.form),
                                      request.form.get("comment"), current_user)
        else:
            points = float(request.form.get("points", ""))
            grading.grade_item(item, points / item.mark if item.mark else 0, request.form.get("comment"), current_user)
    except rubrics.RubricIncomplete as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to(att, position) if from_review else _grading_page({item.id: request.form},
                                                                          _queue_filter(request.form))
    except ValueError:
        db.session.rollback()
        flash(_("The grade must be between 0 and the question's mark."), "error")
        return _back_to(att, position) if from_review else redirect(url_for("exams.grading_queue",
                                                                             **_queue_filter(request.form)))
    db.session.commit()
    flash(_("Grade saved."), "success")
    return _back_to(att, position) if from_review else redirect(url_for("exams.grading_queue",
                                                                         **_queue_filter(request.form)))


def _back_to(att, position: int):
    """Back to the question on the attempt's review, where its mark was changed."""
    return redirect(url_for("exams.review", public_id=att.public_id, _anchor=f"q{position}"))


@bp.get("/profile/competencies")
@login_required
def profile():
    fw = framework_tree()
    if fw is None:
        abort(404)
    ratings = evidence.profile(current_user.id, fw)
    domain_avg = {d.code: sum(ratings[c.code].rank for c in d.competencies) / max(1, len(d.competencies))
                  for d in fw.domains}
    return render_template("assessment/profile.html", fw=fw, ratings=ratings, domain_avg=domain_avg, rule=(evidence.PASS_FRACTION,
                                                                                     evidence.ITEMS_NEEDED))


def _editable_course(slug: str):
    return catalog.editable_course_or_abort(current_user, slug)


@bp.route("/teach/courses/<slug>/exams/new", methods=["GET", "POST"])
@role_required("instructor")
def new_quiz(slug: str):
    return _quiz_editor(_editable_course(slug), None)


@bp.route("/teach/courses/<slug>/exams/<key>", methods=["GET", "POST"])
@role_required("instructor")
def edit_quiz(slug: str, key: str):
    from lms.assessment.models import Quiz
    course = _editable_course(slug)
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == key))
    if quiz is None:
        abort(404)
    return _quiz_editor(course, quiz)


def _banks_refused(families: set[str], managed: set[str]) -> list[str]:
    """An exam newly drawing from a bank makes its course one the bank serves: only a manager of that bank may."""
    return [_("The bank %(bank)s belongs to courses you do not teach; an exam may draw only from a bank you "
              "manage.", bank=fam) for fam in sorted(families - managed)]


def _quiz_editor(course, quiz):
    from lms.assessment.forms import QuizForm
    from lms.assessment.quiz_editor import new_quiz_yaml, quiz_yaml, save_quiz
    from lms.content import ContentInvalid
    form = QuizForm()
    if request.method == "GET":
        form.source.data = quiz_yaml(quiz) if quiz else new_quiz_yaml(course, current_user)
        form.key.data = quiz.key if quiz else ""
    errors = []
    if form.validate_on_submit():
        key = quiz.key if quiz else form.key.data.strip()
        drew = {s.bank for s in quiz.sections} if quiz else set()
        from lms.assessment.ownership import managed_families  # as they are before this exam draws
        managed = managed_families(current_user)
        try:
            saved = save_quiz(course, key, form.source.data.replace("\r\n", "\n"), quiz, user=current_user)
        except ContentInvalid as exc:
            errors = [at_line(e.line, e.reason) for e in exc.errors]
        else:
            errors = _banks_refused({s.bank for s in saved.sections} - drew, managed)
        if errors:
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Exam saved."), "success")
            return redirect(url_for("exams.quiz", public_id=saved.public_id))
    return render_template("assessment/quiz_editor.html", course=course, quiz=quiz, form=form, errors=errors)

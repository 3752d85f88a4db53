"""Instructor screens for question banks: browse and filter, preview with history, edit, import, export."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.assessment import banks, ownership, qtypes, starters
from lms.assessment.errors import ExamError
from lms.assessment.forms import CategoryForm, EditQuestionForm, ImportForm, NewQuestionForm
from lms.assessment.models import QuestionCategory, QuestionStatus
from lms.assessment.rendering import question_source, render_text
from lms.content import ContentInvalid
from lms.core.limits import body_limit
from lms.db import requested_page
from lms.extensions import db
from lms.frameworks.services import current_competencies
from lms.i18n import at_line, current_lang, localized
from lms.limits import IMPORT_FORM_SLACK, IMPORT_MAX_BYTES
from lms.security import role_required

bp = Blueprint("questions", __name__, url_prefix="/teach/questions")


@bp.get("")
@role_required("instructor")
def browse():
    from lms.assessment import categories as tree
    args = {k: request.args.get(k, "").strip()
            for k in ("bank", "category", "competency", "level", "qtype", "tag", "language", "status", "q")}
    mine = ownership.manageable_banks(current_user)         # the banks whose keys this person may see
    bank_id = int(args["bank"]) if args["bank"].isdigit() else None
    if bank_id is not None and bank_id not in {b.id for b in mine}:
        abort(403)
    category = db.session.get(QuestionCategory, int(args["category"])) if args["category"].isdigit() else None
    if category is not None and category.bank_id != bank_id:     # a category belongs to the bank chosen
        category, args["category"] = None, ""
    page = banks.search_questions(bank_ids={b.id for b in mine}, bank_id=bank_id, competency=args["competency"],
                                  level=args["level"],
                                  qtype=args["qtype"], tag=args["tag"], language=args["language"], text=args["q"],
                                  status=args["status"], category_ids=tree.subtree_ids(category) if category else None,
                                  page=requested_page())
    return render_template("assessment/browse.html", page=page, args=args, banks=mine,
                           counts=banks.bank_counts(), competencies=current_competencies(), qtypes=qtypes.REGISTRY,
                           categories=tree.bank_category_list(bank_id) if bank_id else [])


def _question_or_404(public_id: str):
    """The question, if the person may manage its bank (403 otherwise: its key is not theirs to see)."""
    q = banks.question_by_public_id(public_id)
    if q is None:
        abort(404)
    if not ownership.may_manage_bank(current_user, q.bank):
        abort(403)
    return q


def _bank_or_404(slug: str):
    bank = banks.bank_by_slug(slug)
    if bank is None:
        abort(404)
    if not ownership.may_manage_bank(current_user, bank):
        abort(403)
    return bank


@bp.route("/<public_id>", methods=["GET", "POST"])
@role_required("instructor")
def show(public_id: str):
    """A question with its key, feedback and history; a POST tries an answer on it (Moodle's preview)."""
    q = _question_or_404(public_id)
    number = request.args.get("v", q.current_version, type=int)
    version = next((v for v in q.versions if v.version == number), None)
    if version is None:
        abort(404)
    from lms.accounts.forms import ActionForm
    from lms.assessment.grading import attempts_using, compatible
    usage = {v.id: attempts_using(v.id) for v in q.versions}
    regradable = {v.id for v in q.versions if v.version != q.current_version and usage[v.id]
                  and compatible(v.spec, q.current.spec)}
    from lms.assessment.rubrics import rubric_for_question
    form = ActionForm()
    tried = _try_it(q, version, form)
    return render_template("assessment/question.html", q=q, version=version, spec=version.spec,
                           render=render_text, qtypes=qtypes.REGISTRY, usage=usage, regradable=regradable,
                           form=form, rubric=rubric_for_question(q) if qtypes.get(version.qtype).person_graded else None,
                           tried=tried, kept_because=banks.why_not_delete(q))


def _try_it(q, version, form) -> dict:
    """The question as trainees see it, with the answer just tried and the share of the marks it gets."""
    from lms.assessment.exams import try_answer
    from lms.assessment.rendering import attempt_labels
    form_data = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        form_data = request.form
    item, fraction = try_answer(q.id, version, form_data)
    return {"item": item, "labels": attempt_labels(), "sent": form_data is not None, "fraction": fraction}


@bp.post("/<public_id>/status")
@role_required("instructor")
def set_status(public_id: str):
    """Ready or draft: a draft is never drawn at random into an exam (Moodle's question status)."""
    q = _question_or_404(public_id)
    from lms.accounts.forms import ActionForm
    status = request.form.get("status", "")
    if not ActionForm().validate_on_submit() or status not in banks.STATUSES:
        abort(400)
    if banks.set_status(q, status, user=current_user):
        db.session.commit()
        flash(_("Marked as draft: random sections no longer draw it.") if status == QuestionStatus.DRAFT
              else _("Marked as ready: random sections may draw it."), "success")
    return redirect(url_for("questions.show", public_id=public_id))


@bp.post("/<public_id>/delete")
@role_required("instructor")
def delete(public_id: str):
    """Delete a question that no attempt showed and no exam names (Moodle's delete; a used one is kept)."""
    q = _question_or_404(public_id)
    from lms.accounts.forms import ActionForm
    if not ActionForm().validate_on_submit():
        abort(400)
    bank_id, name = q.bank_id, q.current.name
    try:
        banks.delete_question(q, user=current_user)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("questions.show", public_id=public_id))
    db.session.commit()
    flash(_("Question “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("questions.browse", bank=bank_id))


@bp.get("/<public_id>/regrade/<int:number>")
@role_required("instructor")
def regrade_preview(public_id: str, number: int):
    """The regrade's dry run (as Moodle's): which attempts' grades would change, and who would pass or fail."""
    from lms.accounts.forms import ActionForm
    from lms.assessment import grading
    q = _question_or_404(public_id)
    old = next((v for v in q.versions if v.version == number), None)
    if old is None:
        abort(404)
    try:
        counts, changes, verdicts = grading.regrade_preview(q, old, current_user)
    except grading.ExamError as exc:
        flash(str(exc), "error")
        return redirect(url_for("questions.show", public_id=public_id))
    from lms.accounts.models import User
    people = {uid: db.session.get(User, uid) for uid in {c.attempt.user_id for c in changes}}
    return render_template("assessment/regrade.html", q=q, old=old, counts=counts, changes=changes,
                           verdicts=verdicts, people=people, form=ActionForm())


@bp.post("/<public_id>/regrade/<int:number>")
@role_required("instructor")
def regrade(public_id: str, number: int):
    from lms.accounts.forms import ActionForm
    from lms.assessment import grading
    q = _question_or_404(public_id)
    old = next((v for v in q.versions if v.version == number), None)
    if old is None or not ActionForm().validate_on_submit():
        abort(404 if old is None else 400)
    try:
        done = grading.regrade(q, old, current_user)
    except grading.ExamError as exc:
        flash(str(exc), "error")
    else:
        from lms.accounts.services import audit
        audit(current_user, "question.regrade", q.public_id,
              f"{q.bank.slug} {q.idnumber or '-'} v{old.version}→v{q.current_version}: {done.regraded} regraded, "
              f"{done.kept} kept, {done.left} left")
        db.session.commit()
        flash(_("%(n)d answers given to version %(old)d were regraded with the key of version %(new)d.",
                n=done.regraded, old=old.version, new=q.current_version), "success")
        if done.kept:
            flash(_("%(n)d marks that an instructor gave by hand were kept.", n=done.kept), "info")
        if done.left:
            flash(ngettext("%(num)d answer is in an exam you do not teach, or in your own attempt: it was left "
                           "for that exam's instructors to regrade.",
                           "%(num)d answers are in exams you do not teach, or in your own attempts: they were left "
                           "for those exams' instructors to regrade.", done.left), "info")
    return redirect(url_for("questions.show", public_id=public_id))


def _one_question(source: str) -> tuple[dict | None, list[str]]:
    """The one question a GIFT text written in the browser holds, or the errors, each with its line."""
    try:        # the checks of an import too: the GIFT, the [id:] used once, the level tags
        questions = banks.parse_questions(source.replace("\r\n", "\n"), "gift", "")
    except ContentInvalid as exc:
        return None, [at_line(e.line, e.reason) for e in exc.errors]
    if len(questions) != 1:
        return None, [_("The text must hold exactly one question.")]
    return questions[0], []


@bp.route("/new", methods=["GET", "POST"])
@role_required("instructor")
def new():
    """Write a new question in GIFT, starting from an example of the chosen kind, with a preview."""
    all_banks = ownership.manageable_banks(current_user)
    competencies = current_competencies()
    kind = request.args.get("type", "single")
    if kind not in starters.KINDS:
        kind = "single"
    form = _new_question_form(all_banks, competencies, kind)
    preview, errors = None, []
    if all_banks and form.validate_on_submit():
        question, errors = _one_question(form.source.data)
        if question is not None and form.preview.data:
            preview = {k: v for k, v in question.items() if k not in banks.SPEC_SKIP}
        elif question is not None:
            done, errors = _add_new_question(form, question, all_banks, competencies)
            if done is not None:
                return done
    return render_template("assessment/edit.html", q=None, form=form, preview=preview, errors=errors,
                           render=render_text, qtypes=qtypes.REGISTRY, kinds=starters.KINDS, kind=kind,
                           has_banks=bool(all_banks))


def _new_question_form(all_banks, competencies, kind: str) -> NewQuestionForm:
    """The form with the banks the person manages and the framework's competencies; on the first visit, the
    example of the kind chosen, a bank in the reader's language (or the one asked for) and the competency asked."""
    form = NewQuestionForm()
    form.bank.choices = [(b.slug, f"{b.slug} · {b.title}" if b.title != b.slug else b.slug) for b in all_banks]
    form.competency.choices = [("", _("None, or as the text's $CATEGORY line says"))] + [
        (c.code, f"{c.code} {localized(c, 'name').text}") for c in competencies]
    if request.method == "GET":
        form.source.data = starters.starter(kind)
        same_language = next((b.slug for b in all_banks if b.language == current_lang()), "")    # the example's
        form.bank.data = request.args.get("bank") or same_language
        form.competency.data = request.args.get("competency", "")
    return form


def _add_new_question(form: NewQuestionForm, question: dict, all_banks, competencies):
    """Add the question to the bank chosen: the redirect to it, or None and the errors."""
    bank = next(b for b in all_banks if b.slug == form.bank.data)
    competency = next((c for c in competencies if c.code == form.competency.data), None)
    try:
        created = banks.add_question(bank, question, competency, user=current_user, status=form.status.data)
    except ContentInvalid as exc:
        return None, [at_line(e.line, e.reason) for e in exc.errors]
    db.session.commit()
    flash(_("Question added to %(bank)s.", bank=bank.slug), "success")
    return redirect(url_for("questions.show", public_id=created.public_id)), []


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@role_required("instructor")
def edit(public_id: str):
    q = _question_or_404(public_id)
    form = EditQuestionForm()
    if request.method == "GET":
        form.source.data = question_source(q.current.spec)
    preview, errors = None, []
    if form.validate_on_submit():
        question, errors = _one_question(form.source.data)
        if question is not None:
            spec = banks.keep_xml_only(q.current.spec, {k: v for k, v in question.items() if k not in banks.SPEC_SKIP})
            if spec.get("idnumber") != q.idnumber:
                errors.append(_("The [id:...] of a question cannot change; it was %(id)s.", id=q.idnumber or "—"))
            elif form.preview.data:
                preview = spec
            else:       # a $CATEGORY line moves the question (and aligns it to that category's competency)
                category = banks.category_named(q.bank, form.source.data, q.category.context) or q.category
                if spec == q.current.spec and category.id == q.category_id:
                    flash(_("Nothing changed; no new version was made."), "info")
                    return redirect(url_for("questions.show", public_id=public_id))
                banks.edit_question(q, spec, category, user=current_user)
                db.session.commit()
                flash(_("Saved as version %(n)d. Attempts keep the version they showed.", n=q.current_version),
                      "success")
                return redirect(url_for("questions.show", public_id=public_id))
    return render_template("assessment/edit.html", q=q, form=form, preview=preview, errors=errors, render=render_text,
                           qtypes=qtypes.REGISTRY)


@bp.route("/banks/<slug>/categories", methods=["GET", "POST"])
@role_required("instructor")
def categories(slug: str):
    """A bank's categories, the competency each is aligned to, and renaming them to align a bank from Moodle."""
    from lms.assessment import categories as tree
    bank = _bank_or_404(slug)
    competencies = current_competencies()
    form = CategoryForm()
    form.competency.choices = [("", _("None: as the path says"))] + [
        (c.code, f"{c.code} {localized(c, 'name').text}") for c in competencies]
    errors = {}
    if form.validate_on_submit():
        category = db.session.get(QuestionCategory, form.category.data)
        if category is None or category.bank_id != bank.id:
            abort(404)
        competency = next((c for c in competencies if c.code == form.competency.data), None)
        try:
            renamed = tree.rename(category, form.path.data, competency, current_user)
        except ExamError as exc:
            db.session.rollback()
            errors[category.id] = str(exc)
        else:
            db.session.commit()
            flash(_("Renamed to %(path)s.", path=renamed.path) + " " + (
                _("Aligned to %(code)s.", code=renamed.competency.code) if renamed.competency
                else _("Not aligned to a competency.")), "success")
            return redirect(url_for("questions.categories", slug=slug))
    elif request.method == "POST":
        errors[form.category.data or 0] = "; ".join(e for f in form for e in f.errors)
    return render_template("assessment/categories.html", bank=bank, rows=tree.bank_categories(bank), form=form,
                           errors=errors, serving=ownership.bank_courses(bank),
                           course_form=_course_form(bank) if ownership.may_change_bank_course(current_user, bank) else None)


def _course_form(bank, fill: bool = True):
    """The course a bank belongs to: an administrator chooses any, an instructor one they teach (or keeps the
    one it has)."""
    from lms.assessment.forms import BankCourseForm
    from lms.catalog.models import Course
    from lms.catalog.services import instructor_courses
    form = BankCourseForm()
    owner = db.session.get(Course, bank.course_id) if bank.course_id else None
    courses = instructor_courses(current_user)
    if owner is not None and owner not in courses:
        courses.insert(0, owner)
    form.course.choices = [("", _("No course"))] + [(c.slug, f"{c.code} {localized(c, 'title').text}")
                                                      for c in courses]
    if fill:
        form.course.data = owner.slug if owner else ""
    return form


@bp.post("/banks/<slug>/course")
@role_required("instructor")
def bank_course(slug: str):
    """Set the course a bank belongs to; its instructors then manage the bank."""
    bank = _bank_or_404(slug)
    if not ownership.may_change_bank_course(current_user, bank):
        abort(403)
    form = _course_form(bank, fill=False)
    if not form.validate_on_submit():
        abort(400)
    from lms.catalog.services import course_by_slug
    course = course_by_slug(form.course.data) if form.course.data else None
    if ownership.set_bank_course(bank, course, user=current_user):
        db.session.commit()
        flash(_("%(bank)s now belongs to %(course)s.", bank=bank.slug, course=course.code) if course
              else _("%(bank)s now belongs to no course.", bank=bank.slug), "success")
    return redirect(url_for("questions.categories", slug=slug))


@bp.route("/import", methods=["GET", "POST"])
@body_limit(IMPORT_MAX_BYTES + IMPORT_FORM_SLACK)      # one file (read_import stops past IMPORT_MAX_BYTES) and the form
@role_required("instructor")
def import_file():
    from lms.catalog.services import course_by_slug, instructor_courses
    form = ImportForm()
    form.course.choices = [("", _("No course yet (you and administrators)"))] + [
        (c.slug, f"{c.code} {localized(c, 'title').text}") for c in instructor_courses(current_user)]
    errors = []
    if form.validate_on_submit():
        existing = banks.bank_by_slug(form.bank.data)
        if (not ownership.may_manage_bank(current_user, existing) if existing is not None
                else not ownership.may_create_bank(current_user, form.bank.data)):
            questions, errors = [], [_("The bank %(bank)s belongs to courses you do not teach; import into another "
                                       "bank.", bank=form.bank.data if existing is not None
                                       else banks.family(form.bank.data))]
        else:
            questions, errors = _read_upload(form)
        if not errors:
            bank = banks.get_or_create_bank(form.bank.data, form.language.data, user=current_user,
                                            course=course_by_slug(form.course.data) if form.course.data else None)
            report = banks.import_questions(bank, questions, user=current_user, source="import")
            db.session.commit()
            flash(_("Imported into %(bank)s: %(new)d new, %(ver)d new versions, %(same)d unchanged.",
                    bank=bank.slug, new=report.created, ver=report.updated, same=report.unchanged), "success")
            return redirect(url_for("questions.browse", bank=bank.id))
    return render_template("assessment/import.html", form=form, errors=errors,
                           banks=ownership.manageable_banks(current_user))


def _read_upload(form) -> tuple[list[dict], list[str]]:
    """The questions of the uploaded file, or the errors, each with its file and line."""
    upload = form.file.data
    name = upload.filename or "upload"
    fmt = banks.guess_format(name) if form.fmt.data == "auto" else form.fmt.data
    try:
        return banks.parse_questions(banks.read_import(upload, name).decode("utf-8"), fmt, name), []
    except UnicodeDecodeError:
        return [], [_("%(name)s is not UTF-8 text; save it as UTF-8 and try again.", name=name)]
    except ContentInvalid as exc:
        return [], [str(e) for e in exc.errors]


@bp.get("/export")
@role_required("instructor")
def export():
    bank = _bank_or_404(request.args.get("bank", ""))
    fmt = "xml" if request.args.get("format") == "xml" else "gift"
    text = banks.export_bank(bank, fmt)
    return Response(text, mimetype="application/xml" if fmt == "xml" else "text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{bank.slug}.{fmt}"'})


# --- essay rubrics, in the same YAML as question_banks/rubrics/<slug>.yaml ---

@bp.get("/rubrics")
@role_required("instructor")
def rubrics():
    from lms.assessment import rubrics as svc
    fams = ownership.managed_families(current_user)
    items = [r for r in svc.all_rubrics() if r.bank in fams]        # a rubric is its bank's
    return render_template("assessment/rubrics.html", rubrics=items, used={r.id: svc.scores_used(r) for r in items})


@bp.route("/rubrics/new", methods=["GET", "POST"])
@role_required("instructor")
def new_rubric():
    return _rubric_editor(None)


@bp.route("/rubrics/<slug>", methods=["GET", "POST"])
@role_required("instructor")
def edit_rubric(slug: str):
    from lms.assessment.rubrics import rubric_by_slug
    rubric = rubric_by_slug(slug)
    if rubric is None:
        abort(404)
    if not ownership.may_manage_family(current_user, rubric.bank):
        abort(403)
    return _rubric_editor(rubric)


def _rubric_editor(rubric):
    from lms.assessment.forms import RubricForm
    from lms.assessment.rubrics import new_rubric_yaml, save_rubric_text
    form = RubricForm()
    if request.method == "GET":
        form.source.data = rubric.source if rubric else new_rubric_yaml()
        form.key.data = rubric.slug if rubric else ""
    errors = []
    if form.validate_on_submit():
        slug = rubric.slug if rubric else (form.key.data or "").strip()
        if not slug:
            errors = [_("Give the rubric a name.")]
        else:
            try:
                saved = save_rubric_text(slug, form.source.data.replace("\r\n", "\n"), rubric)
            except ContentInvalid as exc:
                db.session.rollback()
                errors = [at_line(e.line, e.reason) for e in exc.errors]
            else:
                if not ownership.may_manage_family(current_user, saved.bank):     # it may only name a bank of theirs
                    db.session.rollback()
                    return _rubric_refused(rubric, form, saved.bank)
                from lms.accounts.services import audit
                audit(current_user, "rubric.save", saved.slug, saved.bank)
                db.session.commit()
                flash(_("Rubric saved."), "success")
                return redirect(url_for("questions.rubrics"))
    return render_template("assessment/rubric_editor.html", rubric=rubric, form=form, errors=errors)


def _rubric_refused(rubric, form, fam: str):
    errors = [_("The bank %(bank)s belongs to courses you do not teach; a rubric may name only a bank you manage.",
                bank=fam)]
    return render_template("assessment/rubric_editor.html", rubric=rubric, form=form, errors=errors)

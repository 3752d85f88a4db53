"""Project pages: briefs, registration, the sponsor's link, the project page, grading and overviews."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms import signals
from lms.accounts.forms import ActionForm
from lms.accounts.models import Role, User, UserRole
from lms.catalog import services as catalog
from lms.catalog.markdown import render_markdown
from lms.content import ContentInvalid
from lms.core.limits import body_limit
from lms.db import requested_page
from lms.extensions import db
from lms.i18n import at_line
from lms.projects import services as svc
from lms.projects import uploads, worksheets
from lms.projects.briefs import framework_rubrics
from lms.projects.forms import (
    BriefForm,
    DefenceForm,
    OverrideForm,
    RegisterProjectForm,
    SponsorForm,
    StaffForm,
    SubmitForm,
)
from lms.projects.models import Brief, ExaminerRole, GradeRole, Project, SubmissionFile
from lms.security import login_required, role_required

bp = Blueprint("projects", __name__, url_prefix="/projects")


def _brief(public_id: str) -> Brief:
    brief = db.session.scalar(select(Brief).where(Brief.public_id == public_id))
    if brief is None:
        abort(404)
    return brief


def _project(public_id: str, check=svc.can_view) -> Project:
    project = db.session.scalar(select(Project).where(Project.public_id == public_id))
    if project is None:
        abort(404)
    if not check(current_user, project):
        abort(404 if not svc.can_view(current_user, project) else 403)
    return project


def _post_ok() -> bool:
    return ActionForm().validate_on_submit()


@bp.route("")
@login_required
def index():
    mine = list(db.session.scalars(select(Project).where(Project.trainee_id == current_user.id)
                                   .order_by(Project.created_at.desc())))
    coached = list(db.session.scalars(select(Project).where(Project.coach_id == current_user.id)
                                      .order_by(Project.updated_at.desc())))
    briefs = list(db.session.scalars(select(Brief).order_by(Brief.level, Brief.key)))
    staff = {b.id for b in briefs if svc.is_course_staff(current_user, b)}
    queue = svc.grading_queue(current_user) if current_user.has_role("instructor") or current_user.has_role("admin") else []
    return render_template("projects/index.html", mine=mine, coached=coached, briefs=briefs, staff=staff, queue=queue)


@bp.route("/briefs/<public_id>")
@login_required
def brief(public_id: str):
    b = _brief(public_id)
    return render_template("projects/brief.html", brief=b, render_markdown=render_markdown,
                           staff=svc.is_course_staff(current_user, b))


@bp.route("/briefs/<public_id>/register", methods=["GET", "POST"])
@role_required("trainee")
def register(public_id: str):
    b = _brief(public_id)
    form = RegisterProjectForm()
    block = svc.course_block(current_user, b)
    if block is None and form.validate_on_submit():
        try:
            project = svc.register_project(
                current_user, b, title=form.title.data, description=form.description.data,
                trainee_role=form.trainee_role.data, confidential=form.confidential.data,
                sponsor_org=form.sponsor_org.data, sponsor_kind=form.sponsor_kind.data,
                sponsor_name=form.sponsor_name.data, sponsor_email=form.sponsor_email.data)
        except svc.ProjectError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Project registered. We have e-mailed %(name)s a link to confirm it.", name=project.sponsor_name),
                  "success")
            return redirect(url_for("projects.show", public_id=project.public_id))
    return render_template("projects/register.html", brief=b, form=form,
                           block=svc.BLOCK_MESSAGES[block]() if block else None)


@bp.route("/sponsor/<token>", methods=["GET", "POST"])
def sponsor(token: str):
    try:
        project = svc.project_for_token(token)
    except svc.SponsorLinkUnusable as exc:
        return render_template("projects/sponsor.html", problem=str(exc), project=None, form=None), 410
    form = SponsorForm()
    if form.validate_on_submit():
        try:
            svc.sponsor_decide(token, confirm=form.decision.data == "confirm", statement=form.statement.data or "",
                               signed_name=form.signed_name.data, address=request.remote_addr)
        except svc.SponsorLinkUnusable as exc:      # answered meanwhile, from another tab or another click
            db.session.rollback()
            return render_template("projects/sponsor.html", problem=str(exc), project=None, form=None), 410
        except svc.ProjectError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            return render_template("projects/sponsor.html", project=project, form=None, problem=None, done=True)
    return render_template("projects/sponsor.html", project=project, form=form, problem=None)


def _users_with(*roles: str) -> list[User]:
    return list(db.session.scalars(select(User).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True))
                                   .distinct().order_by(User.name_latin, User.email)))


@bp.route("/<public_id>")
@login_required
def show(public_id: str):
    project = _project(public_id)
    staff_form = None
    if svc.can_manage(current_user, project):
        staff_form = StaffForm()
        people = [("", "—")] + [(u.public_id, f"{u.display_name} <{u.email}>") for u in _users_with(Role.INSTRUCTOR)]
        for f in (staff_form.coach, staff_form.lecturer, staff_form.practitioner, staff_form.third):
            f.choices = people
        staff_form.coach.data = project.coach.public_id if project.coach else ""
        for a in project.examiners:
            getattr(staff_form, a.role).data = a.user.public_id
    uploading = None
    if project.trainee_id == current_user.id:
        block = svc.upload_block(project)
        uploading = {"block": svc.BLOCK_MESSAGES[block]() if block else None,
                     "versions": len(project.submissions), "storage": uploads.storage(current_user.id)}
    history = []
    p = project.previous
    while p is not None:
        history.append(p)
        p = p.previous
    return render_template(
        "projects/show.html", project=project, brief=project.brief, passed=svc.overall_passed(project),
        can_resubmit=svc.can_resubmit(project), can_manage=svc.can_manage(current_user, project), form=ActionForm(),
        staff_form=staff_form, submit_form=SubmitForm(), defence_form=DefenceForm(), override_form=OverrideForm(),
        details=svc.can_see_details(current_user, project), downloads=svc.can_download(current_user, project),
        show_grades=svc.grades_visible_to(current_user, project), my_role=svc.examiner_role(current_user, project),
        history=history, worksheets=worksheets, render_markdown=render_markdown, uploading=uploading,
        next_round=db.session.scalar(select(Project).where(Project.previous_id == project.id)))


def _done(project: Project, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("projects.show", public_id=project.public_id))


def _failed(project: Project, exc: Exception):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(url_for("projects.show", public_id=project.public_id))


@bp.route("/<public_id>/sponsor-link", methods=["POST"])
@login_required
def resend(public_id: str):
    project = _project(public_id, lambda u, p: p.trainee_id == u.id or u.has_role("admin"))
    if not _post_ok():
        abort(400)
    try:
        svc.send_sponsor_request(project)
    except svc.ProjectError as exc:
        return _failed(project, exc)
    return _done(project, _("A new link has been sent to %(email)s; earlier links no longer work.",
                            email=project.sponsor_email))


@bp.route("/<public_id>/override", methods=["POST"])
@role_required("admin")
def override(public_id: str):
    project = _project(public_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the override."), "error")
        return redirect(url_for("projects.show", public_id=public_id))
    try:
        svc.override_confirmation(current_user, project, form.reason.data)
    except svc.ProjectError as exc:
        return _failed(project, exc)
    return _done(project, _("The project is confirmed by override; the reason is recorded."))


@bp.route("/<public_id>/staff", methods=["POST"])
@login_required
def staff(public_id: str):
    project = _project(public_id, svc.can_manage)
    form = StaffForm()
    if not form.validate_on_submit():
        abort(400)

    def user(pid):
        return db.session.scalar(select(User).where(User.public_id == pid)) if pid else None
    try:
        coach = user(form.coach.data)
        if (coach.id if coach else None) != project.coach_id:
            svc.assign_coach(current_user, project, coach)
        roles = ["lecturer"] + (["practitioner"] if project.brief.two_examiners else [])
        if form.third.data:
            roles.append("third")
        for role in roles:
            u = user(getattr(form, role).data)
            if u is not None:
                svc.assign_examiner(current_user, project, u, role)
    except svc.ProjectError as exc:
        return _failed(project, exc)
    return _done(project, _("Assignments saved."))


@bp.route("/<public_id>/submit", methods=["POST"])
@body_limit("UPLOAD_REQUEST_MAX_BYTES")
@login_required
def submit(public_id: str):
    project = _project(public_id, lambda u, p: p.trainee_id == u.id)
    form = SubmitForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    files = [(f.filename or "", f.read()) for f in request.files.getlist(form.files.name) if f]
    try:
        sub = svc.submit_files(current_user, project, files, form.note.data or "")
    except svc.ProjectError as exc:
        return _failed(project, exc)
    return _done(project, _("Version %(n)d submitted with %(k)d files.", n=sub.version, k=len(sub.files)))


@bp.route("/<public_id>/files/<file_id>")
@login_required
def download(public_id: str, file_id: str):
    project = _project(public_id, svc.can_download)
    f = db.session.scalar(select(SubmissionFile).where(SubmissionFile.public_id == file_id))
    if f is None or f.submission.project_id != project.id:
        abort(404)
    try:
        path = uploads.path_of(f.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=uploads.KINDS[f.kind][1], as_attachment=True, download_name=f.name)


@bp.route("/<public_id>/worksheet", methods=["GET", "POST"])
@login_required
def worksheet(public_id: str):
    project = _project(public_id, svc.can_see_details)
    if not project.brief.templates:
        abort(404)
    editable = project.trainee_id == current_user.id
    errors = None
    if request.method == "POST":
        if not editable:
            abort(403)
        if not _post_ok():
            abort(400)
        weights = {i.key: request.form.get(f"w-{i.key}", "") for i in worksheets.INDICATORS}
        ratings = {i.key: request.form.get(f"r-{i.key}", "") for i in worksheets.INDICATORS}
        evidence = {i.key: request.form.get(f"e-{i.key}", "") for i in worksheets.INDICATORS}
        trl_ev = {str(n): request.form.get(f"trl-{n}", "") for n in range(1, 10)}
        plan = {key: request.form.get(f"plan-{key}", "") for key, _label in worksheets.PLAN_FIELDS}
        try:
            svc.save_worksheet(current_user, project, weights, ratings, request.form.get("trl", ""), trl_ev,
                               rating_evidence=evidence, trl_scale=request.form.get("trl_scale", ""), trl_plan=plan)
        except svc.ProjectError as exc:
            db.session.rollback()
            errors = str(exc)
        else:
            return _done(project, _("Worksheet saved."))
    return render_template("projects/worksheet.html", project=project, sheet=project.assessment, ws=worksheets,
                           editable=editable, errors=errors, form=ActionForm(), values=request.form)


def _scores_from_form(brief: Brief) -> dict[int, svc.ScoreInput]:
    out = {}
    for cr in brief.criteria:
        raw = request.form.get(f"score-{cr.id}", "").strip()
        try:
            score = int(raw) if raw else None
        except ValueError:
            score = -1
        out[cr.id] = svc.ScoreInput(request.form.get(f"band-{cr.id}") or None, score,
                                    request.form.get(f"comment-{cr.id}", ""))
    return out


@bp.route("/<public_id>/grade", methods=["GET", "POST"])
@login_required
def grade(public_id: str):
    project = _project(public_id)
    agreed = request.args.get("agreed") == "1"
    role = _grading_role(project, agreed)
    errors = None
    if request.method == "POST":
        if not _post_ok():
            abort(400)
        submit_now = request.form.get("action") == "submit"
        try:
            svc.save_grade(current_user, project, role, _scores_from_form(project.brief),
                           request.form.get("overall", ""), submit=submit_now, reason=request.form.get("reason", ""))
        except svc.ProjectError as exc:
            db.session.rollback()
            errors = str(exc)
        else:
            db.session.commit()
            return _grade_saved(project, agreed, submit_now)
    return _grade_page(project, role, agreed, errors)


def _grading_role(project: Project, agreed: bool) -> str:
    """The role the person grades in (their examiner role, or 'agreed'); 403 when they may not."""
    mine = svc.examiner_role(current_user, project)
    if agreed and not (mine in (ExaminerRole.LECTURER, ExaminerRole.PRACTITIONER) or current_user.has_role("admin")):
        abort(403)
    role = GradeRole.AGREED if agreed else mine
    if role is None:
        abort(403)
    return role


def _grade_saved(project: Project, agreed: bool, submitted: bool):
    if submitted:
        flash(_("Grade submitted."), "success")
        return redirect(url_for("projects.show", public_id=project.public_id))
    flash(_("Draft saved; it is not submitted yet."), "success")
    return redirect(url_for("projects.grade", public_id=project.public_id, agreed="1" if agreed else None))


def _grade_page(project: Project, role: str, agreed: bool, errors: str | None):
    """The grading form; for the agreed grade, with the examiners' submitted grades and their means."""
    existing = next((g for g in project.grades if g.examiner_id == current_user.id and g.role == role), None)
    others = [g for g in project.grades if g.submitted_at and g.role in tuple(ExaminerRole)] \
        if agreed else []
    return render_template("projects/grade.html", project=project, brief=project.brief, role=role, grade=existing,
                           errors=errors, form=ActionForm(), values=request.form if errors else None, others=others,
                           means=svc.mean_scores(others) if len(others) >= 2 else {}, ws=worksheets)


@bp.route("/<public_id>/defence", methods=["POST"])
@login_required
def defence(public_id: str):
    project = _project(public_id, lambda u, p: svc.can_manage(u, p) or svc.examiner_role(u, p) is not None)
    form = DefenceForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Give the date, the panel and the outcome of the defence."), "error")
        return redirect(url_for("projects.show", public_id=public_id))
    try:
        svc.record_defence(current_user, project, held_on=form.held_on.data, panel=form.panel.data,
                           outcome=form.outcome.data, notes=form.notes.data or "")
    except svc.ProjectError as exc:
        return _failed(project, exc)
    return _done(project, _("Defence recorded."))


@bp.route("/<public_id>/release", methods=["POST"])
@login_required
def release(public_id: str):
    project = _project(public_id, lambda u, p: svc.can_manage(u, p) or svc.examiner_role(u, p) == ExaminerRole.LECTURER)
    if not _post_ok():
        abort(400)
    try:
        svc.release(current_user, project)
    except svc.ProjectError as exc:
        return _failed(project, exc)
    return _done(project, _("Results released to the trainee, with the feedback; the evidence is recorded."))


@bp.route("/<public_id>/resubmit", methods=["POST"])
@login_required
def resubmit(public_id: str):
    project = _project(public_id, lambda u, p: p.trainee_id == u.id)
    if not _post_ok():
        abort(400)
    try:
        nxt = svc.resubmit(current_user, project)
    except svc.ProjectError as exc:
        return _failed(project, exc)
    db.session.commit()
    flash(_("Second round opened: submit the revised deliverables."), "success")
    return redirect(url_for("projects.show", public_id=nxt.public_id))


@bp.route("/grading")
@role_required("instructor")
def queue():
    return render_template("projects/queue.html", items=svc.grading_queue(current_user))


@bp.route("/briefs/<public_id>/overview")
@role_required("instructor")
def overview(public_id: str):
    b = _brief(public_id)
    if not svc.is_course_staff(current_user, b):
        abort(403)
    stats, pairs = svc.rubric_statistics(b)
    projects = svc.brief_projects(b, page=requested_page())
    return render_template("projects/overview.html", brief=b, projects=projects, stats=stats, pairs=pairs,
                           # course staff (checked above) see every project's details but a confidential one's
                           details={p.id: not p.confidential or svc.can_see_details(current_user, p)
                                    for p in projects.items},
                           passed={p.id: svc.overall_passed(p) for p in projects.items if p.released_at})


# ---------------------------------------------------------------- the brief editor

TEMPLATE = """title: {en: "New project brief", zh: "新项目任务书"}
purpose: {en: "What the trainee does for the sponsor, and what a good result looks like.", zh: "学员为项目单位完成的工作及合格成果的标准。"}
deliverables:
  - {en: "Report", zh: "报告"}
level: %(level)s
pass_mark: 70
two_examiners: true
defence: false
resubmission: true
templates: []
rubric:
  bands:
    - {key: insufficient, label: {en: Insufficient, zh: 不足}, min: 0, max: 49}
    - {key: developing, label: {en: Developing, zh: 发展中}, min: 50, max: 69}
    - {key: proficient, label: {en: Proficient, zh: 熟练}, min: 70, max: 84}
    - {key: excellent, label: {en: Excellent, zh: 优秀}, min: 85, max: 100}
  criteria:
    - key: analysis
      title: {en: "Analysis", zh: "分析"}
      weight: 100
      competency: %(competency)s
      descriptors:
        insufficient: {en: "...", zh: "..."}
        developing: {en: "...", zh: "..."}
        proficient: {en: "...", zh: "..."}
        excellent: {en: "...", zh: "..."}
"""


@bp.route("/teach/courses/<slug>/briefs/new", methods=["GET", "POST"])
@role_required("instructor")
def new_brief(slug: str):
    return _brief_editor(catalog.editable_course_or_abort(current_user, slug), None)


@bp.route("/teach/courses/<slug>/briefs/<key>", methods=["GET", "POST"])
@role_required("instructor")
def edit_brief(slug: str, key: str):
    course = catalog.editable_course_or_abort(current_user, slug)
    b = db.session.scalar(select(Brief).where(Brief.course_id == course.id, Brief.key == key))
    if b is None:
        abort(404)
    return _brief_editor(course, b)


def _brief_editor(course, b: Brief | None):
    from lms.projects.briefs import save_brief_text
    form = BriefForm()
    if request.method == "GET":
        comp = course.competencies[0].competency.code if course.competencies else "D1.1"
        form.source.data = b.source if b else TEMPLATE % {"level": course.level, "competency": comp}
        form.key.data = b.key if b else ""
    errors = []
    if form.validate_on_submit():
        key = b.key if b else (form.key.data or "").strip()
        try:
            saved = save_brief_text(course, key, form.source.data.replace("\r\n", "\n"), b)
        except ContentInvalid as exc:
            db.session.rollback()
            errors = [at_line(e.line, e.reason) for e in exc.errors]
        else:
            db.session.commit()
            flash(_("Brief saved."), "success")
            return redirect(url_for("projects.brief", public_id=saved.public_id))
    return render_template("projects/brief_editor.html", course=course, brief=b, form=form, errors=errors)


# ---------------------------------------------------------------- the catalogue's questions (signals)

def course_briefs(course) -> list[Brief]:
    return list(db.session.scalars(select(Brief).where(Brief.course_id == course.id).order_by(Brief.key)))


def activities(course, *, user) -> dict[str, list[catalog.Activity]]:
    out = []
    for b in course_briefs(course):
        out.append(catalog.Activity(b, url_for("projects.brief", public_id=b.public_id), _("real-project assessment"),
                                    False))
    return {"": out} if out else {}


def editor_links(course) -> list[tuple[str, str]]:
    links = [(_("New project brief"), url_for("projects.new_brief", slug=course.slug))]
    links += [(_("Project brief: %(title)s", title=b.title_en or b.title_zh or b.key),
               url_for("projects.edit_brief", slug=course.slug, key=b.key)) for b in course_briefs(course)]
    return links


def connect_signals() -> None:
    signals.storage_usage.connect(svc.deliverable_bytes, weak=False)
    signals.editor_links.connect(editor_links, weak=False)
    signals.module_activities.connect(activities, weak=False)
    signals.framework_rubrics.connect(framework_rubrics, weak=False)

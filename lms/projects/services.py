"""Projects: registration, the sponsor's confirmation, staff, submissions, grading, reconciliation,
the defence, release with evidence, resubmission, worksheets and statistics.

Functions flush and never commit; the request commits. Who may do what is decided here (``can_*``)
so that views and tests share one rule.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select

from lms.accounts.models import User
from lms.accounts.services import audit, normalise_email
from lms.catalog import services as catalog
from lms.catalog.models import CourseInstructor
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks import evidence
from lms.mail import send_mail
from lms.projects import uploads, worksheets
from lms.projects.models import (
    EXAMINER_ROLES,
    SPONSOR_KINDS,
    Brief,
    CriterionScore,
    Defence,
    ExaminerAssignment,
    Grade,
    Project,
    Submission,
    SubmissionFile,
    TechnologyAssessment,
)

OPEN_STATUSES = ("awaiting_sponsor", "confirmed", "submitted", "grading", "reconciliation", "awaiting_defence", "ready")


class ProjectError(ValueError):
    pass


# ---------------------------------------------------------------- who may do what

def is_course_staff(user, brief: Brief) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    return user.has_role("instructor") and db.session.scalar(
        select(CourseInstructor.id).where(CourseInstructor.course_id == brief.course_id,
                                          CourseInstructor.user_id == user.id)) is not None


def examiner_role(user, project: Project) -> str | None:
    return next((a.role for a in project.examiners if a.user_id == getattr(user, "id", None)), None)


def can_view(user, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (project.trainee_id == user.id or project.coach_id == user.id or examiner_role(user, project) is not None
            or is_course_staff(user, project.brief))


def can_see_details(user, project: Project) -> bool:
    """A confidential project's description, sponsor and files: trainee, coach, examiners and admins only."""
    if not project.confidential:
        return can_view(user, project)
    return (project.trainee_id == user.id or project.coach_id == user.id or examiner_role(user, project) is not None
            or user.has_role("admin"))


def can_download(user, project: Project) -> bool:
    return getattr(user, "is_authenticated", False) and (
        project.trainee_id == user.id or examiner_role(user, project) is not None or user.has_role("admin"))


def can_manage(user, project: Project) -> bool:
    """Assign the coach and examiners, record the defence, release results: course staff and admins."""
    return is_course_staff(user, project.brief)


def grades_visible_to(user, project: Project) -> bool:
    """Examiners see each other's grades only once every examiner has submitted; the trainee after release."""
    if project.trainee_id == user.id and not user.has_role("admin"):
        return project.released_at is not None
    if user.has_role("admin"):
        return True
    role = examiner_role(user, project)
    if role is not None:
        own = next((g for g in project.grades if g.examiner_id == user.id and g.role == role), None)
        return own is not None and own.submitted_at is not None and _all_examiners_submitted(project)
    return is_course_staff(user, project.brief) and _all_examiners_submitted(project)


# ---------------------------------------------------------------- registration and the sponsor

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="project-sponsor")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def register_project(trainee: User, brief: Brief, *, title: str, description: str, trainee_role: str,
                     confidential: bool, sponsor_org: str, sponsor_kind: str, sponsor_name: str,
                     sponsor_email: str) -> Project:
    if not trainee.has_role("trainee"):
        raise ProjectError(_("Only trainees register projects."))
    if sponsor_kind not in SPONSOR_KINDS:
        raise ProjectError(_("Choose the kind of sponsor organisation."))
    if normalise_email(sponsor_email) == normalise_email(trainee.email):
        raise ProjectError(_("The sponsor contact must be another person: the sponsor confirms your role."))
    open_one = db.session.scalar(select(Project.id).where(Project.trainee_id == trainee.id, Project.brief_id == brief.id,
                                                          or_(Project.status.in_(OPEN_STATUSES),
                                                              Project.passed.is_(True))))
    if open_one is not None:
        raise ProjectError(_("You already have a project for this brief."))
    project = Project(brief=brief, trainee=trainee, title=title.strip(), description=description.strip(),
                      trainee_role=trainee_role.strip(), confidential=confidential, sponsor_org=sponsor_org.strip(),
                      sponsor_kind=sponsor_kind, sponsor_name=sponsor_name.strip(),
                      sponsor_email=normalise_email(sponsor_email), status="awaiting_sponsor")
    db.session.add(project)
    db.session.flush()
    send_sponsor_request(project)
    return project


def sponsor_link(project: Project) -> str:
    """A new signed, expiring, one-time link; any earlier link stops working."""
    nonce = secrets.token_urlsafe(16)
    project.sponsor_nonce_hash = _sha(nonce)
    project.sponsor_link_sent_at = utcnow()
    token = _serializer().dumps({"p": project.public_id, "n": nonce})
    return _url("projects.sponsor", token=token)


def send_sponsor_request(project: Project) -> None:
    if project.sponsor_decision is not None:
        raise ProjectError(_("The sponsor has already answered."))
    link = sponsor_link(project)
    days = current_app.config["SPONSOR_LINK_DAYS"]
    trainee = project.trainee.display_name
    body = (f"Dear {project.sponsor_name},\n\n"
            f"{trainee} has registered a real project with {project.sponsor_org} for assessment as a "
            f"technology-transfer manager: \"{project.title}\".\n"
            "Please confirm that the project is real and describe their role, or decline, at this link "
            f"(valid for {days} days, usable once; no account is needed):\n\n{link}\n\n"
            f"{project.sponsor_name} 您好：\n\n"
            f"{trainee} 以贵单位（{project.sponsor_org}）的真实项目“{project.title}”申请技术经理人项目考核。"
            f"请通过以下链接确认项目真实并说明其承担的工作，或予以拒绝（{days} 天内有效，仅可使用一次，无需注册账号）：\n\n"
            f"{link}\n")
    send_mail(project.sponsor_email, "Please confirm a project / 请确认项目", body)


def project_for_token(token: str) -> Project:
    days = current_app.config["SPONSOR_LINK_DAYS"]
    try:
        data = _serializer().loads(token, max_age=days * 86400)
    except SignatureExpired:
        raise ProjectError(_("This link has expired. Ask the trainee to send a new one.")) from None
    except BadSignature:
        raise ProjectError(_("This link is not valid.")) from None
    project = db.session.scalar(select(Project).where(Project.public_id == str(data.get("p"))))
    if project is None:
        raise ProjectError(_("This link is not valid."))
    if project.sponsor_decision is not None:
        raise ProjectError(_("This link has been used: the answer is recorded."))
    if project.sponsor_nonce_hash != _sha(str(data.get("n"))):
        raise ProjectError(_("This link has been replaced by a newer one; use the latest e-mail."))
    return project


def sponsor_decide(token: str, *, confirm: bool, statement: str, signed_name: str, address: str | None) -> Project:
    project = project_for_token(token)
    if confirm and not statement.strip():
        raise ProjectError(_("Describe the trainee's role in the project to confirm it."))
    project.sponsor_decision = "confirmed" if confirm else "declined"
    project.sponsor_statement = statement.strip() or None
    project.sponsor_signed_name = signed_name.strip()
    project.sponsor_decided_at = utcnow()
    project.sponsor_decided_from = (address or "")[:64]
    project.sponsor_nonce_hash = None
    refresh_status(project)
    what = "confirmed / 已确认" if confirm else "declined / 已拒绝"
    send_mail(project.trainee.email, f"Your sponsor answered / 项目单位已答复: {what}",
              f"{project.sponsor_org} {what}: \"{project.title}\".\n\n{_project_url(project)}\n")
    return project


def override_confirmation(actor: User, project: Project, reason: str) -> None:
    if not actor.has_role("admin"):
        raise ProjectError(_("Only an administrator may override the sponsor's confirmation."))
    if not reason.strip():
        raise ProjectError(_("Give the reason for the override."))
    project.override_by_id, project.override_reason = actor.id, reason.strip()
    refresh_status(project)
    audit(actor, "project.override_confirmation", project.public_id, reason.strip())


def _url(endpoint: str, **values) -> str:
    """An absolute link for e-mail, also outside a request (commands, background work)."""
    return current_app.config["LMS_BASE_URL"] + current_app.url_map.bind("localhost").build(endpoint, values)


def _project_url(project: Project) -> str:
    return _url("projects.show", public_id=project.public_id)


# ---------------------------------------------------------------- coach and examiners

def assign_coach(actor: User, project: Project, coach: User | None) -> None:
    if coach is not None and not (coach.has_role("instructor") or coach.has_role("admin")):
        raise ProjectError(_("The coach must be an instructor."))
    if coach is not None and coach.id == project.trainee_id:
        raise ProjectError(_("A trainee cannot coach their own project."))
    project.coach_id = coach.id if coach else None
    audit(actor, "project.coach", project.public_id, coach.email if coach else "-")


def assign_examiner(actor: User, project: Project, user: User, role: str) -> None:
    if role not in EXAMINER_ROLES:
        raise ProjectError(_("Unknown examiner role."))
    if project.released_at is not None:
        raise ProjectError(_("The results have been released; examiners can no longer change."))
    if not (user.has_role("instructor") or user.has_role("admin")):
        raise ProjectError(_("Examiners must be instructors."))
    if user.id == project.trainee_id:
        raise ProjectError(_("Nobody examines their own project."))
    brief = project.brief
    lecturers = set(db.session.scalars(select(CourseInstructor.user_id).where(CourseInstructor.course_id == brief.course_id)))
    if role == "lecturer" and user.id not in lecturers:
        raise ProjectError(_("The lecturer examiner must be an instructor of the course."))
    if role == "practitioner":
        if not brief.two_examiners:
            raise ProjectError(_("This brief is graded by one examiner."))
        if user.id in lecturers or user.id == project.coach_id:
            raise ProjectError(_("The practitioner examiner must be independent: not an instructor of the course "
                                 "and not the project's coach."))
    if role == "third":
        if not actor.has_role("admin"):
            raise ProjectError(_("Only an administrator assigns a third examiner."))
        if project.status != "reconciliation":
            raise ProjectError(_("A third examiner is assigned only when the two grades must be reconciled."))
    if any(a.user_id == user.id and a.role != role for a in project.examiners):
        raise ProjectError(_("This person already examines this project in another role; one person, one role."))
    current = next((a for a in project.examiners if a.role == role), None)
    if current is not None and current.user_id == user.id:
        return
    if current is not None:
        if any(g.examiner_id == current.user_id and g.role == role and g.submitted_at for g in project.grades):
            raise ProjectError(_("This examiner has already submitted a grade and cannot be replaced."))
        project.examiners.remove(current)
        db.session.flush()
    project.examiners.append(ExaminerAssignment(user_id=user.id, role=role, assigned_by_id=actor.id))
    db.session.flush()
    audit(actor, "project.examiner", project.public_id, f"{role}: {user.email}")
    send_mail(user.email, "You are an examiner / 您被指定为项目考官",
              f"You have been assigned as the {role} examiner of \"{project.title}\" "
              f"({brief.title_en or brief.title_zh}).\n您被指定为项目“{project.title}”的考官。\n\n"
              f"{_project_url(project)}\n")


# ---------------------------------------------------------------- submissions

def _grading_started(project: Project) -> bool:
    return any(g.submitted_at for g in project.grades)


def submit_files(trainee: User, project: Project, files: list[tuple[str, bytes]], note: str = "") -> Submission:
    """A new version with every file checked first: one bad file refuses the whole submission."""
    if project.trainee_id != trainee.id:
        raise ProjectError(_("Only the trainee submits deliverables."))
    if project.status == "declined":
        raise ProjectError(_("The sponsor declined this project; it cannot be submitted."))
    if project.released_at is not None or _grading_started(project):
        raise ProjectError(_("Grading has started; a new version can no longer be submitted."))
    files = [(n, d) for n, d in files if n or d]
    if not files:
        raise ProjectError(_("Choose at least one file."))
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    errors, kinds = [], []
    for name, data in files:
        try:
            kinds.append(uploads.check_upload(name, data, limit))
        except uploads.UploadRejected as exc:
            errors.append(str(exc))
    if errors:
        raise ProjectError(" ".join(errors))
    version = max((s.version for s in project.submissions), default=0) + 1
    sub = Submission(version=version, note=note.strip() or None)
    written: list[str] = []
    try:
        for (name, data), kind in zip(files, kinds, strict=True):
            stored, sha = uploads.store(data)
            written.append(stored)
            sub.files.append(SubmissionFile(name=name, stored_name=stored, kind=kind, size=len(data), sha256=sha))
        project.submissions.append(sub)
        refresh_status(project)
        db.session.flush()
    except Exception:
        for stored in written:
            uploads.remove(stored)
        raise
    return sub


# ---------------------------------------------------------------- grading

@dataclass
class ScoreInput:
    band: str | None
    score: int | None
    comment: str


def _examiner_grades(project: Project) -> dict[str, Grade]:
    return {g.role: g for g in project.grades if g.role in EXAMINER_ROLES and g.submitted_at}


def _required_roles(project: Project) -> list[str]:
    return ["lecturer", "practitioner"] if project.brief.two_examiners else ["lecturer"]


def _all_examiners_submitted(project: Project) -> bool:
    done = _examiner_grades(project)
    return all(r in done for r in _required_roles(project))


def grade_passes(brief: Brief, total: float, scores: dict[int, float]) -> bool:
    if total < brief.pass_mark:
        return False
    return all(cr.min_score is None or scores.get(cr.id, 0) >= cr.min_score for cr in brief.criteria)


def weighted_total(brief: Brief, scores: dict[int, float]) -> float:
    return round(sum(cr.weight * scores[cr.id] for cr in brief.criteria) / 100, 1)


def failed_minimums(brief: Brief, scores: dict) -> list:
    return [cr for cr in brief.criteria if cr.min_score is not None and scores.get(cr.id, 0) < cr.min_score]


def save_grade(user: User, project: Project, role: str, scores: dict[int, ScoreInput], overall: str, *,
               submit: bool, reason: str = "") -> Grade:
    """An examiner's grade (role lecturer/practitioner/third), or the agreed grade (role 'agreed')."""
    brief = project.brief
    if not project.is_confirmed:
        raise ProjectError(_("Grading needs the sponsor's confirmation (or an administrator's override)."))
    if not project.submissions:
        raise ProjectError(_("Nothing has been submitted yet."))
    if project.released_at is not None:
        raise ProjectError(_("The results have been released; grades can no longer change."))
    if role == "agreed":
        if project.status != "reconciliation":
            raise ProjectError(_("An agreed grade is recorded only during reconciliation."))
        if examiner_role(user, project) not in ("lecturer", "practitioner") and not user.has_role("admin"):
            raise ProjectError(_("Only the two examiners or an administrator record the agreed grade."))
        if submit and not reason.strip():
            raise ProjectError(_("Give the reason for the agreed grade."))
        if any(g.role == "third" and g.submitted_at for g in project.grades):
            raise ProjectError(_("A third examiner has graded; the final grade follows from the three grades."))
    elif examiner_role(user, project) != role:
        raise ProjectError(_("You are not this project's %(role)s examiner.", role=role))
    grade = next((g for g in project.grades if g.examiner_id == user.id and g.role == role), None)
    if grade is not None and grade.submitted_at is not None:
        raise ProjectError(_("This grade has been submitted and can no longer change."))
    errors, values = [], {}
    for cr in brief.criteria:
        title = cr.title_en or cr.title_zh
        s = scores.get(cr.id) or ScoreInput(None, None, "")
        if s.score is None or s.band is None:
            if submit:
                errors.append(_("%(c)s: choose a band and give a score.", c=title))
            continue
        band = next((b for b in brief.bands if b["key"] == s.band), None)
        if band is None:
            errors.append(_("%(c)s: unknown band.", c=title))
        elif not band["min"] <= s.score <= band["max"]:
            errors.append(_("%(c)s: the score %(s)d is outside the band you chose (%(lo)d–%(hi)d).", c=title,
                            s=s.score, lo=band["min"], hi=band["max"]))
        values[cr.id] = s
    if submit and not overall.strip():
        errors.append(_("Write an overall comment for the trainee."))
    if errors:
        raise ProjectError(" ".join(errors))
    if grade is None:
        grade = Grade(examiner_id=user.id, role=role)
        project.grades.append(grade)
    existing = {s.criterion_id: s for s in grade.scores}
    for cid, s in values.items():
        row = existing.get(cid)
        if row is None:
            row = CriterionScore(criterion_id=cid, band=s.band, score=s.score)
            grade.scores.append(row)
        row.band, row.score, row.comment = s.band, s.score, s.comment.strip() or None
    grade.overall_comment = overall.strip() or None
    grade.reason = reason.strip() or None
    if len(values) == len(brief.criteria):
        plain = {cid: s.score for cid, s in values.items()}
        grade.total = weighted_total(brief, plain)
        grade.passed = grade_passes(brief, grade.total, plain)
    if submit:
        grade.submitted_at = utcnow()
        audit(user, "project.grade", project.public_id, f"{role}: {grade.total}")
    db.session.flush()
    refresh_status(project)
    return grade


def _mean_scores(grades: list[Grade]) -> dict[int, float]:
    out: dict[int, float] = {}
    for cid in {s.criterion_id for s in grades[0].scores}:
        out[cid] = round(sum(g.score_for(cid).score for g in grades) / len(grades), 1)
    return out


def needs_reconciliation(project: Project, a: Grade, b: Grade) -> bool:
    limit = current_app.config["GRADE_DIFFERENCE"]
    return abs(a.total - b.total) > limit or a.passed != b.passed


def _final(project: Project) -> tuple[dict[int, float], str] | None:
    """The final criterion scores and the reason, or None while grading or reconciliation is open."""
    brief = project.brief
    done = _examiner_grades(project)
    if not all(r in done for r in _required_roles(project)):
        return None
    if not brief.two_examiners:
        g = done["lecturer"]
        return {s.criterion_id: float(s.score) for s in g.scores}, "single examiner"
    a, b = done["lecturer"], done["practitioner"]
    limit = current_app.config["GRADE_DIFFERENCE"]
    if not needs_reconciliation(project, a, b):
        return _mean_scores([a, b]), (f"mean of the two examiners' grades ({a.total:g} and {b.total:g}; "
                                      f"difference {abs(a.total - b.total):g} ≤ {limit:g}, same pass/fail)")
    agreed = next((g for g in project.grades if g.role == "agreed" and g.submitted_at), None)
    if agreed is not None:
        return ({s.criterion_id: float(s.score) for s in agreed.scores},
                f"agreed by {agreed.examiner.display_name} after reconciliation: {agreed.reason}")
    third = done.get("third")
    if third is not None:
        trio = [a, b, third]
        pairs = [(trio[i], trio[j]) for i in range(3) for j in range(i + 1, 3)]
        x, y = min(pairs, key=lambda p: abs(p[0].total - p[1].total))
        return _mean_scores([x, y]), (f"third examiner: mean of the two closest grades ({x.total:g} and {y.total:g}; "
                                      f"all three: {a.total:g}, {b.total:g}, {third.total:g})")
    return None


def refresh_status(project: Project) -> str:
    """Work out where the project stands, fixing the final result when the grades allow."""
    if project.released_at is not None:
        status = "released"
    elif not project.is_confirmed:
        status = "declined" if project.sponsor_decision == "declined" else "awaiting_sponsor"
    elif not project.submissions:
        status = "confirmed"
    else:
        final = _final(project)
        if final is None:
            done = _examiner_grades(project)
            two = all(r in done for r in _required_roles(project))
            status = "reconciliation" if two else "grading"
            project.final_score = project.passed = project.final_reason = project.final_scores = None
        else:
            scores, reason = final
            brief = project.brief
            project.final_scores = {cr.key: scores[cr.id] for cr in brief.criteria if cr.id in scores}
            project.final_score = weighted_total(brief, scores)
            project.passed = grade_passes(brief, project.final_score, scores)
            project.final_reason = reason
            status = "awaiting_defence" if brief.defence_required and project.defence is None else "ready"
    project.status = status
    return status


def record_defence(actor: User, project: Project, *, held_on: date, panel: str, outcome: str, notes: str) -> None:
    if not (can_manage(actor, project) or examiner_role(actor, project)):
        raise ProjectError(_("Only the examiners, the course's instructors or an administrator record the defence."))
    if not project.brief.defence_required:
        raise ProjectError(_("This brief has no oral defence."))
    if project.released_at is not None:
        raise ProjectError(_("The results have been released."))
    if outcome not in ("passed", "failed"):
        raise ProjectError(_("Choose the outcome of the defence."))
    if not panel.strip():
        raise ProjectError(_("Name the members of the panel."))
    if project.defence is None:
        project.defence = Defence(held_on=held_on, panel=panel.strip(), outcome=outcome, notes=notes.strip() or None,
                                  recorded_by_id=actor.id)
    else:
        d = project.defence
        d.held_on, d.panel, d.outcome, d.notes, d.recorded_by_id = held_on, panel.strip(), outcome, notes.strip() or None, actor.id
    db.session.flush()
    refresh_status(project)
    audit(actor, "project.defence", project.public_id, outcome)


def overall_passed(project: Project) -> bool:
    if not project.passed:
        return False
    return not project.brief.defence_required or (project.defence is not None and project.defence.outcome == "passed")


def release(actor: User, project: Project) -> None:
    """Release the final grade with all feedback together, and write the evidence of each criterion."""
    if not (can_manage(actor, project) or examiner_role(actor, project) == "lecturer"):
        raise ProjectError(_("Only the lecturer examiner, the course's instructors or an administrator release results."))
    refresh_status(project)
    if project.status != "ready":
        raise ProjectError(_("The results are not ready: every grade (and the defence, where required) must be in."))
    project.released_at = utcnow()
    brief = project.brief
    for cr in brief.criteria:
        score = project.final_scores.get(cr.key)
        if score is None:
            continue
        band = brief.band_for(score) or {}
        evidence.record(project.trainee_id, cr.competency_id, band.get("level") or brief.level, score / 100,
                        "project", f"project:{project.public_id}:{cr.id}")
    project.status = "released"
    catalog.notify_progress(project.trainee)
    audit(actor, "project.release", project.public_id, f"{project.final_score} {'pass' if overall_passed(project) else 'fail'}")
    verdict = "passed / 通过" if overall_passed(project) else "not passed / 未通过"
    send_mail(project.trainee.email, "Your project results / 项目考核结果",
              f"The results of \"{project.title}\" are released: {project.final_score:g} / 100, {verdict}.\n"
              f"项目“{project.title}”的考核结果已发布：{project.final_score:g} 分，{verdict}。\n\n{_project_url(project)}\n")


def can_resubmit(project: Project) -> bool:
    return (project.released_at is not None and not overall_passed(project) and project.brief.resubmission_allowed
            and project.round == 1 and db.session.scalar(select(Project.id).where(Project.previous_id == project.id)) is None)


def resubmit(trainee: User, project: Project) -> Project:
    """Open the second (and last) round after a fail: same sponsor confirmation, coach and examiners."""
    if project.trainee_id != trainee.id:
        raise ProjectError(_("Only the trainee resubmits."))
    if not can_resubmit(project):
        raise ProjectError(_("This project cannot be resubmitted."))
    fields = ("title", "description", "trainee_role", "confidential", "sponsor_org", "sponsor_kind", "sponsor_name",
              "sponsor_email", "sponsor_decision", "sponsor_statement", "sponsor_signed_name", "sponsor_decided_at",
              "sponsor_decided_from", "override_by_id", "override_reason", "coach_id")
    nxt = Project(brief=project.brief, trainee_id=project.trainee_id, round=project.round + 1, previous_id=project.id,
                  **{f: getattr(project, f) for f in fields})
    nxt.examiners = [ExaminerAssignment(user_id=a.user_id, role=a.role, assigned_by_id=a.assigned_by_id)
                     for a in project.examiners if a.role != "third"]
    db.session.add(nxt)
    refresh_status(nxt)
    db.session.flush()
    return nxt


# ---------------------------------------------------------------- worksheets

def save_worksheet(trainee: User, project: Project, weights: dict[str, str], ratings: dict[str, str],
                   trl: str, trl_evidence: dict[str, str]) -> TechnologyAssessment:
    if project.trainee_id != trainee.id:
        raise ProjectError(_("Only the trainee fills in the worksheets."))
    if project.released_at is not None or _grading_started(project):
        raise ProjectError(_("Grading has started; the worksheets can no longer change."))
    templates = project.brief.templates
    errors = []
    sheet = project.assessment or TechnologyAssessment()
    if "technology_rating" in templates:
        w = {}
        for ind in worksheets.INDICATORS:
            try:
                w[ind.key] = float(weights.get(ind.key, ""))
                if not 0 <= w[ind.key] <= 1:
                    raise ValueError
            except ValueError:
                errors.append(_("%(i)s: the weight must be a number from 0 to 1.", i=ind.label))
            if ratings.get(ind.key) not in worksheets.POINTS:
                errors.append(_("%(i)s: choose a rating from A to E.", i=ind.label))
        if len(w) == len(worksheets.INDICATORS) and abs(sum(w.values()) - 1) > 0.001:
            errors.append(_("The weights add up to %(s)s; they must add up to 1.", s=f"{sum(w.values()):.3f}"))
        if not errors:
            sheet.weights = w
            sheet.ratings = {i.key: ratings[i.key] for i in worksheets.INDICATORS}
            sheet.score = worksheets.weighted_score(w, sheet.ratings)
            sheet.grade = worksheets.letter_grade(sheet.score)
    if "trl" in templates:
        try:
            level = int(trl)
            if not 1 <= level <= 9:
                raise ValueError
        except ValueError:
            errors.append(_("Choose the TRL you claim, from 1 to 9."))
            level = None
        if level:
            ev = {str(n): (trl_evidence.get(str(n)) or "").strip() for n in range(1, level + 1)}
            missing = [n for n, text in ev.items() if not text]
            if missing:
                errors.append(_("Give the evidence for every level claimed; missing for TRL %(levels)s.",
                                levels=", ".join(missing)))
            elif not errors:
                sheet.trl, sheet.trl_evidence = level, ev
    if errors:
        raise ProjectError(" ".join(str(e) for e in errors))
    project.assessment = sheet
    db.session.flush()
    return sheet


# ---------------------------------------------------------------- queues and statistics

def grading_queue(user: User) -> list[tuple[Project, str]]:
    """Projects waiting for this examiner's grade (or for an agreed grade), oldest first."""
    rows = db.session.execute(select(Project, ExaminerAssignment.role).join(ExaminerAssignment)
                              .where(ExaminerAssignment.user_id == user.id,
                                     Project.status.in_(("grading", "reconciliation", "awaiting_defence", "ready")))
                              .order_by(Project.updated_at)).all()
    out = []
    for project, role in rows:
        mine = next((g for g in project.grades if g.examiner_id == user.id and g.role == role), None)
        if project.status == "grading" and (mine is None or mine.submitted_at is None):
            out.append((project, role))
        elif project.status == "reconciliation" and role in ("lecturer", "practitioner", "third") and \
                (role != "third" or mine is None or mine.submitted_at is None):
            out.append((project, role))
        elif project.status in ("awaiting_defence", "ready") and role == "lecturer":
            out.append((project, role))
    return out


def trainee_projects(user: User) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.trainee_id == user.id)
                                   .order_by(Project.created_at.desc())))


def brief_projects(brief: Brief) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.brief_id == brief.id).order_by(Project.created_at)))


@dataclass
class CriterionStats:
    criterion: object
    mean: float | None
    n: int
    within_one_band: float | None     # share of double-graded projects whose two bands differ by at most one
    same_band: float | None


def rubric_statistics(brief: Brief) -> tuple[list[CriterionStats], int]:
    grades = list(db.session.scalars(select(Grade).join(Project).where(
        Project.brief_id == brief.id, Grade.role.in_(EXAMINER_ROLES), Grade.submitted_at.is_not(None))))
    by_project: dict[int, dict[str, Grade]] = {}
    for g in grades:
        by_project.setdefault(g.project_id, {})[g.role] = g
    pairs = [(d["lecturer"], d["practitioner"]) for d in by_project.values() if "lecturer" in d and "practitioner" in d]
    out = []
    for cr in brief.criteria:
        values = [s.score for g in grades if (s := g.score_for(cr.id))]
        within = same = 0
        n_pairs = 0
        for a, b in pairs:
            sa, sb = a.score_for(cr.id), b.score_for(cr.id)
            if sa and sb:
                n_pairs += 1
                gap = abs(brief.band_index(sa.band) - brief.band_index(sb.band))
                within += gap <= 1
                same += gap == 0
        out.append(CriterionStats(cr, round(sum(values) / len(values), 1) if values else None, len(values),
                                  within / n_pairs if n_pairs else None, same / n_pairs if n_pairs else None))
    return out, len(pairs)


def briefs_for(user: User) -> list[Brief]:
    return list(db.session.scalars(select(Brief).order_by(Brief.level, Brief.key)))

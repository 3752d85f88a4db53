"""Projects: registration and the sponsor's confirmation, coach and examiners, submissions and the
trainee's worksheets. Grading is in ``grading.py``, who may do what in ``rules.py``; both are re-exported
here so that views and templates reach the feature through one module. Functions flush and never commit.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.accounts.services import audit, normalise_email
from lms.catalog.models import CourseInstructor, Enrolment
from lms.db import utcnow
from lms.extensions import db
from lms.mail import queue_mail
from lms.projects import uploads, worksheets
from lms.projects.grading import (  # noqa: F401 - the feature's API
    CriterionStats,
    ScoreInput,
    can_resubmit,
    grades_visible_to,
    grading_queue,
    mean_scores,
    overall_passed,
    record_defence,
    refresh_status,
    release,
    resubmit,
    rubric_statistics,
    save_grade,
)
from lms.projects.models import (
    EXAMINER_ROLES,
    SPONSOR_KINDS,
    Brief,
    ExaminerAssignment,
    Project,
    ProjectStatus,
    SponsorDecision,
    SponsorMail,
    Submission,
    SubmissionFile,
    TechnologyAssessment,
)
from lms.projects.rules import (  # noqa: F401 - the feature's API
    OPEN_STATUSES,
    ProjectError,
    SponsorLinkUnusable,
    can_download,
    can_manage,
    can_see_details,
    can_view,
    examiner_role,
    is_course_staff,
    project_url,
)
from lms.urls import absolute_url


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="project-sponsor")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def register_project(trainee: User, brief: Brief, *, title: str, description: str, trainee_role: str,
                     confidential: bool, sponsor_org: str, sponsor_kind: str, sponsor_name: str,
                     sponsor_email: str) -> Project:
    if not trainee.has_role("trainee"):
        raise ProjectError(_("Only trainees register projects."))
    block = course_block(trainee, brief)
    if block is not None:
        raise ProjectError(BLOCK_MESSAGES[block]())
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
                      sponsor_email=normalise_email(sponsor_email), status=ProjectStatus.AWAITING_SPONSOR)
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
    return absolute_url("projects.sponsor", token=token)


def sponsor_mails_today(project: Project) -> int:
    """Confirmation e-mails sent to the project's sponsor in the last 24 hours."""
    since = utcnow() - timedelta(days=1)
    return db.session.scalar(select(func.count()).select_from(SponsorMail)
                             .where(SponsorMail.project_id == project.id, SponsorMail.sent_at > since))


MAIL_TITLE_MAX = 120
_LINKISH = [(re.compile(r":(?=/)"), "[:]"), (re.compile(r"@"), "[at]"), (re.compile(r"(?<=\w)\.(?=[^\W\d_])"), "[.]")]


def mail_title(title: str) -> str:
    """The project's title as it may appear in mail to an outside address: one line, at most
    MAIL_TITLE_MAX characters, and nothing a mail program would turn into a link (``http[:]//``,
    ``example[.]com``, ``name[at]example[.]com``)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in title).split())
    if len(text) > MAIL_TITLE_MAX:
        text = text[:MAIL_TITLE_MAX - 1].rstrip() + "…"
    for pattern, replacement in _LINKISH:
        text = pattern.sub(replacement, text)
    return text


def send_sponsor_request(project: Project) -> None:
    """E-mail the sponsor a new link. The mail carries the platform's own words, the project's title and the
    link, nothing else the trainee typed; a project sends at most SPONSOR_MAILS_PER_DAY in 24 hours."""
    if project.sponsor_decision is not None:
        raise ProjectError(_("The sponsor has already answered."))
    link = sponsor_link(project)
    db.session.flush()       # the new nonce's UPDATE holds the project's row: parallel requests count in turn
    limit = current_app.config["SPONSOR_MAILS_PER_DAY"]
    if sponsor_mails_today(project) >= limit:
        raise ProjectError(_("The sponsor has already been sent %(n)d e-mails about this project in the last "
                             "24 hours, the most allowed; you can send a new link tomorrow.", n=limit))
    db.session.add(SponsorMail(project_id=project.id))
    db.session.flush()
    queue_mail(project.sponsor_email, "sponsor_confirm", title=mail_title(project.title), link=link,
               days=current_app.config["SPONSOR_LINK_DAYS"])


def project_for_token(token: str) -> Project:
    days = current_app.config["SPONSOR_LINK_DAYS"]
    try:
        data = _serializer().loads(token, max_age=days * 86400)
    except SignatureExpired:
        raise SponsorLinkUnusable(_("This link has expired. Ask the trainee to send a new one.")) from None
    except BadSignature:
        raise SponsorLinkUnusable(_("This link is not valid.")) from None
    project = db.session.scalar(select(Project).where(Project.public_id == str(data.get("p"))))
    if project is None:
        raise SponsorLinkUnusable(_("This link is not valid."))
    if project.sponsor_decision is not None:
        raise SponsorLinkUnusable(_("This link has been used: the answer is recorded."))
    if project.sponsor_nonce_hash != _sha(str(data.get("n"))):
        raise SponsorLinkUnusable(_("This link has been replaced by a newer one; use the latest e-mail."))
    return project


def sponsor_decide(token: str, *, confirm: bool, statement: str, signed_name: str, address: str | None) -> Project:
    """Record the sponsor's answer once: the answer is written only where none is recorded and the link is
    still the current one, in one UPDATE, so of two answers sent at once one is recorded (and mailed)."""
    project = project_for_token(token)
    if confirm and not statement.strip():
        raise ProjectError(_("Describe the trainee's role in the project to confirm it."))
    written = db.session.execute(
        update(Project)
        .where(Project.id == project.id, Project.sponsor_decision.is_(None),
               Project.sponsor_nonce_hash == project.sponsor_nonce_hash)
        .values(sponsor_decision=SponsorDecision.CONFIRMED if confirm else SponsorDecision.DECLINED,
                sponsor_statement=statement.strip() or None,
                sponsor_signed_name=signed_name.strip(), sponsor_decided_at=utcnow(),
                sponsor_decided_from=(address or "")[:64], sponsor_nonce_hash=None)
        .execution_options(synchronize_session=False))
    if written.rowcount != 1:
        raise SponsorLinkUnusable(_("This link has been used: the answer is recorded."))
    db.session.refresh(project)
    refresh_status(project)
    db.session.flush()
    queue_mail(project.trainee.email, "sponsor_answered", project=project, confirmed=confirm, url=project_url(project))
    return project


def override_confirmation(actor: User, project: Project, reason: str) -> None:
    if not actor.has_role("admin"):
        raise ProjectError(_("Only an administrator may override the sponsor's confirmation."))
    if not reason.strip():
        raise ProjectError(_("Give the reason for the override."))
    project.override_by_id, project.override_reason = actor.id, reason.strip()
    refresh_status(project)
    audit(actor, "project.override_confirmation", project.public_id, reason.strip())

def assign_coach(actor: User, project: Project, coach: User | None) -> None:
    if coach is not None and not (coach.has_role("instructor") or coach.has_role("admin")):
        raise ProjectError(_("The coach must be an instructor."))
    if coach is not None and coach.id == project.trainee_id:
        raise ProjectError(_("A trainee cannot coach their own project."))
    project.coach_id = coach.id if coach else None
    audit(actor, "project.coach", project.public_id, coach.email if coach else "-")


def _check_examiner(project: Project, user: User, role: str) -> None:
    """Rules for anyone examining: a known role, results not released, an instructor, not the trainee."""
    if role not in EXAMINER_ROLES:
        raise ProjectError(_("Unknown examiner role."))
    if project.released_at is not None:
        raise ProjectError(_("The results have been released; examiners can no longer change."))
    if not (user.has_role("instructor") or user.has_role("admin")):
        raise ProjectError(_("Examiners must be instructors."))
    if user.id == project.trainee_id:
        raise ProjectError(_("Nobody examines their own project."))


def _course_lecturers(brief: Brief) -> set[int]:
    return set(db.session.scalars(select(CourseInstructor.user_id).where(CourseInstructor.course_id == brief.course_id)))


def _check_lecturer(actor: User, project: Project, user: User) -> None:
    if user.id not in _course_lecturers(project.brief):
        raise ProjectError(_("The lecturer examiner must be an instructor of the course."))


def _check_practitioner(actor: User, project: Project, user: User) -> None:
    if not project.brief.two_examiners:
        raise ProjectError(_("This brief is graded by one examiner."))
    if user.id in _course_lecturers(project.brief) or user.id == project.coach_id:
        raise ProjectError(_("The practitioner examiner must be independent: not an instructor of the course "
                             "and not the project's coach."))


def _check_third(actor: User, project: Project, user: User) -> None:
    if not actor.has_role("admin"):
        raise ProjectError(_("Only an administrator assigns a third examiner."))
    if project.status != ProjectStatus.RECONCILIATION:
        raise ProjectError(_("A third examiner is assigned only when the two grades must be reconciled."))


# the rule of each examiner role, beyond those every examiner meets
_ROLE_CHECKS = {"lecturer": _check_lecturer, "practitioner": _check_practitioner, "third": _check_third}


def _replace_examiner(project: Project, current: ExaminerAssignment, role: str) -> None:
    """Take the role's current examiner off, unless they have submitted a grade."""
    if any(g.examiner_id == current.user_id and g.role == role and g.submitted_at for g in project.grades):
        raise ProjectError(_("This examiner has already submitted a grade and cannot be replaced."))
    project.examiners.remove(current)
    db.session.flush()


def assign_examiner(actor: User, project: Project, user: User, role: str) -> None:
    _check_examiner(project, user, role)
    _ROLE_CHECKS[role](actor, project, user)
    brief = project.brief
    if any(a.user_id == user.id and a.role != role for a in project.examiners):
        raise ProjectError(_("This person already examines this project in another role; one person, one role."))
    current = next((a for a in project.examiners if a.role == role), None)
    if current is not None and current.user_id == user.id:
        return
    if current is not None:
        _replace_examiner(project, current, role)
    project.examiners.append(ExaminerAssignment(user_id=user.id, role=role, assigned_by_id=actor.id))
    db.session.flush()
    audit(actor, "project.examiner", project.public_id, f"{role}: {user.email}")
    queue_mail(user.email, "examiner_assigned", role=role, project=project, brief=brief, url=project_url(project))


# ---------------------------------------------------------------- submissions

def _grading_started(project: Project) -> bool:
    return any(g.submitted_at for g in project.grades)


# why a trainee may not register a project or submit deliverables (None: they may)
BLOCK_MESSAGES = {
    "course_closed": lambda: _("Projects for this brief open when its course is published."),
    "not_enrolled": lambda: _("Enrol in the brief's course first: real projects are for trainees enrolled in it."),
    "declined": lambda: _("The sponsor declined this project; it cannot be submitted."),
    "awaiting_sponsor": lambda: _("Deliverables can be submitted once the sponsor has confirmed the project "
                                  "(or an administrator has confirmed it for them)."),
    "grading_started": lambda: _("Grading has started; a new version can no longer be submitted."),
    "versions_used": lambda: _("All %(n)d versions allowed for this project have been submitted.",
                               n=current_app.config["PROJECT_MAX_VERSIONS"]),
}


def course_block(trainee: User, brief: Brief) -> str | None:
    """``course_closed`` or ``not_enrolled`` when the trainee cannot work on the brief's projects, else None."""
    if not brief.course.is_published:
        return "course_closed"
    enrolled = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == trainee.id,
                                                            Enrolment.course_id == brief.course_id))
    return None if enrolled is not None else "not_enrolled"


def upload_block(project: Project) -> str | None:
    """Why the trainee cannot submit a new version now (a key of BLOCK_MESSAGES), or None."""
    if project.released_at is not None or _grading_started(project):
        return "grading_started"
    if not project.is_confirmed:
        return "declined" if project.sponsor_decision == SponsorDecision.DECLINED else "awaiting_sponsor"
    block = course_block(project.trainee, project.brief)
    if block is not None:
        return block
    if len(project.submissions) >= current_app.config["PROJECT_MAX_VERSIONS"]:
        return "versions_used"
    return None


def submit_files(trainee: User, project: Project, files: list[tuple[str, bytes]], note: str = "") -> Submission:
    """A new version with every file checked first: one bad file refuses the whole submission, and a refused
    submission leaves no file and no row."""
    if project.trainee_id != trainee.id:
        raise ProjectError(_("Only the trainee submits deliverables."))
    block = upload_block(project)
    if block is not None:
        raise ProjectError(BLOCK_MESSAGES[block]())
    files = [(n, d) for n, d in files if n or d]
    if not files:
        raise ProjectError(_("Choose at least one file."))
    most = current_app.config["PROJECT_MAX_FILES"]
    if len(files) > most:
        raise ProjectError(_("A version has at most %(n)d files; you chose %(k)d.", n=most, k=len(files)))
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    errors, kinds = [], []
    for name, data in files:
        try:
            kinds.append(uploads.check_upload(name, data, limit))
        except uploads.UploadRejected as exc:
            errors.append(str(exc))
    if errors:
        raise ProjectError(" ".join(errors))
    size = sum(len(d) for _n, d in files)
    try:
        uploads.check_storage(trainee.id, size)          # refuse before writing anything...
        written = [uploads.store(data) for _n, data in files]
        uploads.take_person(trainee.id)                  # ...and count again once the person's other uploads wait
        db.session.expire(project)
        block = upload_block(project)
        if block is not None:
            raise ProjectError(BLOCK_MESSAGES[block]())
        uploads.check_storage(trainee.id, size)
    except uploads.UploadRejected as exc:
        raise ProjectError(str(exc)) from None
    version = max((s.version for s in project.submissions), default=0) + 1
    sub = Submission(version=version, note=note.strip() or None)
    for (name, data), kind, (stored, sha) in zip(files, kinds, written, strict=True):
        sub.files.append(SubmissionFile(name=name, stored_name=stored, kind=kind, size=len(data), sha256=sha))
    project.submissions.append(sub)
    refresh_status(project)
    db.session.flush()
    return sub


def deliverable_bytes(user_id: int) -> int:
    """Bytes of project deliverables the person has uploaded (for the storage quota)."""
    return db.session.scalar(select(func.coalesce(func.sum(SubmissionFile.size), 0))
                             .join(Submission, SubmissionFile.submission_id == Submission.id)
                             .join(Project, Submission.project_id == Project.id)
                             .where(Project.trainee_id == user_id))


def _weight(ind, raw: str) -> tuple[float | None, str | None]:
    """An indicator's weight as typed (None if not a number), and the error unless it is from 0 to 1."""
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 1:
        return value, _("%(i)s: the weight must be a number from 0 to 1.", i=ind.label)
    return value, None


def _rating_sheet(weights: dict[str, str], ratings: dict[str, str],
                  evidence: dict[str, str]) -> tuple[dict, list[str]]:
    """The technology-rating worksheet's fields (weights, ratings with their evidence, score, grade), or the
    errors. A rating without the evidence it rests on is not accepted."""
    errors, w = [], {}
    for ind in worksheets.INDICATORS:
        value, error = _weight(ind, weights.get(ind.key, ""))
        if value is not None:       # a number out of range still counts in the sum told below
            w[ind.key] = value
        if error:
            errors.append(error)
        if ratings.get(ind.key) not in worksheets.POINTS:
            errors.append(_("%(i)s: choose a rating from A to E.", i=ind.label))
        if not (evidence.get(ind.key) or "").strip():
            errors.append(_("%(i)s: give the evidence for the rating.", i=ind.label))
    if len(w) == len(worksheets.INDICATORS) and abs(sum(w.values()) - 1) > 0.001:
        errors.append(_("The weights add up to %(s)s; they must add up to 1.", s=f"{sum(w.values()):.3f}"))
    if errors:
        return {}, errors
    chosen = {i.key: ratings[i.key] for i in worksheets.INDICATORS}
    score = worksheets.weighted_score(w, chosen)
    return {"weights": w, "ratings": chosen, "score": score, "grade": worksheets.letter_grade(score),
            "rating_evidence": {i.key: evidence[i.key].strip() for i in worksheets.INDICATORS}}, []


def _trl_sheet(trl: str, trl_evidence: dict[str, str], scale: str = worksheets.DEFAULT_SCALE,
               plan: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    """The TRL claimed (1 to 9) on the scale chosen, with the evidence of every level up to it and, below 9, the
    plan for reaching the next level; or the errors."""
    errors = []
    if scale not in worksheets.TRL_SCALES:
        errors.append(_("Choose the TRL scale you rate against."))
    try:
        level = int(trl)
    except ValueError:
        level = 0
    if not 1 <= level <= 9:
        return {}, errors + [_("Choose the TRL you claim, from 1 to 9.")]
    ev = {str(n): (trl_evidence.get(str(n)) or "").strip() for n in range(1, level + 1)}
    missing = [n for n, text in ev.items() if not text]
    if missing:
        errors.append(_("Give the evidence for every level claimed; missing for TRL %(levels)s.",
                        levels=", ".join(missing)))
    plan = plan or {}
    steps = {}
    if level < 9:
        steps = {key: (plan.get(key) or "").strip() for key, _label in worksheets.PLAN_FIELDS}
        if not all(steps.values()):
            errors.append(_("Complete the plan for reaching TRL %(n)s: work, evidence, resources and time.",
                            n=level + 1))
    if errors:
        return {}, errors
    return {"trl": level, "trl_scale": scale, "trl_evidence": ev, "trl_plan": steps}, []


def save_worksheet(trainee: User, project: Project, weights: dict[str, str], ratings: dict[str, str],
                   trl: str, trl_evidence: dict[str, str], *, rating_evidence: dict[str, str] | None = None,
                   trl_scale: str = worksheets.DEFAULT_SCALE,
                   trl_plan: dict[str, str] | None = None) -> TechnologyAssessment:
    """The worksheets the brief asks for, saved together once every field is right."""
    if project.trainee_id != trainee.id:
        raise ProjectError(_("Only the trainee fills in the worksheets."))
    if project.released_at is not None or _grading_started(project):
        raise ProjectError(_("Grading has started; the worksheets can no longer change."))
    templates = project.brief.templates
    fields, errors = {}, []
    for template, check in (("technology_rating", lambda: _rating_sheet(weights, ratings, rating_evidence or {})),
                            ("trl", lambda: _trl_sheet(trl, trl_evidence, trl_scale, trl_plan))):
        if template in templates:
            values, problems = check()
            fields.update(values)
            errors += problems
    if errors:
        raise ProjectError(" ".join(str(e) for e in errors))
    sheet = project.assessment or TechnologyAssessment()
    for name, value in fields.items():
        setattr(sheet, name, value)
    project.assessment = sheet
    db.session.flush()
    return sheet


def trainee_projects(user: User) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.trainee_id == user.id)
                                   .order_by(Project.created_at.desc())))


def brief_projects(brief: Brief, page: int = 1, per_page: int = 50):
    """One page of the brief's projects, oldest first, with what each row shows loaded with the page."""
    query = (select(Project).where(Project.brief_id == brief.id)
             .options(selectinload(Project.trainee), selectinload(Project.defence),
                      selectinload(Project.examiners).selectinload(ExaminerAssignment.user))
             .order_by(Project.created_at, Project.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)

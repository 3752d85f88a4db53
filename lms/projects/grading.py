"""Grading a project: examiners' grades, the final grade and reconciliation, the defence, release with
evidence, resubmission, the examiners' queue and rubric statistics. Functions flush and never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms import signals
from lms.accounts.models import User
from lms.accounts.services import audit
from lms.db import utcnow
from lms.extensions import db
from lms.frameworks import evidence
from lms.mail import queue_mail
from lms.projects.models import (
    EXAMINER_ROLES,
    Brief,
    CriterionScore,
    Defence,
    ExaminerAssignment,
    ExaminerRole,
    Grade,
    GradeRole,
    Project,
    ProjectStatus,
    SponsorDecision,
)
from lms.projects.rules import ProjectError, can_manage, examiner_role, is_course_staff, project_url


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


def _check_gradable(project: Project) -> None:
    """The project is at a stage where grades may be written."""
    if not project.is_confirmed:
        raise ProjectError(_("Grading needs the sponsor's confirmation (or an administrator's override)."))
    if not project.submissions:
        raise ProjectError(_("Nothing has been submitted yet."))
    if project.released_at is not None:
        raise ProjectError(_("The results have been released; grades can no longer change."))


def _check_agreed(user: User, project: Project, *, submit: bool, reason: str) -> None:
    """The agreed grade: during reconciliation, by one of the two examiners or an administrator, with a reason,
    and only while no third examiner has graded."""
    if project.status != ProjectStatus.RECONCILIATION:
        raise ProjectError(_("An agreed grade is recorded only during reconciliation."))
    if examiner_role(user, project) not in (ExaminerRole.LECTURER, ExaminerRole.PRACTITIONER) and not user.has_role("admin"):
        raise ProjectError(_("Only the two examiners or an administrator record the agreed grade."))
    if submit and not reason.strip():
        raise ProjectError(_("Give the reason for the agreed grade."))
    if any(g.role == GradeRole.THIRD and g.submitted_at for g in project.grades):
        raise ProjectError(_("A third examiner has graded; the final grade follows from the three grades."))


def _check_role(user: User, project: Project, role: str, *, submit: bool, reason: str) -> None:
    if role == GradeRole.AGREED:
        _check_agreed(user, project, submit=submit, reason=reason)
    elif examiner_role(user, project) != role:
        raise ProjectError(_("You are not this project's %(role)s examiner.", role=role))


def _open_grade(user: User, project: Project, role: str) -> Grade | None:
    """The examiner's draft in this role (None before the first save); a submitted grade is final."""
    grade = next((g for g in project.grades if g.examiner_id == user.id and g.role == role), None)
    if grade is not None and grade.submitted_at is not None:
        raise ProjectError(_("This grade has been submitted and can no longer change."))
    return grade


def _score_error(brief: Brief, title: str, s: ScoreInput) -> str | None:
    """What is wrong with a criterion's band and score (both given), or None."""
    band = next((b for b in brief.bands if b["key"] == s.band), None)
    if band is None:
        return _("%(c)s: unknown band.", c=title)
    if not band["min"] <= s.score <= band["max"]:
        return _("%(c)s: the score %(s)d is outside the band you chose (%(lo)d–%(hi)d).", c=title,
                 s=s.score, lo=band["min"], hi=band["max"])
    return None


def _checked_scores(brief: Brief, scores: dict[int, ScoreInput], overall: str, *,
                    submit: bool) -> dict[int, ScoreInput]:
    """The criteria scored (a draft may leave some out; a submitted grade scores every one), every error told."""
    errors, values = [], {}
    for cr in brief.criteria:
        title = cr.title_en or cr.title_zh
        s = scores.get(cr.id) or ScoreInput(None, None, "")
        if s.score is None or s.band is None:
            if submit:
                errors.append(_("%(c)s: choose a band and give a score.", c=title))
            continue
        error = _score_error(brief, title, s)
        if error:
            errors.append(error)
        values[cr.id] = s
    if submit and not overall.strip():
        errors.append(_("Write an overall comment for the trainee."))
    if errors:
        raise ProjectError(" ".join(errors))
    return values


def _write_scores(grade: Grade, values: dict[int, ScoreInput]) -> None:
    existing = {s.criterion_id: s for s in grade.scores}
    for cid, s in values.items():
        row = existing.get(cid)
        if row is None:
            row = CriterionScore(criterion_id=cid, band=s.band, score=s.score)
            grade.scores.append(row)
        row.band, row.score, row.comment = s.band, s.score, s.comment.strip() or None


def save_grade(user: User, project: Project, role: str, scores: dict[int, ScoreInput], overall: str, *,
               submit: bool, reason: str = "") -> Grade:
    """An examiner's grade (role lecturer/practitioner/third), or the agreed grade (role 'agreed')."""
    brief = project.brief
    _check_gradable(project)
    _check_role(user, project, role, submit=submit, reason=reason)
    grade = _open_grade(user, project, role)
    values = _checked_scores(brief, scores, overall, submit=submit)
    if grade is None:
        grade = Grade(examiner_id=user.id, role=role)
        project.grades.append(grade)
    _write_scores(grade, values)
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


def mean_scores(grades: list[Grade]) -> dict[int, float]:
    out: dict[int, float] = {}
    for cid in {s.criterion_id for s in grades[0].scores}:
        out[cid] = round(sum(g.score_for(cid).score for g in grades) / len(grades), 1)
    return out


def needs_reconciliation(project: Project, a: Grade, b: Grade) -> bool:
    limit = current_app.config["GRADE_DIFFERENCE"]
    return abs(a.total - b.total) > limit or a.passed != b.passed


def _closest_pair(trio: list[Grade]) -> tuple[Grade, Grade]:
    pairs = [(trio[i], trio[j]) for i in range(3) for j in range(i + 1, 3)]
    return min(pairs, key=lambda p: abs(p[0].total - p[1].total))


def _final(project: Project) -> tuple[dict[int, float], dict] | None:
    """The final criterion scores and the basis they rest on (facts: a rule and its numbers and ids; the page
    says it in the reader's language), or None while grading or reconciliation is open."""
    brief = project.brief
    done = _examiner_grades(project)
    if not all(r in done for r in _required_roles(project)):
        return None
    if not brief.two_examiners:
        g = done["lecturer"]
        return {s.criterion_id: float(s.score) for s in g.scores}, {"rule": "single"}
    a, b = done["lecturer"], done["practitioner"]
    if not needs_reconciliation(project, a, b):
        return mean_scores([a, b]), {"rule": "mean", "totals": [a.total, b.total],
                                     "limit": current_app.config["GRADE_DIFFERENCE"]}
    agreed = next((g for g in project.grades if g.role == GradeRole.AGREED and g.submitted_at), None)
    if agreed is not None:
        return ({s.criterion_id: float(s.score) for s in agreed.scores},
                {"rule": "agreed", "examiner_id": agreed.examiner_id, "reason": agreed.reason})
    third = done.get("third")
    if third is not None:
        x, y = _closest_pair([a, b, third])
        return mean_scores([x, y]), {"rule": "third", "closest": [x.total, y.total],
                                     "totals": [a.total, b.total, third.total]}
    return None


def refresh_status(project: Project) -> str:
    """Work out where the project stands, fixing the final result when the grades allow."""
    if project.released_at is not None:
        status = ProjectStatus.RELEASED
    elif not project.is_confirmed:
        status = ProjectStatus.DECLINED if project.sponsor_decision == SponsorDecision.DECLINED else ProjectStatus.AWAITING_SPONSOR
    elif not project.submissions:
        status = ProjectStatus.CONFIRMED
    else:
        final = _final(project)
        if final is None:
            done = _examiner_grades(project)
            two = all(r in done for r in _required_roles(project))
            status = ProjectStatus.RECONCILIATION if two else ProjectStatus.GRADING
            project.final_score = project.passed = project.final_basis = project.final_scores = None
        else:
            scores, basis = final
            brief = project.brief
            project.final_scores = {cr.key: scores[cr.id] for cr in brief.criteria if cr.id in scores}
            project.final_score = weighted_total(brief, scores)
            project.passed = grade_passes(brief, project.final_score, scores)
            project.final_basis = basis
            status = (ProjectStatus.AWAITING_DEFENCE if brief.defence_required and project.defence is None
                      else ProjectStatus.READY)
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
    if not (can_manage(actor, project) or examiner_role(actor, project) == ExaminerRole.LECTURER):
        raise ProjectError(_("Only the lecturer examiner, the course's instructors or an administrator release results."))
    refresh_status(project)
    if project.status != ProjectStatus.READY:
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
    project.status = ProjectStatus.RELEASED
    signals.project_released.send(project, user=project.trainee)
    audit(actor, "project.release", project.public_id, f"{project.final_score} {'pass' if overall_passed(project) else 'fail'}")
    queue_mail(project.trainee.email, "project_results", project=project, passed=overall_passed(project),
               url=project_url(project))


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
                     for a in project.examiners if a.role != ExaminerRole.THIRD]
    db.session.add(nxt)
    refresh_status(nxt)
    db.session.flush()
    return nxt


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



def grading_queue(user: User) -> list[tuple[Project, str]]:
    """Projects waiting for this examiner's grade (or for an agreed grade), oldest first."""
    rows = db.session.execute(select(Project, ExaminerAssignment.role).join(ExaminerAssignment)
                              .options(selectinload(Project.grades), selectinload(Project.brief))
                              .where(ExaminerAssignment.user_id == user.id,
                                     Project.status.in_((ProjectStatus.GRADING, ProjectStatus.RECONCILIATION,
                                                         ProjectStatus.AWAITING_DEFENCE, ProjectStatus.READY)))
                              .order_by(Project.updated_at)).all()
    out = []
    for project, role in rows:
        mine = next((g for g in project.grades if g.examiner_id == user.id and g.role == role), None)
        if project.status == ProjectStatus.GRADING and (mine is None or mine.submitted_at is None):
            out.append((project, role))
        elif project.status == ProjectStatus.RECONCILIATION and role in EXAMINER_ROLES and \
                (role != ExaminerRole.THIRD or mine is None or mine.submitted_at is None):
            out.append((project, role))
        elif project.status in (ProjectStatus.AWAITING_DEFENCE, ProjectStatus.READY) and role == ExaminerRole.LECTURER:
            out.append((project, role))
    return out


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

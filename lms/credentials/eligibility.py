"""Whether a person meets a programme's requirements: every requirement, met or not, with the evidence."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.assessment.grading import final_grade
from lms.assessment.models import Attempt, Quiz
from lms.catalog.models import Course, Enrolment
from lms.credentials.models import Credential, ExperienceClaim, Programme
from lms.db import utcnow
from lms.extensions import db
from lms.projects.models import Brief, Project
from lms.projects.services import overall_passed


@dataclass
class Requirement:
    kind: str             # prerequisite | course | exam | project | hours | experience
    label: str
    met: bool
    progress: float       # 0..1, for the progress bar
    detail: str           # the evidence behind it, or what is missing
    url: str | None = None


def live_credential(user_id: int, programme_id: int) -> Credential | None:
    return db.session.scalar(select(Credential).where(Credential.holder_id == user_id,
                                                      Credential.programme_id == programme_id,
                                                      Credential.state.in_(("pending", "active"))))


def holds_valid(user_id: int, programme_key: str) -> bool:
    cred = db.session.scalar(select(Credential).join(Programme).where(
        Credential.holder_id == user_id, Programme.key == programme_key, Credential.state == "active",
        Credential.suspended.is_(False)))
    return cred is not None and (cred.valid_until is None or cred.valid_until > utcnow())


def approved_years(user_id: int) -> int:
    return db.session.scalar(select(func.max(ExperienceClaim.years)).where(
        ExperienceClaim.user_id == user_id, ExperienceClaim.state == "approved")) or 0


def url_for(endpoint: str, **values) -> str:
    """A site path, also outside a request (issuing runs from commands and background work too)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def evaluate(user, programme: Programme) -> list[Requirement]:
    req = programme.requirements
    out: list[Requirement] = []
    if req.get("prerequisite"):
        pre = db.session.scalar(select(Programme).where(Programme.key == req["prerequisite"]))
        met = holds_valid(user.id, req["prerequisite"])
        title = (pre.title_en or pre.title_zh) if pre else req["prerequisite"]
        out.append(Requirement("prerequisite", _("Holds the certificate: %(t)s", t=title), met, 1.0 if met else 0.0,
                               _("valid certificate held") if met else _("not yet held")))
    slugs = req.get("courses", [])
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))} if slugs else {}
    done = {e.course_id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id))}
    for slug in slugs:
        course = courses.get(slug)
        if course is None:
            continue
        e = done.get(course.id)
        met = bool(e and e.completed_at)
        detail = (_("completed on %(d)s", d=e.completed_at.strftime("%Y-%m-%d")) if met
                  else _("enrolled, not yet completed") if e else _("not enrolled"))
        out.append(Requirement("course", _("Course completed: %(c)s %(t)s", c=course.code, t=course.title_en or course.title_zh),
                               met, 1.0 if met else 0.0, detail, url_for("catalog.course", slug=slug)))
    for item in req.get("exams", []):
        quiz = db.session.scalar(select(Quiz).join(Course).where(Course.slug == item["course"], Quiz.key == item["quiz"]))
        if quiz is None:
            continue
        attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)))
        grade = final_grade(attempts, quiz.grading_method)
        met = grade is not None and grade >= item["min"]
        detail = (_("grade %(g)s%%", g=f"{grade:g}") if grade is not None
                  else _("waiting for grading") if any(a.state == "submitted" for a in attempts) else _("not yet taken"))
        out.append(Requirement("exam", _("Exam %(t)s: at least %(m)d%%", t=quiz.title_en or quiz.title_zh, m=item["min"]),
                               met, min(1.0, (grade or 0) / item["min"]) if item["min"] else 1.0, detail,
                               url_for("exams.quiz", public_id=quiz.public_id)))
    for item in req.get("projects", []):
        brief = db.session.scalar(select(Brief).join(Course).where(Course.slug == item["course"], Brief.key == item["brief"]))
        if brief is None:
            continue
        projects = list(db.session.scalars(select(Project).where(Project.trainee_id == user.id, Project.brief_id == brief.id)
                                           .order_by(Project.round.desc())))
        best = next((p for p in projects if p.released_at and overall_passed(p) and p.final_score >= item["min"]), None)
        latest = projects[0] if projects else None
        if best is not None:
            detail = _("%(s)s / 100, released %(d)s", s=f"{best.final_score:g}", d=best.released_at.strftime("%Y-%m-%d"))
        elif latest is not None and latest.released_at:
            detail = _("%(s)s / 100 — not passed", s=f"{latest.final_score:g}")
        elif latest is not None:
            detail = _("in progress")
        else:
            detail = _("not yet registered")
        out.append(Requirement("project", _("Real project %(t)s: at least %(m)d", t=brief.title_en or brief.title_zh,
                                                                                     m=item["min"]),
                               best is not None, 1.0 if best else 0.5 if latest else 0.0, detail,
                               url_for("projects.show", public_id=(best or latest).public_id) if (best or latest)
                               else url_for("projects.brief", public_id=brief.public_id)))
    if req.get("hours"):
        hours = float(db.session.scalar(select(func.coalesce(func.sum(Course.hours), 0)).join(Enrolment).where(
            Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None))) or 0)
        need = float(req["hours"])
        out.append(Requirement("hours", _("Learning hours (学时): at least %(h)s", h=f"{need:g}"), hours >= need,
                               min(1.0, hours / need), _("%(h)s hours in completed courses", h=f"{hours:g}")))
    if req.get("experience_years"):
        years, need = approved_years(user.id), req["experience_years"]
        pending = db.session.scalar(select(ExperienceClaim.id).where(ExperienceClaim.user_id == user.id,
                                                                     ExperienceClaim.state == "pending"))
        detail = _("%(y)d years checked by an administrator", y=years) + (
            " · " + _("a declaration is waiting for review") if pending else "")
        out.append(Requirement("experience", _("Experience in technology transfer: at least %(y)d years", y=need),
                               years >= need, min(1.0, years / need), detail, url_for("credentials.experience")))
    return out


def all_met(requirements: list[Requirement]) -> bool:
    return all(r.met for r in requirements)

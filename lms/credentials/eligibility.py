"""Whether a person meets a programme's requirements: every requirement, met or not, with the evidence.

The answer is facts (a kind, a state code, numbers, dates, titles as content pairs and the id a link needs);
the words are made where they are shown (``templates/credentials/_macros.html``: ``requirement``), in the
reader's language. The same facts are stored with a credential as what met each requirement at issue."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, or_, select

from lms.assessment.grading import final_grade
from lms.assessment.models import Attempt, AttemptState, Quiz
from lms.catalog.models import Course, Enrolment
from lms.credentials.models import Credential, CredentialState, ExperienceClaim, Programme, ReviewState
from lms.db import utcnow
from lms.extensions import db
from lms.projects.models import Brief, Project
from lms.projects.services import overall_passed
from lms.signals import answers, exemptions


@dataclass
class Requirement:
    """One requirement and where the person stands. ``state`` by kind:

    prerequisite: held | not_held · course: completed | enrolled | not_enrolled ·
    exam: graded | waiting | not_taken · project: passed | not_passed | in_progress | not_registered ·
    hours: counted · experience: checked | checked_pending (a declaration waits for review);
    a prerequisite, course or exam not met otherwise: recognised (``recognised`` says by what)."""
    kind: str                   # prerequisite | course | exam | project | hours | experience
    state: str
    met: bool
    progress: float             # 0..1, for the progress bar
    title: dict | None = None   # {"en": ..., "zh": ...} of the programme, course, exam or brief
    code: str | None = None     # the course's code, or the programme's key
    target: float | None = None  # the minimum asked: a grade in %, a score, hours, years
    value: float | None = None  # what the person has: the grade, the score, the hours, the years
    on: str | None = None       # the evidence's date, YYYY-MM-DD
    ref: str | None = None      # what a link points at: a course's slug, a quiz's, project's or brief's public id
    recognised: dict | None = None  # met by recognition: {"partner": {"en", "zh"}, "achievement": str, "request": id}

    def facts(self) -> dict:
        """As stored with a credential (JSON), shown on its public page: without the link's id."""
        return {k: v for k, v in asdict(self).items() if k != "ref"}


def _title(obj) -> dict:
    return {"en": obj.title_en, "zh": obj.title_zh}


def _day(when) -> str:
    return when.strftime("%Y-%m-%d")


def live_credential(user_id: int, programme_id: int) -> Credential | None:
    return db.session.scalar(select(Credential).where(Credential.holder_id == user_id,
                                                      Credential.programme_id == programme_id,
                                                      Credential.state.in_((CredentialState.PENDING, CredentialState.ACTIVE))))


def holds_valid(user_id: int, programme_key: str) -> bool:
    cred = db.session.scalar(select(Credential).join(Programme).where(
        Credential.holder_id == user_id, Programme.key == programme_key, Credential.state == CredentialState.ACTIVE,
        Credential.suspended.is_(False)))
    return cred is not None and (cred.valid_until is None or cred.valid_until > utcnow())


def approved_years(user_id: int) -> int:
    return db.session.scalar(select(func.max(ExperienceClaim.years)).where(
        ExperienceClaim.user_id == user_id, ExperienceClaim.state == ReviewState.APPROVED)) or 0


# ---------------------------------------------------------------- one function per kind of requirement

def _prerequisite(user, key: str) -> Requirement:
    pre = db.session.scalar(select(Programme).where(Programme.key == key))
    met = holds_valid(user.id, key)
    return Requirement("prerequisite", "held" if met else "not_held", met, 1.0 if met else 0.0,
                       title=_title(pre) if pre else None, code=key)


def _courses(user, slugs: list[str]) -> list[Requirement]:
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))}
    enrolments = {e.course_id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id))}
    out = []
    for course in (courses[s] for s in slugs if s in courses):
        e = enrolments.get(course.id)
        met = bool(e and e.completed_at)
        state = "completed" if met else "enrolled" if e else "not_enrolled"
        out.append(Requirement("course", state, met, 1.0 if met else 0.0, title=_title(course), code=course.code,
                               on=_day(e.completed_at) if met else None, ref=course.slug))
    return out


def _exam(user, item: dict) -> Requirement | None:
    quiz = db.session.scalar(select(Quiz).join(Course).where(Course.slug == item["course"], Quiz.key == item["quiz"]))
    if quiz is None:
        return None
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)))
    grade = final_grade(attempts, quiz.grading_method)
    need = item["min"]
    state = ("graded" if grade is not None
             else "waiting" if any(a.state == AttemptState.SUBMITTED for a in attempts) else "not_taken")
    return Requirement("exam", state, grade is not None and grade >= need,
                       min(1.0, (grade or 0) / need) if need else 1.0, title=_title(quiz), target=need, value=grade,
                       ref=quiz.public_id)


def _project(user, item: dict) -> Requirement | None:
    brief = db.session.scalar(select(Brief).join(Course).where(Course.slug == item["course"], Brief.key == item["brief"]))
    if brief is None:
        return None
    projects = list(db.session.scalars(select(Project).where(Project.trainee_id == user.id, Project.brief_id == brief.id)
                                       .order_by(Project.round.desc())))
    best = next((p for p in projects if p.released_at and overall_passed(p) and p.final_score >= item["min"]), None)
    shown = best or (projects[0] if projects else None)
    fact = Requirement("project", "not_registered", False, 0.0, title=_title(brief), target=item["min"],
                       ref=brief.public_id)
    if shown is None:
        return fact
    fact.ref, fact.progress = shown.public_id, 0.5
    if best is not None:
        fact.state, fact.met, fact.progress = "passed", True, 1.0
        fact.value, fact.on = best.final_score, _day(best.released_at)
    elif shown.released_at:
        fact.state, fact.value = "not_passed", shown.final_score
    else:
        fact.state = "in_progress"
    return fact


def _hours(user, need: float, exempt: dict) -> Requirement:
    """The hours of the courses completed here, and of those a recognised partner credential exempts the
    person from (recognition of prior learning credits the course, hours included)."""
    completed = select(Course.id).join(Enrolment).where(Enrolment.user_id == user.id,
                                                        Enrolment.completed_at.is_not(None))
    exempted = select(Course.id).where(Course.slug.in_({code for kind, code in exempt if kind == "course"}))
    hours = float(db.session.scalar(select(func.coalesce(func.sum(Course.hours), 0)).where(
        or_(Course.id.in_(completed), Course.id.in_(exempted)))) or 0)
    return Requirement("hours", "counted", hours >= need, min(1.0, hours / need), target=need, value=hours)


def _experience(user, need: int) -> Requirement:
    years = approved_years(user.id)
    pending = db.session.scalar(select(ExperienceClaim.id).where(ExperienceClaim.user_id == user.id,
                                                                 ExperienceClaim.state == ReviewState.PENDING))
    return Requirement("experience", "checked_pending" if pending else "checked", years >= need,
                       min(1.0, years / need), target=need, value=years)


def _exemptions(user) -> dict:
    """The requirements the person is exempted from by a recognised partner credential, by (kind, code), asked
    through :data:`lms.signals.exemptions` (answered by recognition)."""
    out: dict = {}
    for answer in answers(exemptions, user):
        for item in answer:
            out.setdefault((item["kind"], item["code"]), item)
    return out


def _recognised(fact: Requirement, exempt: dict, code: str | None) -> Requirement:
    """``fact`` met by recognition when it is not met otherwise and an exemption names it."""
    item = exempt.get((fact.kind, code))
    if fact.met or item is None:
        return fact
    fact.state, fact.met, fact.progress = "recognised", True, 1.0
    fact.recognised = {"partner": item["partner"], "achievement": item["achievement"], "request": item["request"]}
    return fact


def evaluate(user, programme: Programme) -> list[Requirement]:
    """Every requirement of the programme, in the order of its definition's kinds."""
    req = programme.requirements
    out: list[Requirement] = []
    exempt = _exemptions(user)
    if req.get("prerequisite"):
        out.append(_recognised(_prerequisite(user, req["prerequisite"]), exempt, req["prerequisite"]))
    if req.get("courses"):
        out += [_recognised(r, exempt, r.ref) for r in _courses(user, req["courses"])]
    out += [_recognised(r, exempt, f"{item['course']}/{item['quiz']}")
            for item in req.get("exams", []) if (r := _exam(user, item)) is not None]
    out += [r for r in (_project(user, item) for item in req.get("projects", [])) if r is not None]
    if req.get("hours"):
        out.append(_hours(user, float(req["hours"]), exempt))
    if req.get("experience_years"):
        out.append(_experience(user, req["experience_years"]))
    return out


def all_met(requirements: list[Requirement]) -> bool:
    return all(r.met for r in requirements)

"""An exam's results for its instructors (as Moodle's quiz "Results · Grades" report): every attempt of every
person, in progress or finished, the grade that counts for each person under the quiz's grading method, and a
summary; also as CSV. A prepared (drawn ahead, unstarted) attempt is not an attempt and is left out."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessment.exams import PREPARED, final_grade
from lms.assessment.models import Attempt, Quiz
from lms.catalog.models import Enrolment
from lms.db import utcnow
from lms.extensions import db


@dataclass
class PersonResult:
    user: User
    attempts: list[Attempt] = field(default_factory=list)
    grade: float | None = None          # the grade that counts (None until an attempt is fully graded)
    passed: bool = False


@dataclass
class Results:
    people: list[PersonResult]
    enrolled: int | None                # people enrolled in the quiz's course (None for the diagnostic)
    in_progress: int                    # attempts open now
    waiting: int                        # attempts submitted, an essay still to grade
    graded: int                         # attempts fully graded
    passed: int                         # people whose counting grade reaches the pass mark
    mean: float | None                  # mean of the counting grades

    @property
    def started(self) -> int:
        return len(self.people)


def quiz_results(quiz: Quiz) -> Results:
    rows = db.session.execute(select(Attempt, User).join(User, User.id == Attempt.user_id)
                              .where(Attempt.quiz_id == quiz.id, Attempt.state != PREPARED)
                              .order_by(Attempt.number)).all()
    people: dict[int, PersonResult] = {}
    for att, user in rows:
        people.setdefault(user.id, PersonResult(user)).attempts.append(att)
    for person in people.values():
        person.grade = final_grade(person.attempts, quiz.grading_method)
        person.passed = person.grade is not None and person.grade >= quiz.pass_mark
    grades = [p.grade for p in people.values() if p.grade is not None]
    enrolled = None
    if quiz.course_id is not None:
        enrolled = db.session.scalar(select(func.count()).select_from(Enrolment)
                                     .where(Enrolment.course_id == quiz.course_id))
    states = [att.state for att, _user in rows]
    ordered = sorted(people.values(), key=lambda p: ((p.user.name_latin or p.user.name_zh or p.user.email).lower(),
                                                     p.user.email))
    return Results(people=ordered, enrolled=enrolled, in_progress=states.count("open"),
                   waiting=states.count("submitted"), graded=states.count("graded"),
                   passed=sum(p.passed for p in people.values()),
                   mean=round(sum(grades) / len(grades), 2) if grades else None)


def minutes_left(att: Attempt, now: datetime | None = None) -> int | None:
    """Whole minutes before an open attempt's deadline (0 when it has passed), None without a time limit."""
    if att.state != "open" or att.deadline is None:
        return None
    return max(0, int(((att.deadline - (now or utcnow())).total_seconds()) // 60))


def minutes_taken(att: Attempt) -> float | None:
    if att.submitted_at is None:
        return None
    return round((att.submitted_at - att.started_at).total_seconds() / 60, 1)


CSV_COLUMNS = ("name", "name_zh", "email", "attempt", "state", "started_utc", "submitted_utc", "minutes",
               "score", "max_score", "percent", "grade_that_counts", "passed")


def to_csv(quiz: Quiz, results: Results) -> str:
    """One row per attempt; the person's counting grade and pass on each of their rows (machine-readable
    column names and states, times in UTC)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for person in results.people:
        for att in person.attempts:
            writer.writerow([
                person.user.name_latin or "", person.user.name_zh or "", person.user.email, att.number, att.state,
                att.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                att.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if att.submitted_at else "",
                "" if minutes_taken(att) is None else f"{minutes_taken(att):g}",
                "" if att.score is None or att.state != "graded" else f"{att.score:g}", f"{att.max_score:g}",
                "" if att.percent is None or att.state != "graded" else f"{att.percent:g}",
                "" if person.grade is None else f"{person.grade:g}",
                "yes" if person.passed else "no"])
    return out.getvalue()

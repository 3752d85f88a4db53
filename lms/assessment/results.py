"""An exam's results for its instructors (as Moodle's quiz "Results · Grades" report): every attempt of every
person, in progress or finished, the grade that counts for each person under the quiz's grading method, and a
summary; also as CSV. A prepared (drawn ahead, unstarted) attempt is not an attempt and is left out."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from lms.accounts.models import User
from lms.assessment.exams import seconds_left
from lms.assessment.grading import final_grade
from lms.assessment.models import Attempt, AttemptState, Quiz
from lms.catalog.models import Enrolment
from lms.core.spreadsheet import cells
from lms.extensions import db


@dataclass
class PersonResult:
    user: User
    attempts: list[Attempt] = field(default_factory=list)
    grade: float | None = None          # the grade that counts (None until an attempt is fully graded)
    passed: bool = False


@dataclass
class Results:
    people: list[PersonResult]          # those who sit the exam: enrolled in its course (everyone, for the diagnostic)
    others: list[PersonResult]          # attempts by people not enrolled (staff trying the exam, people unenrolled)
    enrolled: int | None                # people enrolled in the quiz's course (None for the diagnostic)
    in_progress: int                    # attempts open now } of the people who sit the exam
    waiting: int                        # attempts submitted, an essay still to grade
    graded: int                         # attempts fully graded
    passed: int                         # people whose counting grade reaches the pass mark
    mean: float | None                  # mean of the counting grades
    overdue: int = 0                    # open attempts whose time is up (anyone's), not yet submitted

    @property
    def started(self) -> int:
        return len(self.people)


def _by_name(person: PersonResult):
    return person.user.sort_key


def quiz_results(quiz: Quiz) -> Results:
    """Everyone who started the exam, with their attempts and counting grade. The summary counts only the people
    who sit it; others (an instructor trying the exam, someone since unenrolled) are listed apart."""
    rows = db.session.execute(select(Attempt, User).join(User, User.id == Attempt.user_id)
                              .where(Attempt.quiz_id == quiz.id, Attempt.state != AttemptState.PREPARED)
                              .order_by(Attempt.number)).all()
    people: dict[int, PersonResult] = {}
    for att, user in rows:
        people.setdefault(user.id, PersonResult(user)).attempts.append(att)
    for person in people.values():
        person.grade = final_grade(person.attempts, quiz.grading_method)
        person.passed = person.grade is not None and person.grade >= quiz.pass_mark
    enrolled, sitting = None, set(people)
    if quiz.course_id is not None:
        sitting = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == quiz.course_id)))
        enrolled = len(sitting)
    counted = sorted((p for uid, p in people.items() if uid in sitting), key=_by_name)
    others = sorted((p for uid, p in people.items() if uid not in sitting), key=_by_name)
    states = [att.state for p in counted for att in p.attempts]
    grades = [p.grade for p in counted if p.grade is not None]
    return Results(people=counted, others=others, enrolled=enrolled, in_progress=states.count("open"),
                   waiting=states.count("submitted"), graded=states.count("graded"),
                   passed=sum(p.passed for p in counted), mean=round(sum(grades) / len(grades), 2) if grades else None,
                   overdue=sum(1 for att, _user in rows if minutes_left(att) == 0))


def minutes_left(att: Attempt, now: datetime | None = None) -> int | None:
    """Minutes before an open attempt's deadline, rounded up (0 only when it has passed), None without a time
    limit."""
    left = seconds_left(att.deadline, now) if att.state == AttemptState.OPEN else None
    return None if left is None else -(-left // 60)


def minutes_taken(att: Attempt) -> float | None:
    if att.submitted_at is None:
        return None
    return round((att.submitted_at - att.started_at).total_seconds() / 60, 1)


CSV_COLUMNS = ("name", "name_zh", "email", "enrolled", "attempt", "state", "started_utc", "submitted_utc", "minutes",
               "score", "max_score", "percent", "grade_that_counts", "passed")


def to_csv(quiz: Quiz, results: Results) -> str:
    """One row per attempt, the people who sit the exam first; the person's counting grade and pass on each of
    their rows (machine-readable column names and states, times in UTC, text safe to open in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for sits, group in (("yes", results.people), ("no", results.others)):
        for person, att in ((p, a) for p in group for a in p.attempts):
            writer.writerow(cells([
                person.user.name_latin or "", person.user.name_zh or "", person.user.email,
                sits, att.number, att.state,
                att.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                att.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if att.submitted_at else "",
                "" if minutes_taken(att) is None else f"{minutes_taken(att):g}",
                "" if att.score is None or att.state != AttemptState.GRADED else f"{att.score:g}", f"{att.max_score:g}",
                "" if att.percent is None or att.state != AttemptState.GRADED else f"{att.percent:g}",
                "" if person.grade is None else f"{person.grade:g}",
                "yes" if person.passed else "no"]))
    return out.getvalue()

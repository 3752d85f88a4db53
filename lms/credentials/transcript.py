"""A trainee's CE-point transcript: per course, the hours done (live and recorded), the dates, the exam and
project results; and totals. Facts only (titles as content pairs, numbers, dates); the words are made where
the transcript is shown or written (``templates/credentials/transcript.html``, :mod:`transcript_files`).

The shape follows what RTTP's training pathway asks a candidate to list (domain.md §2, §7.7): per course, its
date and hours, live (face-to-face or live online) apart from recorded. Provisional: one CE point per live
contact hour (ATTP's Course Review Committee allocates the points of an accredited course, and its hour-to-point
conversion is not published); recorded hours are listed but give no CE points, as ATTP does not approve
pre-recorded training. A lesson's hours count once the trainee has marked it done; the platform does not take
attendance at a live session, so an administrator should check live hours against the session's register
before they are claimed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from lms.assessment.exams import FINISHED
from lms.assessment.grading import final_grade
from lms.assessment.models import Attempt, Quiz, QuizKind
from lms.catalog.models import CourseInstructor, Enrolment, Lesson, LessonProgress
from lms.extensions import db
from lms.projects.grading import overall_passed
from lms.projects.models import Brief, Project

CE_POINTS_PER_LIVE_HOUR = Decimal(1)         # provisional (see the module's note)


@dataclass
class ExamResult:
    key: str                    # the quiz's key in its course
    title: dict                 # {"en", "zh"}
    grade: float | None         # the grade that counts under the quiz's rule, in %; None while one waits for marking
    pass_mark: int
    passed: bool
    on: date | None             # the last submitted attempt's day


@dataclass
class ProjectResult:
    key: str                    # the brief's key in its course
    title: dict                 # the brief's title {"en", "zh"}
    grade: float                # the released grade, in %
    pass_mark: int
    passed: bool                # passed overall (grade, and the defence where the brief asks for one)
    on: date                    # released on


@dataclass
class CourseRecord:
    slug: str
    code: str
    level: str
    title: dict
    started: date               # enrolled on
    last_activity: date         # the last lesson done, exam submitted or project released (else ``started``)
    completed: date | None
    hours_live: Decimal
    hours_recorded: Decimal
    exams: list[ExamResult] = field(default_factory=list)
    projects: list[ProjectResult] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return self.hours_live + self.hours_recorded

    @property
    def ce_points(self) -> Decimal:
        return self.hours_live * CE_POINTS_PER_LIVE_HOUR


@dataclass
class Transcript:
    holder_id: str              # the trainee's public id
    name_zh: str | None
    name_latin: str | None
    courses: list[CourseRecord]

    @property
    def hours_live(self) -> Decimal:
        return sum((c.hours_live for c in self.courses), Decimal(0))

    @property
    def hours_recorded(self) -> Decimal:
        return sum((c.hours_recorded for c in self.courses), Decimal(0))

    @property
    def hours(self) -> Decimal:
        return self.hours_live + self.hours_recorded

    @property
    def ce_points(self) -> Decimal:
        return sum((c.ce_points for c in self.courses), Decimal(0))

    @property
    def first_day(self) -> date | None:
        return min((c.started for c in self.courses), default=None)

    @property
    def last_day(self) -> date | None:
        return max((c.completed or c.last_activity for c in self.courses), default=None)


def _title(obj) -> dict:
    return {"en": obj.title_en, "zh": obj.title_zh}


def _day(when: datetime | None) -> date | None:
    return when.date() if when is not None else None


def _lessons_done(user_id: int, course_id: int) -> list[tuple[Lesson, datetime]]:
    return list(db.session.execute(select(Lesson, LessonProgress.completed_at).join(
        LessonProgress, LessonProgress.lesson_id == Lesson.id).where(
        LessonProgress.user_id == user_id, Lesson.course_id == course_id)).all())


def _exams(user_id: int, course_id: int) -> list[ExamResult]:
    out = []
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course_id, Quiz.kind == QuizKind.QUIZ)
                                 .order_by(Quiz.position, Quiz.id))
    for quiz in quizzes:
        attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz.id,
                                                                 Attempt.state.in_(FINISHED))))
        if not attempts:
            continue
        grade = final_grade(attempts, quiz.grading_method)
        last = max((a.submitted_at for a in attempts if a.submitted_at), default=None)
        out.append(ExamResult(quiz.key, _title(quiz), grade, quiz.pass_mark, grade is not None and grade >= quiz.pass_mark,
                              _day(last)))
    return out


def _projects(user_id: int, course_id: int) -> list[ProjectResult]:
    projects = db.session.scalars(select(Project).join(Brief).where(
        Project.trainee_id == user_id, Brief.course_id == course_id, Project.released_at.is_not(None))
        .order_by(Project.released_at))
    return [ProjectResult(p.brief.key, _title(p.brief), p.final_score or 0.0, p.brief.pass_mark, overall_passed(p),
                          p.released_at.date()) for p in projects]


def _record(user_id: int, enrolment: Enrolment) -> CourseRecord:
    course = enrolment.course
    done = _lessons_done(user_id, course.id)
    live = sum((lesson.hours for lesson, _ in done if lesson.is_live), Decimal(0))
    recorded = sum((lesson.hours for lesson, _ in done if not lesson.is_live), Decimal(0))
    exams, projects = _exams(user_id, course.id), _projects(user_id, course.id)
    days = [when.date() for _, when in done] + [e.on for e in exams if e.on] + [p.on for p in projects]
    started = enrolment.enrolled_at.date()
    return CourseRecord(course.slug, course.code, course.level, _title(course), started,
                        max(days, default=started), _day(enrolment.completed_at), live, recorded, exams, projects)


def for_user(user) -> Transcript:
    """The transcript of ``user``: every course they are enrolled in, in the order they started."""
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                    .order_by(Enrolment.enrolled_at, Enrolment.id))
    return Transcript(user.public_id, user.name_zh, user.name_latin, [_record(user.id, e) for e in enrolments])


def may_read(reader, holder) -> bool:
    """The holder themselves, an administrator, or an instructor of a course the holder is enrolled in."""
    if reader.id == holder.id or reader.has_role("admin"):
        return True
    if not reader.has_role("instructor"):
        return False
    return db.session.scalar(select(CourseInstructor.id).join(Enrolment, Enrolment.course_id == CourseInstructor.course_id)
                             .where(CourseInstructor.user_id == reader.id, Enrolment.user_id == holder.id)
                             .limit(1)) is not None


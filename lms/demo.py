"""Demo accounts for each role and a little activity (idempotent)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.catalog import services as catalog
from lms.catalog.models import Course, CourseInstructor, CourseStatus
from lms.extensions import db
from lms.recognition.demo import create_demo_partner

DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = [
    # email, roles, name_zh, name_latin, organisation, job title, years, locale
    ("admin@example.com", ("admin",), "王敏", "Wang Min", "Demo Technology Transfer Centre", "Centre administrator", 8, "zh_Hans"),
    ("instructor@example.com", ("instructor",), "李华", "Li Hua", "Demo University TTO", "Senior technology manager", 12, "zh_Hans"),
    ("trainee@example.com", ("trainee",), "张伟", "Zhang Wei", "Demo Advanced Materials Co.", "IP and licensing officer", 2, "en"),
    # an instructor who teaches no course: the independent practitioner examiner of real projects
    ("examiner@example.com", ("instructor",), "赵刚", "Zhao Gang", "Demo IP Law Firm", "Patent attorney, practitioner examiner", 15, "zh_Hans"),
    ("holder@example.com", ("trainee",), "刘洋", "Liu Yang", "Demo University TTO", "Technology transfer officer", 3, "zh_Hans"),
    ("employer@example.com", ("employer",), "陈静", "Chen Jing", "Demo Advanced Materials Co.", "HR manager", None, "en"),
]
DEMO_COURSE = "f1-system-policy-ethics"


def create_demo() -> list[str]:
    users = {}
    for email, roles, zh, latin, org, title, years, locale in DEMO_USERS:
        user = accounts.user_by_email(email)
        if user is None:
            user = accounts.register(email, DEMO_PASSWORD, name_zh=zh, name_latin=latin, locale=locale, roles=roles,
                                     organisation=org, job_title=title, years_experience=years)
        users[email] = user
    instructor = users["instructor@example.com"]
    for course in db.session.scalars(select(Course)):
        if not any(ci.user_id == instructor.id for ci in course.instructors):
            course.instructors.append(CourseInstructor(user_id=instructor.id))
    course = catalog.course_by_slug(DEMO_COURSE)
    lines = []
    if course is not None and course.status == CourseStatus.PUBLISHED:
        trainee = users["trainee@example.com"]
        catalog.enrol(trainee, course)
        for lesson in course.lessons[:2]:
            catalog.mark_done(trainee, lesson)
        lines.append(f"trainee enrolled in {course.code} with 2 lessons done")
        lines += certified_holder(users["holder@example.com"], users["instructor@example.com"], course)
        lines += create_demo_partner(users["admin@example.com"], trainee, current_app.instance_path)
    else:
        lines.append("(run `lms load` first for course activity)")
    db.session.commit()
    out = [f"demo accounts (password for all: {DEMO_PASSWORD}):"]
    out += [f"  {roles[0]:<11} {email}" + ("  (practitioner examiner)" if email.startswith("examiner") else "")
            for email, roles, *_ in DEMO_USERS]
    return out + lines


def _best_response(spec: dict):
    """The full-credit answer of an objective question (the demo holder sits the exams for real); for a question
    a person grades, an answer the demo's grader gives full marks."""
    from lms.assessment import qtypes
    qtype = qtypes.of(spec)
    if qtype.person_graded:
        return ("I would declare the conflict of interest in writing, step out of the decision, and let an "
                "independent colleague handle it, recording everything in the file.")
    return qtype.best_response(spec)


def certified_holder(holder, grader, course, leave_last_lesson: bool = False) -> list[str]:
    """A trainee who completed F1, passed its exams and so holds the Foundation certificate (or, with
    ``leave_last_lesson``, one lesson short of it)."""
    from lms.assessment import exams, grading, starting
    from lms.assessment.hooks import course_quizzes
    from lms.credentials import keys
    from lms.credentials.models import Credential
    if db.session.scalar(select(Credential.id).where(Credential.holder_id == holder.id)) is not None:
        return ["holder already certified"]
    if not keys.all_keys():
        keys.create_key()
    catalog.enrol(holder, course)
    for lesson in course.lessons[:-1] if leave_last_lesson else course.lessons:
        catalog.mark_done(holder, lesson)
    for quiz in course_quizzes(course):
        if not quiz.required:
            continue
        att = starting.start(holder, quiz, "en")
        exams.save(att, {i.position: _best_response(i.version.spec) for i in att.items})
        exams.submit(att)
        for item in att.items:
            if item.needs_grading and item.fraction is None:
                grading.grade_item(item, 0.9, "A sound, well-argued answer.", grader)
    catalog.update_completion(holder, course)
    db.session.commit()             # the certificate is issued after the commit (a job, lms/jobs.py)
    cred = db.session.scalar(select(Credential).where(Credential.holder_id == holder.id))
    return [f"holder completed {course.code} and holds: {cred.programme.key} ({cred.state})" if cred
            else "holder completed the course but no certificate was issued (check certificates/)"]

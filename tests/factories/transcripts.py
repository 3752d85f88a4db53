"""A trainee with live and recorded hours, exams and a released project, for the transcript tests."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.catalog.models import Course
from lms.db import utcnow
from lms.extensions import db

F6 = "f6-communication-negotiation"


def released_project(holder, course: Course, score: float = 82.0):
    """A project of ``holder`` on a brief of ``course``, graded and released (made directly, not graded)."""
    from lms.projects.models import Brief, Project
    brief = Brief(course_id=course.id, key="licence-pitch", title_en="Licence pitch", title_zh="许可推介",
                  level=course.level, pass_mark=70)
    db.session.add(brief)
    db.session.flush()
    project = Project(brief_id=brief.id, trainee_id=holder.id, title="Pitch for a sensor licence",
                      description="A pitch.", trainee_role="Lead", sponsor_org="Acme", sponsor_kind="company",
                      sponsor_name="Ms Sponsor", sponsor_email="sponsor@example.com", status="released",
                      final_score=score, passed=score >= 70, released_at=utcnow() - timedelta(days=1))
    db.session.add(project)
    db.session.flush()
    return project


def with_live_hours(holder) -> Course:
    """``holder`` enrolled in F6 (opened for the test), its first live lesson and its first self-study lesson done,
    and a released project of 82%."""
    from lms.catalog import services as catalog
    course = db.session.scalar(select(Course).where(Course.slug == F6))
    course.status = "published"
    catalog.enrol(holder, course)
    for live in (True, False):
        catalog.mark_done(holder, next(lesson for lesson in course.lessons if lesson.is_live == live))
    released_project(holder, course)
    db.session.commit()
    return course

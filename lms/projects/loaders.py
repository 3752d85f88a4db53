"""What ``lms load`` does with project briefs (registered in lms/loading.py's registry)."""
from __future__ import annotations

from sqlalchemy import select

from lms.catalog.loaders import course_data
from lms.catalog.models import Course
from lms.extensions import db
from lms.loading import Loader, LoadReport, LoadRun, register_loader
from lms.projects.briefs import apply_brief, parse_course_briefs


def parse(run: LoadRun) -> list:
    """Only when the competencies are known (the briefs name them)."""
    if not run.courses_dir.is_dir() or run.competencies is None:
        return []
    briefs, errors = parse_course_briefs(run.courses_dir, run.root, [c["slug"] for c in course_data(run)],
                                         run.competencies)
    run.errors.extend(errors)
    return briefs


def apply(run: LoadRun, briefs: list, report: LoadReport) -> None:
    for slug, data, text, h in briefs:
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if apply_brief(course, data, text, h, f"courses/{slug}/projects/{data['key']}.yaml") is not None:
            report.briefs.append(f"{slug}/{data['key']}")


def register() -> None:
    register_loader(Loader("briefs", "courses/<slug>/projects/*.yaml", parse, apply, after=("courses",)))

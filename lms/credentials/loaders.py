"""What ``lms load`` does with certification programmes (registered in lms/loading.py's registry)."""
from __future__ import annotations

from sqlalchemy import select

from lms.catalog.loaders import course_data
from lms.catalog.models import Course
from lms.credentials.programmes import apply_programme, parse_programme_files
from lms.extensions import db
from lms.loading import Loader, LoadReport, LoadRun, register_loader

FOLDER = "certificates"


def _references(run: LoadRun) -> dict:
    """What a programme may name: the files being loaded and what the database already has."""
    from lms.assessment.models import Quiz
    from lms.credentials.models import Programme
    from lms.projects.models import Brief
    db_quizzes = {(slug, key) for slug, key in db.session.execute(select(Course.slug, Quiz.key).join(Course))}
    db_briefs = {(slug, key) for slug, key in db.session.execute(select(Course.slug, Brief.key).join(Course))}
    return {"competencies": run.competencies,
            "courses": {c["slug"] for c in course_data(run)} | set(db.session.scalars(select(Course.slug))),
            "quizzes": {(slug, data["key"]) for slug, data, _ in run.parsed.get("quizzes", []) if slug} | db_quizzes,
            "briefs": {(slug, data["key"]) for slug, data, _, _ in run.parsed.get("briefs", [])} | db_briefs,
            "programmes": set(db.session.scalars(select(Programme.key)))}


def parse(run: LoadRun) -> list:
    """Only when the competencies are known (the programmes name them)."""
    if run.competencies is None or not (run.root / FOLDER).is_dir():
        return []
    programmes, errors = parse_programme_files(run.root / FOLDER, run.root, _references(run))
    run.errors.extend(errors)
    return programmes


def apply(run: LoadRun, programmes: list, report: LoadReport) -> None:
    for data, h in programmes:
        if apply_programme(data, h):
            report.programmes.append(data["key"])


def register() -> None:
    register_loader(Loader("programmes", "certificates/*.yaml", parse, apply,
                           after=("framework", "courses", "quizzes", "briefs")))

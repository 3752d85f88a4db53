"""What ``lms load`` does with the course folders (registered in lms/loading.py's registry)."""
from __future__ import annotations

from sqlalchemy import select

from lms.catalog.loader import apply_course, check_references, parse_course_dirs
from lms.catalog.models import Course
from lms.content import ContentError
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.loading import Loader, LoadReport, LoadRun, register_loader


def _competencies_of_the_database(run: LoadRun) -> None:
    """Without a framework file (and with no error so far), courses name the database's framework."""
    fw = current_framework()
    if fw is None:
        run.errors.append(ContentError("courses/framework.yaml", None, "no competency framework: the file is missing"))
    else:
        run.competencies = {c.code for d in fw.domains for c in d.competencies}


def parse(run: LoadRun) -> list[tuple[dict, str]]:
    parsed, errors = parse_course_dirs(run.courses_dir, run.root) if run.courses_dir.is_dir() else ([], [])
    run.errors.extend(errors)
    if run.competencies is None and not run.errors:
        _competencies_of_the_database(run)
    if run.competencies is not None:
        known = set(db.session.scalars(select(Course.slug)))
        run.errors.extend(check_references([p for p, _ in parsed], run.competencies, known))
    return parsed


def apply(run: LoadRun, parsed: list[tuple[dict, str]], report: LoadReport) -> None:
    """Prerequisites may point at courses loaded in the same run: create in dependency order."""
    framework = current_framework()
    done: set[str] = set()
    pending = {p["slug"]: (p, h) for p, h in parsed}
    while pending:
        ready = [s for s, (p, _) in pending.items() if all(q in done or q not in pending for q in p["prerequisites"])]
        for slug in sorted(ready):
            data, h = pending.pop(slug)
            _, changed = apply_course(data, h, framework)
            (report.courses_changed if changed else report.courses_unchanged).append(slug)
            done.add(slug)


def course_data(run: LoadRun) -> list[dict]:
    """The course files of this load, as parsed (for the loaders that come after)."""
    return [p for p, _ in run.parsed.get("courses", [])]


def register() -> None:
    register_loader(Loader("courses", "courses/<slug>/", parse, apply, after=("framework",)))

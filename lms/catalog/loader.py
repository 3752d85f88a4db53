"""Apply validated course data to the database (idempotent; keeps lesson rows, and so progress, by key)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.catalog.files import parse_course
from lms.catalog.models import Course, CourseCompetency, CoursePrerequisite, Delivery, Lesson, Module
from lms.content import ContentError, ContentInvalid, digest
from lms.extensions import db
from lms.frameworks.models import Competency, Framework
from lms.limits import excerpt


def read_course_dir(folder: Path) -> dict[str, bytes]:
    files = {"course.yaml": (folder / "course.yaml").read_bytes()} if (folder / "course.yaml").exists() else {}
    lessons = folder / "lessons"
    if lessons.is_dir():
        for p in sorted(lessons.glob("*.md")):
            files[f"lessons/{p.name}"] = p.read_bytes()
    return files


def files_hash(files: dict[str, bytes]) -> str:
    parts: list[bytes | str] = []
    for k in sorted(files):
        parts += [k, files[k]]
    return digest(*parts)


def check_references(courses: list[dict], framework_codes: set[str], known_slugs: set[str]) -> list[ContentError]:
    """Competencies must exist in the framework; prerequisites must exist and not form a cycle."""
    errors = []
    slugs = {c["slug"] for c in courses} | known_slugs
    for c in courses:
        for comp in c["competencies"]:
            if comp["code"] not in framework_codes:
                errors.append(ContentError(c["_file"], c["_lines"]["competencies"].get(comp["code"]),
                                           f"competency {excerpt(comp['code'])} is not in the competency framework"))
        for p in c["prerequisites"]:
            if p not in slugs:
                errors.append(ContentError(c["_file"], c["_lines"]["prerequisites"].get(p),
                                           f"prerequisite {excerpt(p)} is not a known course"))
    graph = {c["slug"]: c["prerequisites"] for c in courses}
    for c in courses:
        stack, seen = list(graph.get(c["slug"], [])), set()
        while stack:
            s = stack.pop()
            if s == c["slug"]:
                errors.append(ContentError(c["_file"], None, "the prerequisites form a cycle back to this course"))
                break
            if s not in seen:
                seen.add(s)
                stack.extend(graph.get(s, []))
    return errors


def apply_course(data: dict, source_hash: str | None, framework: Framework) -> tuple[Course, bool]:
    """Create or update a course from validated data. Returns (course, changed)."""
    course = db.session.scalar(select(Course).where(Course.slug == data["slug"]))
    if course is not None and source_hash is not None and course.source_hash == source_hash:
        return course, False
    if course is None:
        course = Course(slug=data["slug"])
        db.session.add(course)
    course.code = data["code"]
    course.title_en, course.title_zh = data["title"]["en"], data["title"]["zh"]
    course.summary_en, course.summary_zh = data["summary"]["en"], data["summary"]["zh"]
    course.level = data["level"]
    course.hours = data["hours"]
    course.languages = ",".join(data["languages"])
    course.status = data["status"]
    course.source_hash = source_hash
    comps = {c.code: c for c in db.session.scalars(select(Competency).where(Competency.framework_id == framework.id))}
    wanted = [(comps[c["code"]], c["level"]) for c in data["competencies"]]
    course.competencies = []
    db.session.flush()
    course.competencies = [CourseCompetency(competency=comp, level=level, position=i)
                           for i, (comp, level) in enumerate(wanted)]
    by_slug = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(data["prerequisites"])))}
    course.prerequisites = []
    db.session.flush()
    course.prerequisites = [CoursePrerequisite(required=by_slug[s], position=i)
                            for i, s in enumerate(data["prerequisites"]) if s in by_slug]
    _apply_modules(course, data["modules"])
    db.session.flush()
    return course, True


def _apply_modules(course: Course, modules: list[dict]) -> None:
    old_modules = {m.key: m for m in course.modules}
    old_lessons = {lesson.key: lesson for m in course.modules for lesson in m.lessons}
    # park positions out of the way so that reordering never collides
    for i, m in enumerate(course.modules):
        m.position = 10_000 + i
    new_modules = []
    for mi, md in enumerate(modules):
        m = old_modules.pop(md["key"], None) or Module(key=md["key"])
        m.position = mi
        m.title_en, m.title_zh = md["title"]["en"], md["title"]["zh"]
        m.summary_en, m.summary_zh = md["summary"]["en"], md["summary"]["zh"]
        new_modules.append(m)
    course.modules = new_modules
    db.session.flush()
    for mi, md in enumerate(modules):
        m = new_modules[mi]
        lessons = []
        for li, ld in enumerate(md["lessons"]):
            lesson = old_lessons.pop(ld["key"], None) or Lesson(key=ld["key"], course_id=course.id)
            lesson.position = li
            lesson.course_id = course.id
            lesson.title_en, lesson.title_zh = ld["title"]["en"], ld["title"]["zh"]
            lesson.summary_en, lesson.summary_zh = ld["summary"]["en"], ld["summary"]["zh"]
            lesson.hours = ld["hours"]
            lesson.delivery = ld.get("delivery", Delivery.SELF_STUDY)
            lesson.body_en, lesson.body_zh = ld["body"]["en"], ld["body"]["zh"]
            lessons.append(lesson)
        m.lessons = lessons
    for lesson in old_lessons.values():
        db.session.delete(lesson)
    db.session.flush()


def parse_course_dirs(root: Path, display_root: Path) -> tuple[list[tuple[dict, str]], list[ContentError]]:
    parsed, errors = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not (folder / "course.yaml").exists():
            continue
        files = read_course_dir(folder)
        prefix = str(folder.relative_to(display_root)) if folder.is_relative_to(display_root) else str(folder)
        try:
            parsed.append((parse_course(folder.name, files, prefix), files_hash(files)))
        except ContentInvalid as exc:
            errors.extend(exc.errors)
    return parsed, errors

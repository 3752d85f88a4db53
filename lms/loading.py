"""``lms load``: validate every content file first (framework, courses, question banks), then apply;
any error changes nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from lms.assessment.banks import all_banks, apply_bank_file, family, load_bank_files
from lms.assessment.quizfiles import apply_quiz, parse_course_quizzes, parse_quiz
from lms.assessment.rubrics import apply_rubric, parse_rubric_files, question_types, release_questions
from lms.catalog.loader import apply_course, check_references, parse_course_dirs
from lms.catalog.models import Course
from lms.content import ContentError, ContentInvalid, digest
from lms.credentials.programmes import apply_programme, parse_programme_files
from lms.extensions import db
from lms.frameworks.loader import current_framework, load_framework, parse_framework
from lms.projects.briefs import apply_brief, parse_course_briefs


@dataclass
class LoadReport:
    framework: str = ""
    framework_created: bool = False
    courses_changed: list[str] = field(default_factory=list)
    courses_unchanged: list[str] = field(default_factory=list)
    banks: list[str] = field(default_factory=list)
    rubrics: list[str] = field(default_factory=list)
    quizzes: list[str] = field(default_factory=list)
    briefs: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"framework {self.framework}: {'new version loaded' if self.framework_created else 'unchanged'}"]
        out.append(f"courses: {len(self.courses_changed)} loaded, {len(self.courses_unchanged)} unchanged")
        out += [f"  loaded {s}" for s in self.courses_changed]
        out += self.banks or ["question banks: unchanged"]
        out.append(f"essay rubrics: {len(self.rubrics)} loaded" + (f" ({', '.join(self.rubrics)})" if self.rubrics else ""))
        out.append(f"quizzes: {len(self.quizzes)} loaded" + (f" ({', '.join(self.quizzes)})" if self.quizzes else ""))
        out.append(f"project briefs: {len(self.briefs)} loaded" + (f" ({', '.join(self.briefs)})" if self.briefs else ""))
        out.append(f"programmes: {len(self.programmes)} loaded"
                   + (f" ({', '.join(self.programmes)})" if self.programmes else ""))
        return out


def load_all(root: Path) -> LoadReport:
    """Load ``root/courses`` (framework and courses). Commits on success, rolls back and raises otherwise."""
    report = LoadReport()
    courses_dir = root / "courses"
    fw_file = courses_dir / "framework.yaml"
    errors: list[ContentError] = []
    fw_codes: set[str] | None = None
    if fw_file.exists():
        try:
            fw_data = parse_framework(fw_file.read_text(encoding="utf-8"), "courses/framework.yaml")
            fw_codes = {c["code"] for d in fw_data["domains"] for c in d["competencies"]}
        except ContentInvalid as exc:
            errors.extend(exc.errors)
        except UnicodeDecodeError as exc:
            errors.append(ContentError("courses/framework.yaml", None, f"not UTF-8 text ({exc.reason})"))
    parsed, course_errors = parse_course_dirs(courses_dir, root) if courses_dir.is_dir() else ([], [])
    errors.extend(course_errors)
    if fw_codes is None and not errors:
        fw = current_framework()
        if fw is None:
            errors.append(ContentError("courses/framework.yaml", None, "no competency framework: the file is missing"))
        else:
            fw_codes = {c.code for d in fw.domains for c in d.competencies}
    if fw_codes is not None:
        known = set(db.session.scalars(select(Course.slug)))
        errors.extend(check_references([p for p, _ in parsed], fw_codes, known))
    bank_dir = root / "question_banks"
    banks, bank_errors = load_bank_files(bank_dir, root) if bank_dir.is_dir() else ([], [])
    errors.extend(bank_errors)
    rubric_dir = bank_dir / "rubrics"
    rubrics, rubric_errors = parse_rubric_files(rubric_dir, root, question_types(banks)) \
        if rubric_dir.is_dir() else ([], [])
    errors.extend(rubric_errors)
    families = {family(slug) for _p, slug, *_ in banks} | {family(b.slug) for b in all_banks()}
    quizzes, quiz_errors = parse_course_quizzes(courses_dir, root, [p for p, _ in parsed], families) \
        if courses_dir.is_dir() else ([], [])
    errors.extend(quiz_errors)
    diagnostic_file = courses_dir / "diagnostic.yaml"
    if diagnostic_file.exists():
        try:
            raw = diagnostic_file.read_bytes()
            data = parse_quiz(raw.decode("utf-8"), "courses/diagnostic.yaml", "diagnostic", set(), families)
            quizzes.append((None, data, digest(raw)))
        except ContentInvalid as exc:
            errors.extend(exc.errors)
    briefs, brief_errors = parse_course_briefs(courses_dir, root, [p["slug"] for p, _ in parsed], fw_codes or set()) \
        if courses_dir.is_dir() and fw_codes is not None else ([], [])
    errors.extend(brief_errors)
    programmes: list = []
    if fw_codes is not None and (root / "certificates").is_dir():
        programmes, programme_errors = parse_programme_files(root / "certificates", root, _references(
            fw_codes, [p for p, _ in parsed], quizzes, briefs))
        errors.extend(programme_errors)
    if errors:
        raise ContentInvalid(errors)
    try:
        if fw_file.exists():
            res = load_framework(fw_file, "courses/framework.yaml")
            report.framework, report.framework_created = f"{res.framework.code} v{res.framework.version}", res.created
        framework = current_framework()
        # prerequisites may point at courses loaded in the same run: create in dependency order
        done: set[str] = set()
        pending = {p["slug"]: (p, h) for p, h in parsed}
        while pending:
            ready = [s for s, (p, _) in pending.items() if all(q in done or q not in pending for q in p["prerequisites"])]
            for slug in sorted(ready):
                data, h = pending.pop(slug)
                _, changed = apply_course(data, h, framework)
                (report.courses_changed if changed else report.courses_unchanged).append(slug)
                done.add(slug)
        # question banks after the framework, so that categories align with its competencies
        for _path, slug, lang, questions, h in banks:
            bank_report = apply_bank_file(slug, lang, questions, h)
            if bank_report is not None:
                report.banks.append(bank_report.line())
        # essay rubrics after the banks whose questions they name
        release_questions([data for data, *_ in rubrics])
        for data, text, h, display in rubrics:
            if apply_rubric(data, text, h, display) is not None:
                report.rubrics.append(data["slug"])
        for slug, data, h in quizzes:
            if apply_quiz(slug, data, h):
                report.quizzes.append(f"{slug}/{data['key']}" if slug else data["key"])
        for slug, data, text, h in briefs:
            course = db.session.scalar(select(Course).where(Course.slug == slug))
            if apply_brief(course, data, text, h, f"courses/{slug}/projects/{data['key']}.yaml") is not None:
                report.briefs.append(f"{slug}/{data['key']}")
        for data, h in programmes:
            if apply_programme(data, h):
                report.programmes.append(data["key"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _references(fw_codes: set[str], courses: list[dict], quizzes: list, briefs: list) -> dict:
    """What a programme may name: the files being loaded and what the database already has."""
    from lms.assessment.models import Quiz
    from lms.credentials.models import Programme
    from lms.projects.models import Brief
    db_quizzes = {(slug, key) for slug, key in db.session.execute(select(Course.slug, Quiz.key).join(Course))}
    db_briefs = {(slug, key) for slug, key in db.session.execute(select(Course.slug, Brief.key).join(Course))}
    return {"competencies": fw_codes,
            "courses": {c["slug"] for c in courses} | set(db.session.scalars(select(Course.slug))),
            "quizzes": {(slug, data["key"]) for slug, data, _ in quizzes if slug} | db_quizzes,
            "briefs": {(slug, data["key"]) for slug, data, _, _ in briefs} | db_briefs,
            "programmes": set(db.session.scalars(select(Programme.key)))}

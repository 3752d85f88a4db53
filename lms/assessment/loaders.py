"""What ``lms load`` does with question banks, essay rubrics and quiz files (registered in lms/loading.py's
registry)."""
from __future__ import annotations

from lms.assessment.banks import all_banks, apply_bank_file, family, load_bank_files
from lms.assessment.quizfiles import apply_quiz, parse_course_quizzes, parse_quiz
from lms.assessment.rubrics import apply_rubric, parse_rubric_files, question_types, release_questions
from lms.catalog.loaders import course_data
from lms.content import ContentInvalid, digest
from lms.loading import Loader, LoadReport, LoadRun, register_loader

BANKS = "question_banks"
DIAGNOSTIC = "courses/diagnostic.yaml"


def parse_banks(run: LoadRun) -> list:
    folder = run.root / BANKS
    banks, errors = load_bank_files(folder, run.root) if folder.is_dir() else ([], [])
    run.errors.extend(errors)
    return banks


def apply_banks(run: LoadRun, banks: list, report: LoadReport) -> None:
    """After the framework, so that categories align with its competencies."""
    for _path, slug, lang, questions, h in banks:
        bank_report = apply_bank_file(slug, lang, questions, h)
        if bank_report is not None:
            report.banks.append(bank_report.line())


def parse_rubrics(run: LoadRun) -> list:
    folder = run.root / BANKS / "rubrics"
    rubrics, errors = parse_rubric_files(folder, run.root, question_types(run.parsed["banks"])) \
        if folder.is_dir() else ([], [])
    run.errors.extend(errors)
    return rubrics


def apply_rubrics(run: LoadRun, rubrics: list, report: LoadReport) -> None:
    """After the banks whose questions they name."""
    release_questions([data for data, *_ in rubrics])
    for data, text, h, display in rubrics:
        if apply_rubric(data, text, h, display) is not None:
            report.rubrics.append(data["slug"])


def _diagnostic(run: LoadRun, families: set[str]) -> list:
    path = run.root / DIAGNOSTIC
    if not path.exists():
        return []
    try:
        raw = path.read_bytes()
        return [(None, parse_quiz(raw.decode("utf-8"), DIAGNOSTIC, "diagnostic", set(), families), digest(raw))]
    except ContentInvalid as exc:
        run.errors.extend(exc.errors)
        return []


def parse_quizzes(run: LoadRun) -> list:
    families = {family(slug) for _p, slug, *_ in run.parsed["banks"]} | {family(b.slug) for b in all_banks()}
    quizzes, errors = parse_course_quizzes(run.courses_dir, run.root, course_data(run), families) \
        if run.courses_dir.is_dir() else ([], [])
    run.errors.extend(errors)
    return quizzes + _diagnostic(run, families)


def apply_quizzes(run: LoadRun, quizzes: list, report: LoadReport) -> None:
    for slug, data, h in quizzes:
        if apply_quiz(slug, data, h):
            report.quizzes.append(f"{slug}/{data['key']}" if slug else data["key"])


def register() -> None:
    register_loader(Loader("banks", "question_banks/*.gift", parse_banks, apply_banks, after=("framework",)))
    register_loader(Loader("rubrics", "question_banks/rubrics/*.yaml", parse_rubrics, apply_rubrics,
                           after=("banks",)))
    register_loader(Loader("quizzes", "courses/<slug>/quizzes/*.yaml, courses/diagnostic.yaml", parse_quizzes,
                           apply_quizzes, after=("courses", "banks")))

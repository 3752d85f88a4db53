"""Content checks on the shipped files (courses/, question_banks/), read with the platform's own parsers, so that
they hold for every course and bank, including those added later:

* no answer cues: across the single-answer multiple-choice questions of each bank file, the key is the longest
  option in at most 40% of them, and the mean of (key length / mean distractor length) is at most 1.25;
* question counts: every competency a published course teaches at Foundation level has at least 5 questions at
  level F in each language; every ``[id:]`` of a bank exists in both of its languages;
* lessons: both languages present, no placeholder text, ``delivery`` and ``hours`` said in every lesson's front
  matter, and a published course's hours equal to the sum of its lessons';
* multiple-response questions: ticking every option scores at most 0.
"""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from functools import cache

import pytest
import yaml

from lms.assessment.banks import bank_identity, family, parse_questions
from lms.catalog.files import parse_course
from lms.catalog.loader import read_course_dir
from lms.config import REPO_ROOT

BANKS = REPO_ROOT / "question_banks"
COURSES = REPO_ROOT / "courses"
MIN_PER_COMPETENCY = 5
MAX_KEY_LONGEST = 0.40
MAX_LENGTH_RATIO = 1.25
PLACEHOLDER = re.compile(r"\bTBD\b|\bTODO\b|\blorem\b|\bFIXME\b|\bXXX\b|待补充|待填写", re.IGNORECASE)
# Competencies whose Foundation questions another slice of issue 19 writes (ids that are not there yet): their
# shortfall is expected until that slice is merged. Never F1's or the diagnostic's.
PENDING_ELSEWHERE: dict[str, str] = {}


def _plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]*>", "", text or "").split())


@cache
def _framework_codes() -> frozenset[str]:
    data = yaml.safe_load((COURSES / "framework.yaml").read_text(encoding="utf-8"))
    return frozenset(c["code"] for d in data["domains"] for c in d["competencies"])


def _competency(question: dict) -> str | None:
    """As the loader aligns a category: its last segment that is a competency code of the framework."""
    return next((s for s in reversed(question.get("category") or []) if s in _framework_codes()), None)


def _level(question: dict) -> str | None:
    return next((t[len("level-"):] for t in question.get("tags", []) if re.fullmatch(r"level-[FPE]", t)), None)


@cache
def _banks() -> dict[tuple[str, str], list[dict]]:
    """(bank slug, language) → its questions, as ``lms load`` parses them."""
    out = {}
    for path in sorted(BANKS.glob("*.gift")):
        slug, lang = bank_identity(path)
        out[(slug, lang)] = parse_questions(path.read_text(encoding="utf-8"), "gift", str(path.relative_to(REPO_ROOT)))
    return out


@cache
def _courses() -> list[dict]:
    out = []
    for folder in sorted(p for p in COURSES.iterdir() if (p / "course.yaml").exists()):
        files = read_course_dir(folder)
        course = parse_course(folder.name, files, f"courses/{folder.name}")
        course["_files"] = files
        out.append(course)
    return out


def _bank_params():
    return [pytest.param(slug, lang, id=f"{family(slug)}.{lang}") for slug, lang in _banks()]


def _single_choice(questions: list[dict]):
    for q in questions:
        if q["qtype"] != "multichoice" or not q.get("single"):
            continue
        keys = [a for a in q["answers"] if Decimal(a["fraction"]) == 1]
        others = [a for a in q["answers"] if Decimal(a["fraction"]) < 1]
        if keys and others:
            yield q, len(_plain(keys[0]["text"])), [len(_plain(a["text"])) for a in others]


def cue_report(questions: list[dict]) -> tuple[int, int, float, list[str]]:
    """(single-answer questions, those whose key is the longest option, mean key/distractor length ratio, the
    ids of the questions whose key is the longest option)."""
    n, longest, ratios = 0, [], []
    for q, key, others in _single_choice(questions):
        n += 1
        ratios.append(key / max(sum(others) / len(others), 1))
        if key > max(others):
            longest.append(f"{q.get('idnumber') or q['name']} ({key}/{max(others)})")
    return n, len(longest), (sum(ratios) / len(ratios) if ratios else 0.0), longest


@pytest.mark.parametrize(("slug", "lang"), _bank_params())
def test_no_answer_cue_in_single_answer_questions(slug, lang):
    n, longest, ratio, ids = cue_report(_banks()[(slug, lang)])
    if not n:
        return
    assert longest <= MAX_KEY_LONGEST * n and ratio <= MAX_LENGTH_RATIO, (
        f"{family(slug)}.{lang}: the key is the longest option in {longest} of {n} single-answer questions (at most "
        f"{MAX_KEY_LONGEST:.0%} allowed) and is on average {ratio:.2f}× the distractors' length (at most "
        f"{MAX_LENGTH_RATIO}); the key is longest in: {', '.join(ids)}")


@pytest.mark.parametrize(("slug", "lang"), _bank_params())
def test_ticking_every_option_scores_nothing(slug, lang):
    bad = [q.get("idnumber") or q["name"] for q in _banks()[(slug, lang)]
           if q["qtype"] == "multichoice" and not q.get("single")
           and sum(Decimal(a["fraction"]) for a in q["answers"]) > 0]
    assert not bad, f"{family(slug)}.{lang}: ticking every option scores more than 0 in {', '.join(bad)}"


def test_every_id_exists_in_both_languages_of_its_bank():
    ids: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for (slug, lang), questions in _banks().items():
        ids[family(slug)][lang] = {q["idnumber"] for q in questions if q.get("idnumber")}
    problems = []
    for fam, by_lang in sorted(ids.items()):
        assert set(by_lang) == {"en", "zh"}, f"bank {fam} is not in both languages: {sorted(by_lang)}"
        for lang, other in (("en", "zh"), ("zh", "en")):
            missing = sorted(by_lang[lang] - by_lang[other])
            if missing:
                problems.append(f"{fam}: in {lang} only: {', '.join(missing)}")
    assert not problems, "; ".join(problems)


def test_every_question_has_an_id_a_level_and_a_competency():
    problems = [f"{family(slug)}.{lang} line {q['line']}" for (slug, lang), qs in _banks().items() for q in qs
                if q["qtype"] != "description" and not (q.get("idnumber") and _level(q) and _competency(q))]
    assert not problems, "questions without an [id:], a level tag or a competency category: " + ", ".join(problems)


def _foundation_competencies() -> dict[str, list[str]]:
    """Competency → the published courses that teach it at level F."""
    out = defaultdict(list)
    for course in _courses():
        if course["status"] == "published":
            for c in course["competencies"]:
                if c["level"] == "F":
                    out[c["code"]].append(course["code"])
    return out


def _counts(level: str) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for (_slug, lang), questions in _banks().items():
        for q in questions:
            if _level(q) == level and _competency(q):
                counts[(_competency(q), lang)] += 1
    return counts


def _competency_params():
    out = []
    for code in sorted(_foundation_competencies()):
        marks = [pytest.mark.xfail(reason=PENDING_ELSEWHERE[code], strict=True)] if code in PENDING_ELSEWHERE else []
        out.append(pytest.param(code, id=code, marks=marks))
    return out


@pytest.mark.parametrize("code", _competency_params())
def test_foundation_competencies_have_enough_questions(code):
    counts = _counts("F")
    short = {lang: counts[(code, lang)] for lang in ("en", "zh") if counts[(code, lang)] < MIN_PER_COMPETENCY}
    assert not short, (f"{code} (taught at Foundation level by {', '.join(_foundation_competencies()[code])}) has "
                       f"fewer than {MIN_PER_COMPETENCY} level-F questions: {short}")


def test_published_courses_declare_competencies_the_framework_has():
    unknown = [f"{c['code']}: {cc['code']}" for c in _courses() if c["status"] == "published"
               for cc in c["competencies"] if cc["code"] not in _framework_codes()]
    assert not unknown, ", ".join(unknown)


def _lessons(course: dict):
    for module in course["modules"]:
        yield from module["lessons"]


def _front_matter(text: str) -> dict:
    lines = text.splitlines()
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    return yaml.safe_load("\n".join(lines[1:end])) or {}


def _course_params():
    return [pytest.param(c["slug"], id=c["slug"]) for c in _courses()]


def _course(slug: str) -> dict:
    return next(c for c in _courses() if c["slug"] == slug)


@pytest.mark.parametrize("slug", _course_params())
def test_every_lesson_says_its_delivery_and_hours(slug):
    """Of a published course (an outline is not delivered yet; it must say them when it is published)."""
    course = _course(slug)
    if course["status"] != "published":
        return
    missing = []
    for lesson in _lessons(course):
        front = _front_matter(course["_files"][f"lessons/{lesson['key']}.md"].decode("utf-8"))
        missing += [f"{lesson['key']}: {key}" for key in ("delivery", "hours") if key not in front]
    assert not missing, f"{slug}: lessons without " + ", ".join(missing)


@pytest.mark.parametrize("slug", _course_params())
def test_published_course_hours_are_the_sum_of_its_lessons(slug):
    course = _course(slug)
    if course["status"] != "published":
        return
    total = sum((Decimal(str(lesson["hours"])) for lesson in _lessons(course)), Decimal(0))
    assert Decimal(str(course["hours"])) == total, f"{slug}: course hours {course['hours']}, lessons sum to {total}"


@pytest.mark.parametrize("slug", _course_params())
def test_published_course_lessons_are_complete_in_both_languages(slug):
    course = _course(slug)
    if course["status"] != "published":
        return
    problems = []
    for lesson in _lessons(course):
        for lang in course["languages"]:
            body = (lesson.get("body") or {}).get(lang)
            if not body or len(body) < 200:
                problems.append(f"{lesson['key']}: no {lang} body")
            elif PLACEHOLDER.search(body):
                problems.append(f"{lesson['key']} ({lang}): placeholder {PLACEHOLDER.search(body).group(0)!r}")
            if not (lesson.get("title") or {}).get(lang):
                problems.append(f"{lesson['key']}: no {lang} title")
    assert not problems, f"{slug}: " + "; ".join(problems)


@pytest.mark.parametrize(("slug", "lang"), _bank_params())
def test_no_placeholder_or_empty_text_in_banks(slug, lang):
    problems = []
    for q in _banks()[(slug, lang)]:
        texts = [q["text"], q.get("general_feedback", "")] + [a.get("text", "") for a in q.get("answers", [])]
        if not _plain(q["text"]) or not _plain(q.get("general_feedback", "")):
            problems.append(f"{q.get('idnumber')}: empty text or general feedback")
        if any(PLACEHOLDER.search(t or "") for t in texts):
            problems.append(f"{q.get('idnumber')}: placeholder text")
    assert not problems, f"{family(slug)}.{lang}: " + "; ".join(problems)


def test_the_cue_check_catches_a_cued_bank():
    cued = parse_questions("\n\n".join(
        f"// [id:X-{i}] [tag:level-F]\n::q{i}::Which? {{=the right answer, with all the detail it needs to be "
        f"right ~wrong ~also wrong}}" for i in range(5)), "gift", "test")
    n, longest, ratio, ids = cue_report(cued)
    assert (n, longest) == (5, 5) and ratio > MAX_LENGTH_RATIO and len(ids) == 5

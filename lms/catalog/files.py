"""Course files ⇄ plain data ⇄ database.

``parse_course`` validates a course folder (given as a mapping of relative path → bytes, so
a folder on disk and an uploaded zip are read the same way) and returns plain data;
``serialize_course`` writes a course back to the same files.
"""
from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import yaml
from pydantic import BeforeValidator, ValidationInfo, model_validator

from lms.catalog.models import DELIVERIES, CourseStatus, Delivery
from lms.content import SLUG_RE, ContentError, ContentInvalid, line_of, parse_yaml
from lms.content_schema import (
    LANGS,
    ContentModel,
    amount,
    bilingual,
    distinct,
    issues,
    matching,
    one_of,
    problem,
    said,
    shape,
    text,
    validate,
)
from lms.frameworks.models import LEVEL_CODES
from lms.limits import excerpt

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,78}$")
STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,78}$")
LANG_MARK = re.compile(r"^<!--\s*lang:\s*([a-z]{2})\s*-->\s*$")
STATUSES_IN_FILES = ("published", "outline", "draft")


class LessonSchema(ContentModel):
    """the front matter must be a mapping (title, summary, hours, delivery)"""
    where = "lesson"
    not_mapping = "the front matter must be a mapping (title, summary, hours, delivery)"
    title: bilingual(max_len=300) = None
    summary: bilingual(required=False) = None
    hours: amount(0, 1000)
    # live (face-to-face or live online) or self-study (recorded or reading); self-study when not said
    delivery: one_of(DELIVERIES, "'delivery' must be one of {choices}, not {value}") = "self-study"


def _bodies(lines: list[str], first: int, file: str) -> tuple[dict, list[ContentError]]:
    """The ``<!-- lang: xx -->`` sections after the front matter (``lines[first:]``)."""
    body, errors, current, chunk, stray = {"en": None, "zh": None}, [], None, [], None
    for n, line in enumerate(lines[first:], start=first + 1):
        m = LANG_MARK.match(line.strip())
        if not m:
            chunk.append(line)
            stray = stray or (n if current is None and line.strip() else None)
            continue
        if current:
            body[current] = "\n".join(chunk).strip() or None
        previous, current, chunk, lang = current, None, [], m.group(1)
        if lang not in LANGS:
            errors.append(ContentError(file, n, f"unknown body language {excerpt(lang)} (use en or zh)"))
        elif body[lang] is not None or lang == previous:
            errors.append(ContentError(file, n, f"the '{lang}' body appears twice"))
        else:
            current = lang
    if current:
        body[current] = "\n".join(chunk).strip() or None
    if stray:
        errors.append(ContentError(file, stray, "text after the front matter must follow a '<!-- lang: en -->' or "
                                                "'<!-- lang: zh -->' line"))
    return body, errors


def parse_lesson(text: str, file: str) -> dict:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentInvalid([ContentError(file, 1, "a lesson starts with a front matter block between '---' lines")])
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise ContentInvalid([ContentError(file, 1, "the front matter is not closed by a '---' line")])
    meta = parse_yaml("\n" + "\n".join(lines[1:end]), file)        # the opening '---' kept as a line
    body, errors = _bodies(lines, end + 1, file)
    if not isinstance(meta, dict):
        raise ContentInvalid([ContentError(file, 2, LessonSchema.not_mapping)])
    lesson = validate(LessonSchema, meta, file, errors=errors)
    return {**lesson.model_dump(), "body": body}


def _lesson_file(stem, info: ValidationInfo) -> dict:
    """A lesson named in a module: a file stem, named once, whose file exists and is read (its errors are
    its file's)."""
    read = info.context
    if not isinstance(stem, str) or not STEM_RE.match(stem):
        raise problem(f"lesson {excerpt(stem)} is not a valid file stem")
    if stem in read["listed"]:
        raise problem(f"lesson {excerpt(stem)} is listed twice")
    read["listed"].add(stem)
    path = f"lessons/{stem}.md"
    if path not in read["texts"]:
        raise problem(f"lesson file {path} does not exist")
    try:
        return {**parse_lesson(read["texts"][path], f"{read['prefix']}/{path}"), "key": stem}
    except ContentInvalid as exc:
        read["lesson_errors"].extend(exc.errors)
        return {"key": stem}


class ModuleSchema(ContentModel):
    where = "module {key}"
    key: matching(KEY_RE, "key may only hold lower-case letters, digits and '-'")
    title: bilingual(max_len=300) = None
    summary: bilingual(required=False) = None
    lessons: Annotated[list[Annotated[dict, BeforeValidator(_lesson_file)]],
                       shape(list, "'lessons' must be a non-empty list of file names", 1)] = None


class CourseCompetency(ContentModel):
    where = "competency {key}"
    code: text(max_len=20)
    level: one_of(LEVEL_CODES, "level {value} is not one of {choices}")


class CourseSchema(ContentModel):
    """``courses/<slug>/course.yaml``; its lessons are ``lessons/<stem>.md`` beside it."""
    where = "course"
    not_mapping = "course.yaml must be a mapping"
    code: text(max_len=20)
    title: bilingual(max_len=300) = None
    summary: bilingual(required=False) = None
    level: one_of(LEVEL_CODES, "level {value} is not one of {choices}")
    hours: amount(0, 1000)
    languages: Annotated[list[one_of(LANGS)], said("'languages' must be a list of en and/or zh"),
                         shape(list, "'languages' must be a list of en and/or zh", 1)] = ["en", "zh"]
    status: one_of(STATUSES_IN_FILES, "status {value} is not one of {choices}") = "draft"
    competencies: Annotated[list[CourseCompetency], distinct("code", "competency {value} is listed twice"),
                            shape(list, "'competencies' must be a list of {code, level}")] = None
    prerequisites: Annotated[list[str], said("'prerequisites' must be a list of course slugs"),
                             shape(list, "'prerequisites' must be a list of course slugs")] = None
    modules: Annotated[list[ModuleSchema], distinct("key"), shape(list, "'modules' must be a non-empty list", 1)] = None

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo):
        issues((("prerequisites", i), "a course cannot be its own prerequisite")
               for i, p in enumerate(self.prerequisites) if p == info.context["slug"])
        return self


def _decoded(files: dict[str, bytes], prefix: str, errors: list[ContentError]) -> dict[str, str]:
    texts = {}
    for path, raw in files.items():
        try:
            texts[path] = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(ContentError(f"{prefix}/{path}", None, f"not UTF-8 text ({exc.reason})"))
    if errors:
        raise ContentInvalid(errors)
    return texts


def _bodiless(course: CourseSchema, prefix: str) -> list[ContentError]:
    if course.status != CourseStatus.PUBLISHED:
        return []
    return [ContentError(f"{prefix}/lessons/{lesson['key']}.md", None,
                         "a lesson of a published course needs a body ('<!-- lang: en -->' ...)")
            for m in course.modules for lesson in m.lessons if "body" in lesson
            and not (lesson["body"]["en"] or lesson["body"]["zh"])]


def _unlisted(texts: dict[str, str], listed: set[str], prefix: str) -> list[ContentError]:
    return [ContentError(f"{prefix}/{path}", None, "this lesson file is not listed in any module of course.yaml")
            for path in sorted(texts) if path.startswith("lessons/") and path.endswith(".md")
            and path[len("lessons/"):-len(".md")] not in listed]


def _lines(data) -> dict:
    """Where the course names its competencies and prerequisites (the loader checks that they exist)."""
    return {"competencies": {c["code"]: c.line for c in data.get("competencies") or []},
            "prerequisites": {p: line_of(data["prerequisites"], i) for i, p in enumerate(data.get("prerequisites") or [])}}


def parse_course(slug: str, files: dict[str, bytes], prefix: str) -> dict:
    """Validate one course; ``files`` maps 'course.yaml' and 'lessons/<stem>.md' to their bytes."""
    name = f"{prefix}/course.yaml"
    errors = [] if SLUG_RE.match(slug) else [ContentError(prefix, None, f"folder name {excerpt(slug)} is not a valid "
                                                                        "slug (lower case letters, digits, '-')")]
    if "course.yaml" not in files:
        raise ContentInvalid(errors + [ContentError(name, None, "course.yaml is missing")])
    texts = _decoded(files, prefix, errors)
    data = parse_yaml(texts["course.yaml"], name)
    read = {"slug": slug, "prefix": prefix, "texts": texts, "listed": set(), "lesson_errors": []}
    try:
        course = validate(CourseSchema, data, name, read, errors)
    except ContentInvalid as exc:
        errors = exc.errors
    else:
        errors = _bodiless(course, prefix)
    errors += read["lesson_errors"] + _unlisted(texts, read["listed"], prefix)
    if errors:
        raise ContentInvalid(errors)
    return {"slug": slug, **course.model_dump(), "languages": list(dict.fromkeys(course.languages)), "_file": name,
            "_lines": _lines(data)}


class _Dumper(yaml.SafeDumper):
    pass


def _str_rep(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _dec_rep(dumper, value):
    if value == value.to_integral():
        return dumper.represent_int(int(value))
    return dumper.represent_float(float(value))


_Dumper.add_representer(str, _str_rep)
_Dumper.add_multi_representer(StrEnum, lambda dumper, value: _str_rep(dumper, value.value))   # a state: its string
_Dumper.add_representer(Decimal, _dec_rep)


def _pair(en, zh) -> dict:
    return {k: v for k, v in (("en", en), ("zh", zh)) if v}


def dump_yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def serialize_course(course) -> dict[str, str]:
    """The course as files, in the format ``parse_course`` reads."""
    files: dict[str, str] = {}
    doc = {"code": course.code, "title": _pair(course.title_en, course.title_zh)}
    if course.summary_en or course.summary_zh:
        doc["summary"] = _pair(course.summary_en, course.summary_zh)
    doc.update({"level": course.level, "hours": Decimal(course.hours), "languages": course.language_list,
                "status": str(course.status),
                "competencies": [{"code": cc.competency.code, "level": cc.level} for cc in course.competencies],
                "prerequisites": [p.required.slug for p in course.prerequisites],
                "modules": []})
    for m in course.modules:
        md = {"key": m.key, "title": _pair(m.title_en, m.title_zh)}
        if m.summary_en or m.summary_zh:
            md["summary"] = _pair(m.summary_en, m.summary_zh)
        md["lessons"] = [lesson.key for lesson in m.lessons]
        doc["modules"].append(md)
        for lesson in m.lessons:
            front = {"title": _pair(lesson.title_en, lesson.title_zh)}
            if lesson.summary_en or lesson.summary_zh:
                front["summary"] = _pair(lesson.summary_en, lesson.summary_zh)
            front["hours"] = Decimal(lesson.hours).normalize()
            if lesson.delivery == Delivery.LIVE:
                front["delivery"] = str(lesson.delivery)
            parts = ["---", dump_yaml(front).rstrip(), "---"]
            for lang in ("en", "zh"):
                body = getattr(lesson, f"body_{lang}")
                if body:
                    parts += [f"<!-- lang: {lang} -->", body.strip(), ""]
            files[f"lessons/{lesson.key}.md"] = "\n".join(parts).rstrip() + "\n"
    files["course.yaml"] = dump_yaml(doc)
    return files

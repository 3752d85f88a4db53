"""Course files ⇄ plain data ⇄ database.

``parse_course`` validates a course folder (given as a mapping of relative path → bytes, so
a folder on disk and an uploaded zip are read the same way) and returns plain data;
``serialize_course`` writes a course back to the same files.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import yaml

from lms.content import SLUG_RE, Checker, ContentError, ContentInvalid, LDict, parse_yaml
from lms.frameworks.models import LEVEL_CODES
from lms.limits import excerpt

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,78}$")
STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,78}$")
LANG_MARK = re.compile(r"^<!--\s*lang:\s*([a-z]{2})\s*-->\s*$")
STATUSES_IN_FILES = ("published", "outline", "draft")


def _decimal(c: Checker, node, key, where, required=True) -> Decimal | None:
    value = node.get(key) if isinstance(node, dict) else None
    if value is None:
        if required:
            c.error(node, None, f"{where}: '{key}' is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        c.error(node, key, f"{where}: '{key}' must be a number")
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        c.error(node, key, f"{where}: '{key}' must be a number, not {excerpt(value)}")
        return None
    if d < 0 or d > 1000:
        c.error(node, key, f"{where}: '{key}' must be between 0 and 1000")
        return None
    return d.normalize() if d == d.to_integral() else d


def parse_lesson(text: str, file: str) -> dict:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentInvalid([ContentError(file, 1, "a lesson starts with a front matter block between '---' lines")])
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentInvalid([ContentError(file, 1, "the front matter is not closed by a '---' line")]) from None
    meta = parse_yaml("\n".join(lines[1:end]), file, line_offset=1)
    c = Checker(file)
    if not isinstance(meta, dict):
        raise ContentInvalid([ContentError(file, 2, "the front matter must be a mapping (title, summary, hours)")])
    for k in set(meta) - {"title", "summary", "hours"}:
        c.error(meta, k, f"unknown front-matter key {excerpt(k)} (allowed: title, summary, hours)", line=meta.key_lines[k] + 1)
    # lines inside the front matter are offset by the opening '---'
    shifted = LDict(meta)
    shifted.line = meta.line + 1
    shifted.key_lines = {k: v + 1 for k, v in meta.key_lines.items()}
    out = {"title": c.bilingual(shifted, "title", "lesson", max_len=300),
           "summary": c.bilingual(shifted, "summary", "lesson", required=False),
           "hours": _decimal(c, shifted, "hours", "lesson") or Decimal(0), "body": {"en": None, "zh": None}}
    current, chunk = None, []
    pre = []
    for n, line in enumerate(lines[end + 1:], start=end + 2):
        m = LANG_MARK.match(line.strip())
        if m:
            if current:
                out["body"][current] = "\n".join(chunk).strip() or None
            lang = m.group(1)
            if lang not in ("en", "zh"):
                c.error(None, None, f"unknown body language {excerpt(lang)} (use en or zh)", line=n)
                current = None
            elif out["body"].get(lang) is not None or (current == lang):
                c.error(None, None, f"the '{lang}' body appears twice", line=n)
                current = None
            else:
                current = lang
            chunk = []
        elif current:
            chunk.append(line)
        elif line.strip():
            pre.append(n)
    if current:
        out["body"][current] = "\n".join(chunk).strip() or None
    if pre:
        c.error(None, None, "text after the front matter must follow a '<!-- lang: en -->' or '<!-- lang: zh -->' line",
                line=pre[0])
    if c.errors:
        raise ContentInvalid(c.errors)
    return out


def parse_course(slug: str, files: dict[str, bytes], prefix: str) -> dict:
    """Validate one course; ``files`` maps 'course.yaml' and 'lessons/<stem>.md' to their bytes."""
    errors: list[ContentError] = []
    name = f"{prefix}/course.yaml"
    if not SLUG_RE.match(slug):
        errors.append(ContentError(prefix, None, f"folder name {excerpt(slug)} is not a valid slug (lower case letters, digits, '-')"))
    if "course.yaml" not in files:
        raise ContentInvalid(errors + [ContentError(name, None, "course.yaml is missing")])
    texts = {}
    for path, raw in files.items():
        try:
            texts[path] = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(ContentError(f"{prefix}/{path}", None, f"not UTF-8 text ({exc.reason})"))
    if errors:
        raise ContentInvalid(errors)
    data = parse_yaml(texts["course.yaml"], name)
    c = Checker(name)
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(name, 1, "course.yaml must be a mapping")])
    allowed = {"code", "title", "summary", "level", "hours", "languages", "status", "competencies",
               "prerequisites", "modules"}
    for k in set(data) - allowed:
        c.error(data, k, f"unknown key {excerpt(k)}")
    course = {"slug": slug, "code": c.text(data, "code", "course", max_len=20),
              "title": c.bilingual(data, "title", "course", max_len=300),
              "summary": c.bilingual(data, "summary", "course", required=False),
              "level": c.text(data, "level", "course", max_len=4),
              "hours": _decimal(c, data, "hours", "course") or Decimal(0),
              "status": c.text(data, "status", "course", required=False) or "draft",
              "languages": [], "competencies": [], "prerequisites": [], "modules": [],
              "_lines": {"competencies": {}, "prerequisites": {}}, "_file": name}
    if course["level"] and course["level"] not in LEVEL_CODES:
        c.error(data, "level", f"course: level {excerpt(course['level'])} is not one of {', '.join(LEVEL_CODES)}")
    if course["status"] not in STATUSES_IN_FILES:
        c.error(data, "status", f"course: status {excerpt(course['status'])} is not one of {', '.join(STATUSES_IN_FILES)}")
    langs = data.get("languages", ["en", "zh"])
    if not isinstance(langs, list) or not langs or any(x not in ("en", "zh") for x in langs):
        c.error(data, "languages", "course: 'languages' must be a list of en and/or zh")
    else:
        course["languages"] = list(dict.fromkeys(langs))
    comps = data.get("competencies", [])
    if not isinstance(comps, list):
        c.error(data, "competencies", "course: 'competencies' must be a list of {code, level}")
        comps = []
    seen_codes = set()
    for i, item in enumerate(comps):
        if not isinstance(item, dict):
            c.error(comps, i, "course: each competency must be {code: ..., level: ...}")
            continue
        code = c.text(item, "code", f"competency {i + 1}", max_len=20)
        level = c.text(item, "level", f"competency {code or i + 1}", max_len=4)
        if level and level not in LEVEL_CODES:
            c.error(item, "level", f"competency {code}: level {excerpt(level)} is not one of {', '.join(LEVEL_CODES)}")
        if code in seen_codes:
            c.error(item, "code", f"competency {code} is listed twice")
        seen_codes.add(code)
        course["competencies"].append({"code": code, "level": level})
        course["_lines"]["competencies"][code] = item.line
    prereq = data.get("prerequisites", [])
    if not isinstance(prereq, list) or any(not isinstance(p, str) for p in prereq):
        c.error(data, "prerequisites", "course: 'prerequisites' must be a list of course slugs")
        prereq = []
    for i, p in enumerate(prereq):
        if p == slug:
            c.error(prereq, i, "course: a course cannot be its own prerequisite")
        course["prerequisites"].append(p)
        course["_lines"]["prerequisites"][p] = prereq.item_lines[i]
    modules = data.get("modules")
    if not isinstance(modules, list) or not modules:
        c.error(data, "modules" if "modules" in data else None, "course: 'modules' must be a non-empty list")
        modules = []
    used_stems: dict[str, int] = {}
    mkeys = set()
    lesson_errors: list[ContentError] = []
    for mi, mod in enumerate(modules):
        if not isinstance(mod, dict):
            c.error(modules, mi, f"module {mi + 1}: must be a mapping")
            continue
        key = c.text(mod, "key", f"module {mi + 1}", max_len=80)
        mw = f"module {key or mi + 1}"
        if key and not KEY_RE.match(key):
            c.error(mod, "key", f"{mw}: key may only hold lower-case letters, digits and '-'")
        if key in mkeys:
            c.error(mod, "key", f"{mw}: key {excerpt(key)} is used twice")
        mkeys.add(key)
        m = {"key": key, "title": c.bilingual(mod, "title", mw, max_len=300),
             "summary": c.bilingual(mod, "summary", mw, required=False), "lessons": []}
        stems = mod.get("lessons")
        if not isinstance(stems, list) or not stems:
            c.error(mod, "lessons" if "lessons" in mod else None, f"{mw}: 'lessons' must be a non-empty list of file names")
            stems = []
        for li, stem in enumerate(stems):
            line = stems.item_lines[li]
            if not isinstance(stem, str) or not STEM_RE.match(stem):
                c.error(None, None, f"{mw}: lesson {excerpt(stem)} is not a valid file stem", line=line)
                continue
            if stem in used_stems:
                c.error(None, None, f"{mw}: lesson {excerpt(stem)} is listed twice", line=line)
                continue
            used_stems[stem] = line
            path = f"lessons/{stem}.md"
            if path not in texts:
                c.error(None, None, f"{mw}: lesson file {path} does not exist", line=line)
                continue
            try:
                lesson = parse_lesson(texts[path], f"{prefix}/{path}")
            except ContentInvalid as exc:
                lesson_errors.extend(exc.errors)
                continue
            lesson["key"] = stem
            if course["status"] == "published" and not (lesson["body"]["en"] or lesson["body"]["zh"]):
                lesson_errors.append(ContentError(f"{prefix}/{path}", None,
                                                  "a lesson of a published course needs a body ('<!-- lang: en -->' ...)"))
            m["lessons"].append(lesson)
        course["modules"].append(m)
    for path in sorted(texts):
        if path.startswith("lessons/") and path.endswith(".md") and path[8:-3] not in used_stems:
            lesson_errors.append(ContentError(f"{prefix}/{path}", None,
                                              "this lesson file is not listed in any module of course.yaml"))
    all_errors = c.errors + lesson_errors
    if all_errors:
        raise ContentInvalid(all_errors)
    return course


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
                "status": course.status,
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
            parts = ["---", dump_yaml(front).rstrip(), "---"]
            for lang in ("en", "zh"):
                body = getattr(lesson, f"body_{lang}")
                if body:
                    parts += [f"<!-- lang: {lang} -->", body.strip(), ""]
            files[f"lessons/{lesson.key}.md"] = "\n".join(parts).rstrip() + "\n"
    files["course.yaml"] = dump_yaml(doc)
    return files

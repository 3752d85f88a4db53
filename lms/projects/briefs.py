"""Project briefs in course files: ``courses/<slug>/projects/<key>.yaml`` (format in docs/content-format.md).

The same reader checks a brief loaded by ``lms load`` and one saved in the browser, so a brief with a
broken rubric never reaches the database; every error names the file, the line and the reason.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.catalog.files import KEY_RE
from lms.catalog.models import Course
from lms.content import Checker, ContentError, ContentInvalid, digest, parse_yaml
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import LEVEL_CODES, Competency
from lms.limits import excerpt
from lms.projects.models import TEMPLATES, Brief, Criterion, CriterionScore

ALLOWED = {"title", "purpose", "deliverables", "level", "pass_mark", "two_examiners", "defence", "resubmission",
           "templates", "rubric"}
CRITERION_KEYS = {"key", "title", "weight", "competency", "min_score", "guidance", "descriptors"}
BAND_KEYS = {"key", "label", "min", "max", "level"}


def _int(c: Checker, node, key, where, lo, hi, default=None, required=True):
    value = node.get(key, default) if isinstance(node, dict) else default
    if value is None:
        if required:
            c.error(node, None, f"{where}: '{key}' is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        c.error(node, key, f"{where}: '{key}' must be a whole number from {lo} to {hi}")
        return None
    return value


def _bool(c: Checker, node, key, default):
    value = node.get(key, default)
    if not isinstance(value, bool):
        c.error(node, key, f"brief: '{key}' must be true or false")
        return default
    return value


def _bands(c: Checker, rubric) -> list[dict]:
    bands = rubric.get("bands")
    if not isinstance(bands, list) or len(bands) < 2:
        c.error(rubric, "bands" if "bands" in rubric else None, "rubric: 'bands' must be a list of at least two bands")
        return []
    out, keys = [], set()
    for i, b in enumerate(bands, start=1):
        where = f"rubric band {i}"
        if not isinstance(b, dict):
            c.error(bands, i - 1, f"{where}: must be a mapping")
            continue
        key, _fresh = c.keyed_item(b, BAND_KEYS, where, keys, KEY_RE)
        level = b.get("level")
        if level is not None and level not in LEVEL_CODES:
            c.error(b, "level", f"{where}: level must be one of {', '.join(LEVEL_CODES)}")
        out.append({"key": key, "label": c.bilingual(b, "label", where, max_len=80),
                    "min": _int(c, b, "min", where, 0, 100), "max": _int(c, b, "max", where, 0, 100),
                    "level": level, "_line": b.line})
    # the bands must cover 0..100 in ascending order, without gaps or overlaps
    expected = 0
    for b in out:
        if b["min"] is None or b["max"] is None:
            return out
        if b["min"] > b["max"]:
            c.error(None, None, f"rubric band {excerpt(b['key'])}: min {b['min']} is above max {b['max']}", line=b["_line"])
        elif b["min"] != expected:
            what = "a gap" if b["min"] > expected else "an overlap"
            c.error(None, None, f"rubric band {excerpt(b['key'])}: starts at {b['min']} but the previous band ends at "
                                f"{expected - 1} ({what}); bands must cover 0–100 in order", line=b["_line"])
        expected = b["max"] + 1
    if out and expected != 101:
        c.error(None, None, f"rubric bands end at {expected - 1}; the last band must end at 100", line=out[-1]["_line"])
    return out


def parse_brief(text: str, display: str, key: str, fw_codes: set[str]) -> dict:
    data = parse_yaml(text, display)
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(display, 1, "a project brief must be a mapping")])
    c = Checker(display)
    if not KEY_RE.match(key):
        c.error(data, None, f"the file name {excerpt(key)} must be lower-case letters, digits and '-'")
    for k in sorted(set(data) - ALLOWED):
        c.error(data, k, f"unknown key {excerpt(k)}")
    where = "brief"
    level = data.get("level")
    if level not in LEVEL_CODES:
        c.error(data, "level" if "level" in data else None, f"brief: 'level' must be one of {', '.join(LEVEL_CODES)}")
    deliverables = data.get("deliverables")
    if not isinstance(deliverables, list) or not deliverables:
        c.error(data, "deliverables" if "deliverables" in data else None,
                "brief: 'deliverables' must be a non-empty list (each {en: ..., zh: ...})")
        deliverables = []
    templates = data.get("templates", []) or []
    if not isinstance(templates, list) or any(t not in TEMPLATES for t in templates):
        c.error(data, "templates", f"brief: 'templates' must be a list of {', '.join(TEMPLATES)}")
        templates = []
    out = {"key": key, "title": c.bilingual(data, "title", where, max_len=300),
           "purpose": c.bilingual(data, "purpose", where, max_len=6000),
           "deliverables": [],
           "level": level, "pass_mark": _int(c, data, "pass_mark", where, 0, 100),
           "two_examiners": _bool(c, data, "two_examiners", True), "defence": _bool(c, data, "defence", False),
           "resubmission": _bool(c, data, "resubmission", True), "templates": list(dict.fromkeys(templates)),
           "bands": [], "criteria": []}
    for i, d in enumerate(deliverables):
        if not isinstance(d, dict):
            c.error(deliverables, i, f"deliverable {i + 1}: must be a mapping with 'en' and/or 'zh'")
            continue
        pair = {lang: str(d.get(lang) or "").strip() or None for lang in ("en", "zh")}
        if not (pair["en"] or pair["zh"]) or set(d) - {"en", "zh"}:
            c.error(deliverables, i, f"deliverable {i + 1}: needs 'en' and/or 'zh' text and nothing else")
        out["deliverables"].append(pair)
    rubric = c.mapping(data, "rubric", where)
    if rubric is not None:
        for k in sorted(set(rubric) - {"bands", "criteria"}):
            c.error(rubric, k, f"rubric: unknown key {excerpt(k)}")
        out["bands"] = _bands(c, rubric)
        band_keys = [b["key"] for b in out["bands"]]
        criteria = rubric.get("criteria")
        if not isinstance(criteria, list) or not criteria:
            c.error(rubric, "criteria" if "criteria" in rubric else None, "rubric: 'criteria' must be a non-empty list")
            criteria = []
        seen: set[str] = set()
        for i, cr in enumerate(criteria, start=1):
            cw = f"criterion {i}"
            if not isinstance(cr, dict):
                c.error(criteria, i - 1, f"{cw}: must be a mapping")
                continue
            ckey, fresh = c.keyed_item(cr, CRITERION_KEYS, cw, seen, KEY_RE)
            cw = f"criterion {excerpt(ckey)}" if fresh else cw
            comp = cr.get("competency")
            if comp not in fw_codes:
                c.error(cr, "competency" if "competency" in cr else None,
                        f"{cw}: competency {excerpt(comp)} is not in the competency framework")
            descriptors = cr.get("descriptors") or {}
            if not isinstance(descriptors, dict):
                c.error(cr, "descriptors", f"{cw}: 'descriptors' must be a mapping from band key to text")
                descriptors = {}
            for k in sorted(set(descriptors) - set(band_keys)):
                c.error(descriptors, k, f"{cw}: descriptor for {excerpt(k)}, which is not a band ({', '.join(band_keys)})")
            for k in band_keys:
                if k not in descriptors:
                    c.error(cr, "descriptors" if "descriptors" in cr else None, f"{cw}: no descriptor for band {excerpt(k)}")
            out["criteria"].append({
                "key": ckey, "title": c.bilingual(cr, "title", cw, max_len=300),
                "guidance": c.bilingual(cr, "guidance", cw, required=False),
                "weight": _int(c, cr, "weight", cw, 1, 100), "competency": comp,
                "min_score": _int(c, cr, "min_score", cw, 0, 100, required=False),
                "descriptors": {k: c.bilingual(descriptors, k, f"{cw} descriptor", max_len=1000)
                                for k in band_keys if k in descriptors},
                "_line": cr.line})
        weights = [cr["weight"] for cr in out["criteria"]]
        if weights and None not in weights and sum(weights) != 100:
            c.error(rubric, "criteria", f"rubric: the criteria weights add up to {sum(weights)}, not 100 "
                                        f"({' + '.join(str(w) for w in weights)})")
    if c.errors:
        raise ContentInvalid(c.errors)
    for b in out["bands"]:
        b.pop("_line", None)
    return out


def parse_course_briefs(courses_dir: Path, display_root: Path, slugs: list[str], fw_codes: set[str]):
    parsed, errors = [], []
    for slug in slugs:
        folder = courses_dir / slug / "projects"
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            display = str(path.relative_to(display_root))
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
                parsed.append((slug, parse_brief(text, display, path.stem, fw_codes), text, digest(raw)))
            except ContentInvalid as exc:
                errors.extend(exc.errors)
            except UnicodeDecodeError as exc:
                errors.append(ContentError(display, None, f"not UTF-8 text ({exc.reason})"))
    return parsed, errors


def apply_brief(course: Course, data: dict, source: str, source_hash: str | None, display: str,
                force: bool = False) -> Brief | None:
    """Create or update a brief. Returns None when the file has not changed since it was last applied.

    Criteria are matched by key and updated in place, so grades already given keep their criterion; a
    criterion that has grades cannot be removed (raises ContentInvalid)."""
    brief = db.session.scalar(select(Brief).where(Brief.course_id == course.id, Brief.key == data["key"]))
    if brief is not None and brief.source_hash == source_hash and not force:
        return None
    if brief is None:
        brief = Brief(course=course, key=data["key"])
    framework = current_framework()
    comps = {c.code: c for c in db.session.scalars(select(Competency).where(Competency.framework_id == framework.id))}
    wanted = {cr["key"] for cr in data["criteria"]}
    for old in list(brief.criteria):
        if old.key not in wanted and old.id is not None:
            used = db.session.scalar(select(CriterionScore.id).where(CriterionScore.criterion_id == old.id).limit(1))
            if used:
                raise ContentInvalid([ContentError(display, None, f"criterion {excerpt(old.key)} has grades and cannot be "
                                                                  "removed; keep it (a weight change is allowed)")])
    brief.title_en, brief.title_zh = data["title"]["en"], data["title"]["zh"]
    brief.purpose_en, brief.purpose_zh = data["purpose"]["en"], data["purpose"]["zh"]
    brief.deliverables = data["deliverables"]
    brief.level, brief.pass_mark = data["level"], data["pass_mark"]
    brief.two_examiners, brief.defence_required = data["two_examiners"], data["defence"]
    brief.resubmission_allowed, brief.templates = data["resubmission"], data["templates"]
    brief.bands = data["bands"]
    existing = {cr.key: cr for cr in brief.criteria}
    criteria = []
    for i, cr in enumerate(data["criteria"]):
        row = existing.get(cr["key"]) or Criterion(key=cr["key"])
        row.position = i
        row.title_en, row.title_zh = cr["title"]["en"], cr["title"]["zh"]
        row.guidance_en, row.guidance_zh = cr["guidance"]["en"], cr["guidance"]["zh"]
        row.weight, row.min_score = cr["weight"], cr["min_score"]
        row.competency = comps[cr["competency"]]
        row.descriptors = cr["descriptors"]
        criteria.append(row)
    brief.criteria = criteria
    brief.source, brief.source_hash = source, source_hash
    db.session.add(brief)
    db.session.flush()
    return brief


def save_brief_text(course: Course, key: str, text: str, brief: Brief | None) -> Brief:
    """Save a brief edited in the browser, checked by the same reader as the files. The file's hash is kept,
    so a later ``lms load`` of the unchanged file does not overwrite the browser's edit."""
    framework = current_framework()
    codes = {c.code for d in framework.domains for c in d.competencies} if framework else set()
    if not key or not KEY_RE.match(key):
        raise ContentInvalid([ContentError("brief", None, "the key must be lower-case letters, digits and '-'")])
    if brief is None and db.session.scalar(select(Brief.id).where(Brief.course_id == course.id, Brief.key == key)):
        raise ContentInvalid([ContentError("brief", None, f"a brief with the key {excerpt(key)} already exists")])
    data = parse_brief(text, "brief", key, codes)
    return apply_brief(course, data, text, brief.source_hash if brief else None, "brief", force=True)

"""Programmes in ``certificates/<key>.yaml`` (format in docs/content-format.md).

Loading refuses a programme that names a course, exam, project brief, competency or prerequisite that does
not exist, with the file, the line and the reason.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.catalog.files import KEY_RE
from lms.content import Checker, ContentError, ContentInvalid, digest, parse_yaml
from lms.credentials.models import Programme
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES
from lms.limits import excerpt

ALLOWED = {"title", "description", "level", "competencies", "requirements", "approval", "validity_years", "cpd"}
REQUIREMENTS = {"courses", "exams", "projects", "hours", "experience_years", "prerequisite"}
CPD_PER = ("hour", "item", "year")


def _number(c: Checker, node, key, where, lo, hi, required=False, whole=True):
    value = node.get(key) if isinstance(node, dict) else None
    if value is None:
        if required:
            c.error(node, None, f"{where}: '{key}' is missing")
        return None
    ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        c.error(node, key, f"{where}: '{key}' must be a {'whole ' if whole else ''}number from {lo} to {hi}")
        return None
    return value


def parse_programme(text: str, display: str, key: str, refs: dict) -> dict:
    """``refs``: sets 'competencies', 'courses', 'quizzes' ((slug, key)), 'briefs' ((slug, key)), 'programmes'."""
    data = parse_yaml(text, display)
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(display, 1, "a programme must be a mapping")])
    c = Checker(display)
    if not KEY_RE.match(key):
        c.error(data, None, f"the file name {excerpt(key)} must be lower-case letters, digits and '-'")
    for k in sorted(set(data) - ALLOWED):
        c.error(data, k, f"unknown key {excerpt(k)}")
    level = data.get("level")
    if level not in LEVEL_CODES:
        c.error(data, "level" if "level" in data else None, f"programme: 'level' must be one of {', '.join(LEVEL_CODES)}")
    approval = data.get("approval", "automatic")
    if approval not in ("automatic", "admin"):
        c.error(data, "approval", "programme: 'approval' must be automatic or admin")
    out = {"key": key, "title": c.bilingual(data, "title", "programme", max_len=300),
           "description": c.bilingual(data, "description", "programme", max_len=4000), "level": level,
           "approval": approval, "validity_years": _number(c, data, "validity_years", "programme", 1, 20, required=True),
           "competencies": [], "requirements": {}, "cpd": {}}
    comps = data.get("competencies")
    if not isinstance(comps, list) or not comps:
        c.error(data, "competencies" if "competencies" in data else None,
                "programme: 'competencies' must be a non-empty list of {code, level}")
        comps = []
    for i, item in enumerate(comps):
        if not isinstance(item, dict) or item.get("code") not in refs["competencies"] or item.get("level") not in LEVEL_CODES:
            c.error(comps, i, f"competency {i + 1}: needs a 'code' of the competency framework and a 'level' "
                              f"({', '.join(LEVEL_CODES)}); got {excerpt(dict(item) if isinstance(item, dict) else item)}")
            continue
        out["competencies"].append({"code": item["code"], "level": item["level"]})
    req = c.mapping(data, "requirements", "programme") or {}
    for k in sorted(set(req) - REQUIREMENTS):
        c.error(req, k, f"requirements: unknown key {excerpt(k)} (known: {', '.join(sorted(REQUIREMENTS))})")
    r = out["requirements"]
    courses = req.get("courses", []) or []
    if not isinstance(courses, list):
        c.error(req, "courses", "requirements: 'courses' must be a list of course slugs")
        courses = []
    for i, slug in enumerate(courses):
        if slug not in refs["courses"]:
            c.error(courses, i, f"requirements: course {excerpt(slug)} does not exist")
    r["courses"] = [s for s in courses if isinstance(s, str)]
    for kind, ref_key, item_key in (("exams", "quizzes", "quiz"), ("projects", "briefs", "brief")):
        items = req.get(kind, []) or []
        if not isinstance(items, list):
            c.error(req, kind, f"requirements: '{kind}' must be a list")
            items = []
        r[kind] = []
        for i, item in enumerate(items):
            where = f"requirements: {kind[:-1]} {i + 1}"
            if not isinstance(item, dict):
                c.error(items, i, f"{where}: must be a mapping with course, {item_key} and min")
                continue
            for k in sorted(set(item) - {"course", item_key, "min"}):
                c.error(item, k, f"{where}: unknown key {excerpt(k)}")
            pair = (item.get("course"), item.get(item_key))
            if pair not in refs[ref_key]:
                c.error(item, item_key if item_key in item else None,
                        f"{where}: {'exam' if kind == 'exams' else 'project brief'} {excerpt(pair[1])} of course {excerpt(pair[0])} "
                        "does not exist")
            minimum = _number(c, item, "min", where, 0, 100, required=True)
            r[kind].append({"course": pair[0], item_key: pair[1], "min": minimum})
    r["hours"] = _number(c, req, "hours", "requirements", 0, 10_000, whole=False) or 0
    r["experience_years"] = _number(c, req, "experience_years", "requirements", 0, 60) or 0
    prereq = req.get("prerequisite")
    if prereq is not None and (prereq not in refs["programmes"] or prereq == key):
        c.error(req, "prerequisite", f"requirements: prerequisite {excerpt(prereq)} is not another programme "
                                     f"(known: {', '.join(sorted(refs['programmes'] - {key})) or 'none'})")
    r["prerequisite"] = prereq
    cpd = c.mapping(data, "cpd", "programme") or {}
    for k in sorted(set(cpd) - {"credits", "audit_share", "activities"}):
        c.error(cpd, k, f"cpd: unknown key {excerpt(k)}")
    out["cpd"] = {"credits": _number(c, cpd, "credits", "cpd", 0, 1000, required=True),
                  "audit_share": _number(c, cpd, "audit_share", "cpd", 0, 1, whole=False) or 0, "activities": []}
    acts = cpd.get("activities", []) or []
    if not isinstance(acts, list):
        c.error(cpd, "activities", "cpd: 'activities' must be a list")
        acts = []
    for i, a in enumerate(acts):
        where = f"cpd activity {i + 1}"
        if not isinstance(a, dict) or not isinstance(a.get("type"), str) or a.get("per") not in CPD_PER:
            c.error(acts, i, f"{where}: needs a 'type' and 'per' ({', '.join(CPD_PER)})")
            continue
        for k in sorted(set(a) - {"type", "per", "credits", "cap", "cap_share"}):
            c.error(a, k, f"{where}: unknown key {excerpt(k)}")
        out["cpd"]["activities"].append({
            "type": a["type"], "per": a["per"], "credits": _number(c, a, "credits", where, 0, 100, True, whole=False),
            "cap": _number(c, a, "cap", where, 0, 1000, whole=False),
            "cap_share": _number(c, a, "cap_share", where, 0, 1, whole=False)})
    if c.errors:
        raise ContentInvalid(c.errors)
    return out


def parse_programme_files(folder: Path, display_root: Path, refs: dict):
    parsed, errors = [], []
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    refs = {**refs, "programmes": set(refs.get("programmes", set())) | {p.stem for p in paths}}
    for path in paths:
        display = str(path.relative_to(display_root))
        raw = path.read_bytes()
        try:
            parsed.append((parse_programme(raw.decode("utf-8"), display, path.stem, refs), digest(raw)))
        except ContentInvalid as exc:
            errors.extend(exc.errors)
        except UnicodeDecodeError as exc:
            errors.append(ContentError(display, None, f"not UTF-8 text ({exc.reason})"))
    # a prerequisite chain must not loop
    chain = {d["key"]: d["requirements"]["prerequisite"] for d, _ in parsed}
    for start in chain:
        seen, cur = set(), start
        while cur is not None and cur not in seen:
            seen.add(cur)
            cur = chain.get(cur)
        if cur is not None and cur == start:
            errors.append(ContentError(f"certificates/{start}.yaml", None, "the prerequisites form a loop"))
    return parsed, errors


def apply_programme(data: dict, source_hash: str) -> bool:
    prog = db.session.scalar(select(Programme).where(Programme.key == data["key"]))
    if prog is not None and prog.source_hash == source_hash:
        return False
    prog = prog or Programme(key=data["key"])
    prog.title_en, prog.title_zh = data["title"]["en"], data["title"]["zh"]
    prog.description_en, prog.description_zh = data["description"]["en"], data["description"]["zh"]
    prog.level, prog.approval, prog.validity_years = data["level"], data["approval"], data["validity_years"]
    prog.competencies, prog.requirements, prog.cpd = data["competencies"], data["requirements"], data["cpd"]
    prog.source_hash = source_hash
    db.session.add(prog)
    db.session.flush()
    return True

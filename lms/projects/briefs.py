"""Project briefs in course files: ``courses/<slug>/projects/<key>.yaml`` (format in docs/content-format.md).

The same reader checks a brief loaded by ``lms load`` and one saved in the browser, so a brief with a
broken rubric never reaches the database; every error names the file, the line and the reason.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import ValidationInfo, model_validator
from sqlalchemy import select

from lms.catalog.files import KEY_RE
from lms.catalog.models import Course
from lms.content import ContentError, ContentInvalid, digest, line_of, parse_yaml
from lms.content_schema import (
    ContentModel,
    at_least,
    bilingual,
    distinct,
    flag,
    issues,
    matching,
    one_of,
    said,
    shape,
    validate,
    whole,
)
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import LEVEL_CODES, Competency
from lms.limits import excerpt
from lms.projects.models import TEMPLATES, Brief, Criterion, CriterionScore

KEY_MESSAGE = "'key' must be lower-case letters, digits and '-'"


class BandSchema(ContentModel):
    where = "rubric band {n}"
    key: matching(KEY_RE, KEY_MESSAGE)
    label: bilingual(max_len=80) = None
    min: whole(0, 100)
    max: whole(0, 100)
    level: one_of(LEVEL_CODES, "level must be one of {choices}") | None = None


class CriterionSchema(ContentModel):
    where = "criterion {qkey}"
    key: matching(KEY_RE, KEY_MESSAGE)
    title: bilingual(max_len=300) = None
    guidance: bilingual(required=False) = None
    weight: whole(1, 100)
    competency: str | None = None
    min_score: whole(0, 100) | None = None
    descriptors: Annotated[dict[str, bilingual(max_len=1000)],
                           shape(dict, "'descriptors' must be a mapping from band key to text")] = None


def _coverage(bands: list[BandSchema]):
    """The bands cover 0..100 in ascending order, without gaps or overlaps."""
    expected = 0
    for i, b in enumerate(bands):
        where = f"rubric band {excerpt(b.key)}"
        if b.min > b.max:
            yield ("bands", i), f"{where}: min {b.min} is above max {b.max}", True
        elif b.min != expected:
            what = "a gap" if b.min > expected else "an overlap"
            yield ("bands", i), (f"{where}: starts at {b.min} but the previous band ends at {expected - 1} ({what}); "
                                 "bands must cover 0–100 in order"), True
        expected = b.max + 1
    if bands and expected != 101:
        yield ("bands", len(bands) - 1), f"rubric bands end at {expected - 1}; the last band must end at 100", True


def _descriptors(criteria: list[CriterionSchema], band_keys: list[str]):
    """Each criterion describes each band, and nothing else."""
    for i, cr in enumerate(criteria):
        for k in sorted(set(cr.descriptors) - set(band_keys)):
            yield ("criteria", i, "descriptors", k), f"descriptor for {excerpt(k)}, which is not a band ({', '.join(band_keys)})"
        for k in band_keys:
            if k not in cr.descriptors:
                yield ("criteria", i, "descriptors"), f"no descriptor for band {excerpt(k)}"


class RubricSchema(ContentModel):
    where = "rubric"
    bands: Annotated[list[BandSchema], distinct("key"), at_least(2, "'bands' must be a list of at least two bands")] = None
    criteria: Annotated[list[CriterionSchema], distinct("key"), shape(list, "'criteria' must be a non-empty list", 1)] = None

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo):
        band_keys = [b.key for b in self.bands]
        weights = [cr.weight for cr in self.criteria]
        found = [*_coverage(self.bands), *_descriptors(self.criteria, band_keys)]
        found += [(("criteria", i, "competency"), f"competency {excerpt(cr.competency)} is not in the competency "
                                                  "framework")
                  for i, cr in enumerate(self.criteria) if cr.competency not in info.context["fw_codes"]]
        if sum(weights) != 100:
            found.append((("criteria",), f"the criteria weights add up to {sum(weights)}, not 100 "
                                         f"({' + '.join(str(w) for w in weights)})"))
        issues(found)
        return self


class BriefSchema(ContentModel):
    """A project brief: ``courses/<slug>/projects/<key>.yaml``."""
    where = "brief"
    not_mapping = "a project brief must be a mapping"
    title: bilingual(max_len=300) = None
    purpose: bilingual(max_len=6000) = None
    deliverables: Annotated[list[bilingual(max_len=6000)],
                            shape(list, "'deliverables' must be a non-empty list (each {en: ..., zh: ...})", 1)] = None
    level: one_of(LEVEL_CODES) = None
    pass_mark: whole(0, 100)
    two_examiners: flag() = True
    defence: flag() = False
    resubmission: flag() = True
    templates: Annotated[list[one_of(TEMPLATES)], shape(list, f"'templates' must be a list of {', '.join(TEMPLATES)}"),
                         said(f"'templates' must be a list of {', '.join(TEMPLATES)}")] = None
    rubric: RubricSchema


def parse_brief(text: str, display: str, key: str, fw_codes: set[str]) -> dict:
    data = parse_yaml(text, display)
    errors = [] if KEY_RE.match(key) else [
        ContentError(display, line_of(data), f"the file name {excerpt(key)} must be lower-case letters, digits and '-'")]
    brief = validate(BriefSchema, data, display, {"fw_codes": fw_codes}, errors)
    out = {"key": key, **brief.model_dump(exclude={"rubric"})}
    out["templates"] = list(dict.fromkeys(brief.templates))
    out["bands"] = brief.rubric.model_dump()["bands"]
    band_keys = [b.key for b in brief.rubric.bands]
    out["criteria"] = [{**cr.model_dump(), "descriptors": {k: cr.descriptors[k] for k in band_keys}}
                       for cr in brief.rubric.criteria]
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


def framework_rubrics(fw_code: str) -> list[dict]:
    """The briefs' rubrics that assess competencies of framework ``fw_code`` (any version), for its CASE export
    (answers ``signals.framework_rubrics``): the visible courses' (published or in outline), in course and brief
    order."""
    from sqlalchemy.orm import selectinload

    from lms.catalog.services import VISIBLE
    from lms.frameworks.models import Framework

    briefs = db.session.scalars(
        select(Brief).join(Course).where(Course.status.in_(VISIBLE))
        .where(Brief.criteria.any(Criterion.competency.has(Competency.framework.has(Framework.code == fw_code))))
        .options(selectinload(Brief.criteria).selectinload(Criterion.competency), selectinload(Brief.course))
        .order_by(Course.slug, Brief.key))
    return [_rubric(b) for b in briefs]


def _rubric(brief: Brief) -> dict:
    return {"key": f"{brief.course.slug}/{brief.key}", "title": brief.title_en or brief.key,
            "description": brief.purpose_en or "", "changed_at": brief.updated_at,
            "zh": {"title": brief.title_zh, "description": brief.purpose_zh},
            "criteria": [_rubric_criterion(brief, c) for c in brief.criteria]}


def _rubric_criterion(brief: Brief, c: Criterion) -> dict:
    return {"key": c.key, "title": c.title_en or c.key, "description": c.guidance_en or "", "weight": c.weight,
            "position": c.position + 1, "competency": c.competency.code,
            "zh": {"title": c.title_zh, "description": c.guidance_zh},
            "levels": [{"key": band["key"], "quality": band["label"].get("en") or band["key"],
                        "description": (c.descriptors.get(band["key"]) or {}).get("en") or "",
                        "score": band["min"],
                        "zh": {"quality": band["label"].get("zh"),
                               "description": (c.descriptors.get(band["key"]) or {}).get("zh")}}
                       for band in brief.bands]}

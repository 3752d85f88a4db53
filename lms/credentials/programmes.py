"""Programmes in ``certificates/<key>.yaml`` (format in docs/content-format.md).

Loading refuses a programme that names a course, exam, project brief, competency or prerequisite that does
not exist, with the file, the line and the reason.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import ValidationInfo, model_validator
from sqlalchemy import select

from lms.catalog.files import KEY_RE
from lms.content import ContentError, ContentInvalid, digest, line_of, parse_yaml
from lms.content_schema import (
    ContentModel,
    bilingual,
    issues,
    known,
    number,
    one_of,
    shape,
    text,
    validate,
    whole,
)
from lms.credentials.models import Programme
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES
from lms.limits import excerpt

CPD_PER = ("hour", "item", "year")


class ProgrammeCompetency(ContentModel):
    where = "competency {n}"
    code: known("competencies", "code {value} is not in the competency framework")
    level: one_of(LEVEL_CODES)


class _CourseItem(ContentModel):
    """A requirement on an item of a course: its exam (``quiz``) or its project brief (``brief``)."""
    kind: ClassVar[tuple[str, str]]
    course: str | None = None
    min: whole(0, 100)

    @model_validator(mode="after")
    def _exists(self, info: ValidationInfo):
        field, name, refs = self.kind
        item = getattr(self, field)
        if (self.course, item) not in info.context[refs]:
            issues([((field,), f"{name} {excerpt(item)} of course {excerpt(self.course)} does not exist")])
        return self


class ExamRequirement(_CourseItem):
    where = "requirements: exam {n}"
    kind = ("quiz", "exam", "quizzes")
    quiz: str | None = None


class ProjectRequirement(_CourseItem):
    where = "requirements: project {n}"
    kind = ("brief", "project brief", "briefs")
    brief: str | None = None


class RequirementsSchema(ContentModel):
    where = "requirements"
    courses: Annotated[list[known("courses", "course {value} does not exist")],
                       shape(list, "'courses' must be a list of course slugs")] = None
    exams: Annotated[list[ExamRequirement], shape(list, "'exams' must be a list")] = None
    projects: Annotated[list[ProjectRequirement], shape(list, "'projects' must be a list")] = None
    hours: number(0, 10_000) | None = None
    experience_years: whole(0, 60) | None = None
    prerequisite: str | None = None

    @model_validator(mode="after")
    def _prerequisite(self, info: ValidationInfo):
        others = info.context["programmes"] - {info.context["key"]}
        if self.prerequisite is not None and self.prerequisite not in others:
            issues([(("prerequisite",), f"prerequisite {excerpt(self.prerequisite)} is not another programme "
                                        f"(known: {', '.join(sorted(others)) or 'none'})")])
        return self


class CpdActivity(ContentModel):
    where = "cpd activity {n}"
    type: text()
    per: one_of(CPD_PER)
    credits: number(0, 100)
    cap: number(0, 1000) | None = None
    cap_share: number(0, 1) | None = None


class CpdSchema(ContentModel):
    where = "cpd"
    credits: whole(0, 1000)
    audit_share: number(0, 1) | None = None
    activities: Annotated[list[CpdActivity], shape(list, "'activities' must be a list")] = None


class ProgrammeSchema(ContentModel):
    """``certificates/<key>.yaml``."""
    where = "programme"
    not_mapping = "a programme must be a mapping"
    title: bilingual(max_len=300) = None
    description: bilingual(max_len=4000) = None
    level: one_of(LEVEL_CODES) = None
    eqf_level: whole(1, 8) | None = None         # the centre's own referencing to the EQF (docs/credential-content.md)
    competencies: Annotated[list[ProgrammeCompetency],
                            shape(list, "'competencies' must be a non-empty list of {code, level}", 1)] = None
    requirements: RequirementsSchema
    approval: one_of(("automatic", "admin"), "'approval' must be automatic or admin") = "automatic"
    validity_years: whole(1, 20)
    cpd: CpdSchema


def parse_programme(text: str, display: str, key: str, refs: dict) -> dict:
    """``refs``: sets 'competencies', 'courses', 'quizzes' ((slug, key)), 'briefs' ((slug, key)), 'programmes'."""
    data = parse_yaml(text, display)
    errors = [] if KEY_RE.match(key) else [
        ContentError(display, line_of(data), f"the file name {excerpt(key)} must be lower-case letters, digits and '-'")]
    programme = validate(ProgrammeSchema, data, display, {**refs, "key": key}, errors)
    out = {"key": key, **programme.model_dump()}
    out["requirements"].update(hours=out["requirements"]["hours"] or 0,
                               experience_years=out["requirements"]["experience_years"] or 0)
    out["cpd"]["audit_share"] = out["cpd"]["audit_share"] or 0
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
    prog.eqf_level = data["eqf_level"]
    prog.competencies, prog.requirements, prog.cpd = data["competencies"], data["requirements"], data["cpd"]
    prog.source_hash = source_hash
    db.session.add(prog)
    db.session.flush()
    return True

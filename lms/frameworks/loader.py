"""Load ``courses/framework.yaml``: validate everything, then write a new version only if it changed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import ConfigDict, model_validator
from sqlalchemy import select

from lms.content import ContentError, ContentInvalid, digest, parse_yaml
from lms.content_schema import ContentModel, bilingual, flag, issues, matching, one_of, shape, text, validate
from lms.extensions import db
from lms.frameworks.models import (
    LEVEL_CODES,
    Alignment,
    Competency,
    Domain,
    Framework,
    LevelDescriptor,
    ProficiencyLevel,
)
from lms.limits import excerpt

RELATIONS = ("exact", "broader", "narrower", "related")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
# an external item's own address (an ESCO skill's URI, for example): http(s), no spaces, at most 300 characters
URL_RE = re.compile(r"^https?://[^\s<>\"]{1,292}$")


@dataclass
class FrameworkLoadResult:
    framework: Framework
    created: bool


class _Part(ContentModel):
    model_config = ConfigDict(extra="ignore")      # the framework file may carry notes of its own


CODE_MESSAGE = "code {value} may only hold letters, digits, '.', '_' and '-'"


class LevelSchema(_Part):
    where = "level {n}"
    code: str | None = None
    name: bilingual(max_len=100) = None
    description: bilingual(required=False) = None


class DescriptorsSchema(ContentModel):
    """A competency's descriptor for each proficiency level (LEVEL_CODES)."""
    F: bilingual() = None
    P: bilingual() = None
    E: bilingual() = None


class AlignmentSchema(_Part):
    where = "{parent}, alignment {n}"
    framework: text(max_len=40)
    code: text(max_len=40)
    name: text(max_len=300)
    relation: one_of(RELATIONS, "relation {value} is not one of {choices}")
    provisional: flag() = False
    url: matching(URL_RE, "url {value} must be an http(s) address of at most 300 characters") | None = None


class CompetencySchema(_Part):
    where = "competency {key}"
    code: matching(CODE_RE, CODE_MESSAGE)
    name: bilingual(max_len=300) = None
    description: bilingual(required=False) = None
    levels: DescriptorsSchema
    alignments: Annotated[list[AlignmentSchema], shape(list, "'alignments' must be a list")] = None


class DomainSchema(_Part):
    where = "domain {key}"
    code: matching(CODE_RE, CODE_MESSAGE)
    name: bilingual(max_len=300) = None
    description: bilingual(required=False) = None
    competencies: Annotated[list[CompetencySchema], shape(list, "'competencies' must be a non-empty list", 1)] = None


class FrameworkSchema(_Part):
    """``courses/framework.yaml``: the competency framework."""
    where = "framework"
    not_mapping = "the file must be a mapping with code, title, levels and domains"
    code: text(max_len=40)
    version: text(max_len=40) | None = None
    title: bilingual(max_len=300) = None
    description: bilingual(required=False) = None
    levels: Annotated[list[LevelSchema], shape(list, f"'levels' must be a list of {', '.join(LEVEL_CODES)}")] = None
    domains: Annotated[list[DomainSchema], shape(list, "'domains' must be a non-empty list", 1)] = None

    @model_validator(mode="after")
    def _rules(self):
        codes = [lv.code for lv in self.levels]
        found = [] if tuple(codes) == LEVEL_CODES else [
            (("levels",), f"levels must be exactly {', '.join(LEVEL_CODES)} in this order, found {excerpt(codes)}")]
        seen = set()        # a domain and a competency do not share a code either
        for di, dom in enumerate(self.domains):
            for loc, code in [(("domains", di, "code"), dom.code)] + [
                    (("domains", di, "competencies", ci, "code"), comp.code) for ci, comp in enumerate(dom.competencies)]:
                if code in seen:
                    found.append((loc, f"code {excerpt(code)} is used twice"))
                seen.add(code)
        issues(found)
        return self


def parse_framework(text: str, file: str) -> dict:
    """Validate the file and return plain data; raises ContentInvalid listing every error."""
    framework = validate(FrameworkSchema, parse_yaml(text, file), file)
    out = framework.model_dump(exclude={"version"})
    return {"code": out.pop("code"), "label": framework.version, **out}


def current_framework(code: str | None = None) -> Framework | None:
    query = select(Framework).where(Framework.is_current.is_(True))
    if code:
        query = query.where(Framework.code == code)
    return db.session.scalars(query.order_by(Framework.id.desc())).first()


def load_framework(path: Path, display_name: str) -> FrameworkLoadResult:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentInvalid([ContentError(display_name, None, f"not UTF-8 text ({exc.reason})")]) from None
    data = parse_framework(text, display_name)
    h = digest(raw)
    existing = current_framework(data["code"])
    if existing is not None and (existing.content_hash == h or _imported_since(existing, h)):
        return FrameworkLoadResult(existing, False)
    return FrameworkLoadResult(write_framework(data, h), True)


def _imported_since(current: Framework, file_hash: str) -> bool:
    """Whether the current version was imported (a CASE package: it has its own ``changed_at``) after the file,
    unchanged since, was last loaded: the file then does not undo the import; a changed file still does."""
    if current.changed_at is None:
        return False
    last_from_file = db.session.scalar(select(Framework.content_hash).where(
        Framework.code == current.code, Framework.changed_at.is_(None)).order_by(Framework.version.desc()).limit(1))
    return last_from_file == file_hash


def write_framework(data: dict, content_hash: str, *, changed_at=None, current: bool = True) -> Framework:
    """A new version of framework ``data["code"]`` (``parse_framework``'s shape), flushed; the new version is the
    current one (and the one it replaces no longer is) unless ``current`` is false."""
    existing = current_framework(data["code"])
    last_version = db.session.scalar(select(db.func.max(Framework.version)).where(Framework.code == data["code"])) or 0
    if existing is not None and current:
        existing.is_current = False
    fw = Framework(code=data["code"], version=last_version + 1, label=data["label"], content_hash=content_hash,
                   is_current=current, changed_at=changed_at, title_en=data["title"]["en"],
                   title_zh=data["title"]["zh"],
                   description_en=data["description"]["en"], description_zh=data["description"]["zh"])
    fw.levels = [ProficiencyLevel(code=lv["code"], position=i, name_en=lv["name"]["en"], name_zh=lv["name"]["zh"],
                                  description_en=lv["description"]["en"], description_zh=lv["description"]["zh"])
                 for i, lv in enumerate(data["levels"])]
    level_codes = [lv["code"] for lv in data["levels"]]
    for di, d in enumerate(data["domains"]):
        dom = Domain(code=d["code"], position=di, name_en=d["name"]["en"], name_zh=d["name"]["zh"],
                     description_en=d["description"]["en"], description_zh=d["description"]["zh"])
        fw.domains.append(dom)
        for ci, comp in enumerate(d["competencies"]):
            cm = Competency(framework=fw, code=comp["code"], position=ci, name_en=comp["name"]["en"],
                            name_zh=comp["name"]["zh"], description_en=comp["description"]["en"],
                            description_zh=comp["description"]["zh"])
            cm.descriptors = [LevelDescriptor(level_code=code, position=i, text_en=comp["levels"][code]["en"],
                                              text_zh=comp["levels"][code]["zh"])
                              for i, code in enumerate(level_codes) if comp["levels"].get(code)]
            cm.alignments = [Alignment(position=i, **al) for i, al in enumerate(comp["alignments"])]
            dom.competencies.append(cm)
    db.session.add(fw)
    db.session.flush()
    return fw

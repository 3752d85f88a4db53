"""Load ``courses/framework.yaml``: validate everything, then write a new version only if it changed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from lms.content import Checker, ContentError, ContentInvalid, digest, parse_yaml
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


@dataclass
class FrameworkLoadResult:
    framework: Framework
    created: bool


def parse_framework(text: str, file: str) -> dict:
    """Validate the file and return plain data; raises ContentInvalid listing every error."""
    data = parse_yaml(text, file)
    c = Checker(file)
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(file, 1, "the file must be a mapping with code, title, levels and domains")])
    out = {"code": c.text(data, "code", "framework", max_len=40), "label": c.text(data, "version", "framework",
                                                                                     required=False, max_len=40),
           "title": c.bilingual(data, "title", "framework", max_len=300),
           "description": c.bilingual(data, "description", "framework", required=False),
           "levels": [], "domains": []}
    levels = data.get("levels")
    if not isinstance(levels, list):
        c.error(data, "levels" if "levels" in data else None, "framework: 'levels' must be a list of F, P, E")
    else:
        codes = [lv.get("code") if isinstance(lv, dict) else None for lv in levels]
        if tuple(codes) != LEVEL_CODES:
            c.error(data, "levels", f"framework: levels must be exactly {', '.join(LEVEL_CODES)} in this order, found {codes}")
        for i, lv in enumerate(levels):
            if isinstance(lv, dict):
                out["levels"].append({"code": lv.get("code"), "name": c.bilingual(lv, "name", f"level {i + 1}", max_len=100),
                                      "description": c.bilingual(lv, "description", f"level {i + 1}", required=False)})
    domains = data.get("domains")
    seen: set[str] = set()
    if not isinstance(domains, list) or not domains:
        c.error(data, "domains" if "domains" in data else None, "framework: 'domains' must be a non-empty list")
        domains = []
    for di, dom in enumerate(domains):
        if not isinstance(dom, dict):
            c.error(domains, di, f"domain {di + 1}: must be a mapping")
            continue
        dcode = c.text(dom, "code", f"domain {di + 1}", max_len=20)
        where = f"domain {dcode or di + 1}"
        if dcode and not CODE_RE.match(dcode):
            c.error(dom, "code", f"{where}: code {excerpt(dcode)} may only hold letters, digits, '.', '_' and '-'")
        if dcode in seen:
            c.error(dom, "code", f"{where}: code {excerpt(dcode)} is used twice")
        seen.add(dcode)
        d = {"code": dcode, "name": c.bilingual(dom, "name", where, max_len=300),
             "description": c.bilingual(dom, "description", where, required=False), "competencies": []}
        comps = dom.get("competencies")
        if not isinstance(comps, list) or not comps:
            c.error(dom, "competencies" if "competencies" in dom else None, f"{where}: 'competencies' must be a non-empty list")
            comps = []
        for ci, comp in enumerate(comps):
            if not isinstance(comp, dict):
                c.error(comps, ci, f"{where}: competency {ci + 1} must be a mapping")
                continue
            ccode = c.text(comp, "code", f"{where}, competency {ci + 1}", max_len=20)
            cw = f"competency {ccode or ci + 1}"
            if ccode and not CODE_RE.match(ccode):
                c.error(comp, "code", f"{cw}: code {excerpt(ccode)} may only hold letters, digits, '.', '_' and '-'")
            if ccode in seen:
                c.error(comp, "code", f"{cw}: code {excerpt(ccode)} is used twice")
            seen.add(ccode)
            item = {"code": ccode, "name": c.bilingual(comp, "name", cw, max_len=300),
                    "description": c.bilingual(comp, "description", cw, required=False),
                    "levels": {}, "alignments": []}
            lv = c.mapping(comp, "levels", cw)
            if lv is not None:
                for extra in set(lv) - set(LEVEL_CODES):
                    c.error(lv, extra, f"{cw}: unknown level {excerpt(extra)} (use {', '.join(LEVEL_CODES)})")
                for code in LEVEL_CODES:
                    if code not in lv:
                        c.error(lv, None, f"{cw}: the descriptor for level {code} is missing")
                    else:
                        item["levels"][code] = c.bilingual(lv, code, f"{cw}, level {code}")
            aligns = comp.get("alignments") or []
            if not isinstance(aligns, list):
                c.error(comp, "alignments", f"{cw}: 'alignments' must be a list")
                aligns = []
            for ai, al in enumerate(aligns):
                aw = f"{cw}, alignment {ai + 1}"
                if not isinstance(al, dict):
                    c.error(aligns, ai, f"{aw}: must be a mapping")
                    continue
                rel = c.text(al, "relation", aw, max_len=20)
                if rel and rel not in RELATIONS:
                    c.error(al, "relation", f"{aw}: relation {excerpt(rel)} is not one of {', '.join(RELATIONS)}")
                prov = al.get("provisional", False)
                if not isinstance(prov, bool):
                    c.error(al, "provisional", f"{aw}: 'provisional' must be true or false")
                item["alignments"].append({"framework": c.text(al, "framework", aw, max_len=40),
                                           "code": c.text(al, "code", aw, max_len=40),
                                           "name": c.text(al, "name", aw, max_len=300),
                                           "relation": rel, "provisional": bool(prov)})
            d["competencies"].append(item)
        out["domains"].append(d)
    if c.errors:
        raise ContentInvalid(c.errors)
    return out


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
    if existing is not None and existing.content_hash == h:
        return FrameworkLoadResult(existing, False)
    last_version = db.session.scalar(select(db.func.max(Framework.version)).where(Framework.code == data["code"])) or 0
    if existing is not None:
        existing.is_current = False
    fw = Framework(code=data["code"], version=last_version + 1, label=data["label"], content_hash=h,
                   is_current=True, title_en=data["title"]["en"], title_zh=data["title"]["zh"],
                   description_en=data["description"]["en"], description_zh=data["description"]["zh"])
    fw.levels = [ProficiencyLevel(code=lv["code"], position=i, name_en=lv["name"]["en"], name_zh=lv["name"]["zh"],
                                  description_en=lv["description"]["en"], description_zh=lv["description"]["zh"])
                 for i, lv in enumerate(data["levels"])]
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
                              for i, code in enumerate(LEVEL_CODES) if code in comp["levels"]]
            cm.alignments = [Alignment(position=i, **al) for i, al in enumerate(comp["alignments"])]
            dom.competencies.append(cm)
    db.session.add(fw)
    db.session.flush()
    return FrameworkLoadResult(fw, True)

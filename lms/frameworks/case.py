"""The competency framework as a 1EdTech CASE 1.1 ``CFPackage``: export, and the official schema.

What goes where (``docs/case.md`` says the same for readers outside the code):

- ``CFDocument``: the framework version (English title and description; ``version`` is the file's label;
  the Chinese title and description in ``extensions.zh-Hans``, since a document has no translation
  association).
- ``CFItems``: the domains (type *Domain*), competencies (*Competency*), proficiency levels (*Proficiency
  level*) and each competency's level descriptors (*Level descriptor*). ``humanCodingScheme`` is our code
  (``D1``, ``D1.1``, ``F``, ``D1.1.F``), ``abbreviatedStatement`` the name, ``fullStatement`` the description
  (the name when there is none), ``listEnumeration`` the position, ``language`` ``en``.
- **The Chinese**: every item has a twin in ``zh-Hans`` (same code and type, ``language: zh-Hans``) linked
  to the English item by an ``isTranslationOf`` association. We chose this over the alternatives because
  it is the one CASE 1.1 defines for the purpose (``isTranslationOf`` is new in 1.1), so each language's text
  sits in the fields a consumer shows (``fullStatement``, ``abbreviatedStatement``) with a correct
  ``language`` tag, and it round-trips exactly. Putting the Chinese in ``notes`` or ``alternativeLabel`` would
  show it as a remark under an English statement, tagged ``en``; ``exactMatchOf`` would claim two
  competencies match rather than that one is the other's wording. The twins are not in the ``isChildOf``
  tree, so a consumer that knows nothing of translations still shows one clean English tree.
- ``CFAssociations``: ``isChildOf`` for the tree (domain → document, competency → domain, level descriptor →
  competency) with ``sequenceNumber``; ``hasSkillLevel`` from a level descriptor to its proficiency level;
  ``isTranslationOf`` (above); the external alignments by their ``relation``: *exact* → ``exactMatchOf``,
  *related* → ``isRelatedTo``, *narrower* → ours ``isPartOf`` theirs, *broader* → theirs ``isPartOf`` ours. An
  external item is a ``LinkGenURI`` whose ``identifier`` is ``<framework>:<code>``, ``uri`` a
  ``urn:x-ttm-alignment:`` URN (the external frameworks publish no URIs of their own), ``targetType``
  ``ext:alignment``; each alignment is in the ``CFAssociationGrouping`` of its external framework, and
  ``notes: provisional`` marks the provisional ones.
- ``CFDefinitions``: the four ``CFItemTypes`` and one ``CFAssociationGrouping`` per external framework.
- ``CFRubrics``: the project briefs' rubrics, asked of the projects package through
  ``signals.framework_rubrics`` (criteria → ``CFItemURI`` of the competency they assess, bands → levels); their
  Chinese in ``extensions.zh-Hans`` (CASE has no translation association for rubrics).

Identifiers are UUID 5 of the framework code and the object's code, so an export is the same every time for
the same content (and a new version keeps the identifiers of what it keeps); ``uri``s are our absolute URLs
of the read API (:mod:`lms.frameworks.case_views`).
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from lms import signals
from lms.extensions import db
from lms.frameworks.models import Framework
from lms.signals import answers
from lms.urls import absolute_url

CREATOR = "TTM Academy — Technology Transfer Manager Certification"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:x-ttm-academy:case:1.1")
ZH = "zh-Hans"
ALIGNMENT_URN = "urn:x-ttm-alignment:"
# our item types: key -> (title, description, typeCode)
ITEM_TYPES = {
    "domain": ("Domain", "A domain of the framework: a group of competencies.", "domain"),
    "competency": ("Competency", "A competency, described at each proficiency level.", "competency"),
    "level": ("Proficiency level", "One of the framework's proficiency levels (Foundation, Practitioner, Expert).",
              "proficiency-level"),
    "descriptor": ("Level descriptor", "What a competency looks like at one proficiency level.", "level-descriptor"),
}
# relation -> (associationType, ours is the origin)
RELATION_TYPES = {"exact": ("exactMatchOf", True), "related": ("isRelatedTo", True),
                  "narrower": ("isPartOf", True), "broader": ("isPartOf", False)}
SCHEMA_PATH = Path(__file__).parent / "case_schema" / "case-v1p1-cfpackage.json"


def ident(fw_code: str, kind: str, key: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{fw_code}|{kind}|{key}"))


def document_id(fw_code: str) -> str:
    return ident(fw_code, "document")


def stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def changed_at(fw: Framework) -> datetime:
    return fw.changed_at or fw.loaded_at


_COLLECTIONS = {"document": "CFDocuments", "package": "CFPackages", "item": "CFItems", "association": "CFAssociations",
                "item_type": "CFItemTypes", "grouping": "CFAssociationGroupings", "rubric": "CFRubrics"}


def _uri(kind: str, identifier: str, base: str | None = None) -> str:
    """The object's URL in the read API (``base`` given by a builder: building each through the URL map was
    half the cost of an export)."""
    return f"{base or _api_base()}{_COLLECTIONS[kind]}/{identifier}"


def _api_base() -> str:
    return absolute_url("case.documents").removesuffix("CFDocuments")


def link(title: str, identifier: str, uri: str) -> dict:
    return {"title": title, "identifier": identifier, "uri": uri}


def alignment_node(framework: str, code: str, name: str) -> dict:
    return {"title": name, "identifier": f"{framework}:{code}",
            "uri": f"{ALIGNMENT_URN}{quote(framework, safe='')}:{quote(code, safe='')}", "targetType": "ext:alignment"}


class _Builder:
    """Builds one package; keeps the lists and the shared values (the time stamp, the document's link)."""

    def __init__(self, fw: Framework):
        self.fw, self.code, self.when = fw, fw.code, stamp(changed_at(fw))
        self.base = _api_base()
        self.doc_id = document_id(fw.code)
        self.doc_link = link(fw.title_en or fw.code, self.doc_id, self.uri("document", self.doc_id))
        self.items: list[dict] = []
        self.associations: list[dict] = []
        self.item_links: dict[str, dict] = {}       # our code -> LinkGenURI of its English item
        self.types = {key: self._item_type(key, i) for i, key in enumerate(ITEM_TYPES, 1)}
        self.groupings: dict[str, dict] = {}

    def uri(self, kind: str, identifier: str) -> str:
        return _uri(kind, identifier, self.base)

    def _item_type(self, key: str, n: int) -> dict:
        title, description, code = ITEM_TYPES[key]
        identifier = ident(self.code, "item-type", key)
        return {"identifier": identifier, "uri": self.uri("item_type", identifier), "title": title,
                "description": description, "hierarchyCode": str(n), "typeCode": code, "lastChangeDateTime": self.when}

    def item(self, kind: str, code: str, position: int, texts: dict) -> dict:
        """The English item and its Chinese twin; ``texts``: {lang: (name, description)}; the English link."""
        t = self.types[kind]
        found = {}
        for lang, suffix in (("en", ""), (ZH, "@zh")):
            name, description = texts.get(lang[:2], (None, None))
            if not (name or description):
                continue
            identifier = ident(self.code, "item", f"{kind}:{code}{suffix}")
            item = {"identifier": identifier, "uri": self.uri("item", identifier),
                    "fullStatement": description or name, "humanCodingScheme": code,
                    "listEnumeration": str(position + 1), "CFItemType": t["title"],
                    "CFItemTypeURI": link(t["title"], t["identifier"], t["uri"]), "language": lang,
                    "lastChangeDateTime": self.when}
            if name:
                item["abbreviatedStatement"] = name
            self.items.append(item)
            found[lang] = link(name or description[:100], identifier, item["uri"])
        if "en" in found and ZH in found:
            self.associate("isTranslationOf", found[ZH], found["en"], f"{kind}:{code}|translation")
        main = found.get("en") or found.get(ZH)
        self.item_links[code] = main
        return main

    def associate(self, kind: str, origin: dict, destination: dict, key: str, **extra) -> None:
        identifier = ident(self.code, "association", key)
        self.associations.append({"identifier": identifier, "associationType": kind,
                                  "uri": self.uri("association", identifier), "originNodeURI": origin,
                                  "destinationNodeURI": destination, **extra, "lastChangeDateTime": self.when})

    def grouping(self, framework: str) -> dict:
        if framework not in self.groupings:
            identifier = ident(self.code, "grouping", framework)
            self.groupings[framework] = {
                "identifier": identifier, "uri": self.uri("grouping", identifier), "title": framework,
                "description": f"Alignments to {framework}", "lastChangeDateTime": self.when}
        g = self.groupings[framework]
        return link(g["title"], g["identifier"], g["uri"])


def _texts(obj, name: str = "name", description: str | None = "description") -> dict:
    return {lang: (getattr(obj, f"{name}_{lang}"), getattr(obj, f"{description}_{lang}") if description else None)
            for lang in ("en", "zh")}


def _competency(b: _Builder, comp, levels: dict) -> None:
    here = b.item_links[comp.code]
    for ds in comp.descriptors:
        code = f"{comp.code}.{ds.level_code}"
        node = b.item("descriptor", code, ds.position, {"en": (None, ds.text_en), "zh": (None, ds.text_zh)})
        b.associate("isChildOf", node, here, f"{code}|parent", sequenceNumber=ds.position + 1)
        if ds.level_code in levels:
            b.associate("hasSkillLevel", node, levels[ds.level_code], f"{code}|level")
    for al in comp.alignments:
        kind, ours_first = RELATION_TYPES[al.relation]
        theirs = alignment_node(al.framework, al.code, al.name)
        origin, destination = (here, theirs) if ours_first else (theirs, here)
        extra = {"sequenceNumber": al.position + 1, "CFAssociationGroupingURI": b.grouping(al.framework)}
        if al.provisional:
            extra["notes"] = "provisional"
        b.associate(kind, origin, destination, f"{comp.code}|{al.framework}|{al.code}|{al.relation}", **extra)


def _rubrics(b: _Builder) -> list[dict]:
    """The project rubrics that assess this framework's competencies (answered by the projects package)."""
    out = []
    for rubric in (r for found in answers(signals.framework_rubrics, b.code) for r in found):
        criteria = [c for c in rubric["criteria"] if c["competency"] in b.item_links]
        if not criteria:
            continue
        rid = ident(b.code, "rubric", rubric["key"])
        when = stamp(rubric["changed_at"])
        out.append({"identifier": rid, "uri": b.uri("rubric", rid), "title": rubric["title"],
                    "description": rubric["description"], "lastChangeDateTime": when,
                    "CFRubricCriteria": [_criterion(b, rid, rubric["key"], c, when) for c in criteria],
                    **_zh(rubric)})
    return out


def _zh(part: dict, in_list: bool = False) -> dict:
    """The Chinese of a rubric, criterion or level, in ``extensions`` (CASE gives rubrics no translation; the
    official schema wants a level's extensions as a list of objects, the others' as one object)."""
    zh = {k: v for k, v in (part.get("zh") or {}).items() if v}
    return {"extensions": [{ZH: zh}] if in_list else {ZH: zh}} if zh else {}


def _criterion(b: _Builder, rid: str, rkey: str, c: dict, when: str) -> dict:
    cid = ident(b.code, "criterion", f"{rkey}|{c['key']}")
    target = b.item_links[c["competency"]]
    levels = [{"identifier": (lid := ident(b.code, "criterion-level", f"{rkey}|{c['key']}|{lv['key']}")),
               "uri": b.uri("rubric", rid) + f"#{lid}", "description": lv["description"], "quality": lv["quality"],
               "score": lv["score"], "position": i + 1, "rubricCriterionId": cid, "lastChangeDateTime": when,
               **_zh(lv, in_list=True)}
              for i, lv in enumerate(c["levels"])]
    return {"identifier": cid, "uri": b.uri("rubric", rid) + f"#{cid}", "category": c["title"],
            "description": c["description"], "CFItemURI": {k: target[k] for k in ("title", "identifier", "uri")},
            "weight": c["weight"], "position": c["position"], "rubricId": rid, "lastChangeDateTime": when,
            "CFRubricCriterionLevels": levels,
            **_zh({"zh": {"category": c["zh"].get("title"), "description": c["zh"].get("description")}})}


def _document(b: _Builder) -> dict:
    fw = b.fw
    doc = {"identifier": b.doc_id, "uri": b.doc_link["uri"], "frameworkType": "Competency framework",
           "caseVersion": "1.1", "creator": CREATOR, "publisher": CREATOR, "title": fw.title_en or fw.code,
           "lastChangeDateTime": b.when, "officialSourceURL": absolute_url("frameworks.tree"),
           "language": "en", "version": fw.label or str(fw.version),
           "adoptionStatus": "Deprecated" if _newer_exists(fw) else "Adopted"}
    if fw.description_en:
        doc["description"] = fw.description_en
    zh = {k: v for k, v in (("title", fw.title_zh), ("description", fw.description_zh)) if v}
    if zh:
        doc["extensions"] = {ZH: zh}
    return doc


def _newer_exists(fw: Framework) -> bool:
    return db.session.scalar(select(Framework.id).where(Framework.code == fw.code, Framework.version > fw.version)
                             .limit(1)) is not None


def build_package(fw: Framework) -> dict:
    """The framework version (its whole tree loaded) as a CASE 1.1 CFPackage; the same JSON for the same content."""
    b = _Builder(fw)
    levels = {lv.code: b.item("level", lv.code, lv.position, _texts(lv)) for lv in fw.levels}
    for dom in fw.domains:
        node = b.item("domain", dom.code, dom.position, _texts(dom))
        b.associate("isChildOf", node, b.doc_link, f"{dom.code}|parent", sequenceNumber=dom.position + 1)
        for comp in dom.competencies:
            cnode = b.item("competency", comp.code, comp.position, _texts(comp))
            b.associate("isChildOf", cnode, node, f"{comp.code}|parent", sequenceNumber=comp.position + 1)
            _competency(b, comp, levels)
    package = {"CFDocument": _document(b), "CFItems": b.items, "CFAssociations": b.associations,
               "CFDefinitions": {"CFItemTypes": list(b.types.values()),
                                 "CFAssociationGroupings": list(b.groupings.values())}}
    rubrics = _rubrics(b)
    if rubrics:
        package["CFRubrics"] = rubrics
    return package


def package_document(package: dict) -> dict:
    """The CFDocument as the read API answers it alone: with the link to its package."""
    doc = package["CFDocument"]
    return {**doc, "CFPackageURI": link(doc["title"], doc["identifier"], _uri("package", doc["identifier"]))}


def pools(package: dict) -> dict[str, list[dict]]:
    """The package's objects that the read API serves alone, by kind."""
    return {"item": package["CFItems"], "association": package["CFAssociations"],
            "item_type": package["CFDefinitions"]["CFItemTypes"],
            "grouping": package["CFDefinitions"]["CFAssociationGroupings"], "rubric": package.get("CFRubrics", [])}


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False, indent=1)


# ---------------------------------------------------------------- the official schema

# the package schema's definitions of objects that the read API also serves alone, and the link they then carry
ALONE = {"CFPckgDocument": "CFPackageURI", "CFPckgItem": "CFDocumentURI", "CFPckgAssociation": "CFDocumentURI"}


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator(definition: str | None):
    from jsonschema import Draft202012Validator

    full = schema()
    target = full if definition is None else {"$defs": full["$defs"], **full["$defs"][definition]}
    if definition in ALONE:     # read alone, CASE 1.1's CFDocument links its package, CFItem/CFAssociation their document
        target = {**target, "properties": {**target["properties"], ALONE[definition]: {"$ref": "#/$defs/LinkURI"}}}
    return Draft202012Validator(target, format_checker=_format_checker())


DATE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@cache
def _format_checker():
    """jsonschema's checks of formats, with ``date-time`` (RFC 3339) added: it checks that one only with an
    optional package we do not install."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(Draft202012Validator.FORMAT_CHECKER.checkers)

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        if not DATE_TIME_RE.match(value):
            return False
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        return True

    return checker


def schema_errors(data, definition: str | None = None, limit: int = 50) -> list[str]:
    """What is wrong with ``data`` against the official CASE 1.1 CFPackage schema (or one of its definitions),
    each error naming its path (``CFItems[3].uri``); at most ``limit``."""
    out = []
    for err in sorted(_validator(definition).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        out.append(f"{json_path(err.absolute_path)}: {err.message[:300]}")
        if len(out) >= limit:
            break
    return out


def json_path(parts) -> str:
    path = ""
    for p in parts:
        path += f"[{p}]" if isinstance(p, int) else (f".{p}" if path else str(p))
    return path or "(the package)"

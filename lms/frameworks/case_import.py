"""Import a CASE 1.1 ``CFPackage`` as a new framework, or as a new version of one of ours.

Three steps, nothing written before the last: :func:`read_package` (size, UTF-8, JSON, the official schema:
every error names its path; then the counts), :func:`plan_import` (the package turned into the framework
loader's data shape, :func:`lms.frameworks.loader.parse_framework`, with counts for the preview), and
:func:`apply_import` (one flush through :func:`lms.frameworks.loader.write_framework`; the request or the
command commits, so an error leaves nothing half-written).

How a package becomes a framework (the reverse of :mod:`lms.frameworks.case`):

- A package whose ``CFDocument.identifier`` is the one we give a framework code becomes a new version of that
  framework (and the current one); it must keep the levels the framework has. Any other package becomes a
  new framework ``CASE-<first 8 hex digits of its identifier>``, kept beside ours (not current, so the site's
  framework does not change), exported by the read API as any other.
- Items whose ``CFItemType`` is one of ours (*Domain*, *Competency*, *Proficiency level*, *Level descriptor*)
  go back where they came from. A foreign tree (``isChildOf``): each top item that has children is a domain
  and all its descendants are its competencies, in tree order; top items without children are the
  competencies of one more domain named after the document.
- An item that is the origin of ``isTranslationOf`` and is in Chinese gives the Chinese text of the item it
  translates; a foreign item in Chinese (its ``language`` or the document's) fills the Chinese fields.
- ``humanCodingScheme`` is the code when it is a valid code of ours and unused, otherwise ``I1``, ``I2``...
- ``exactMatchOf`` / ``isRelatedTo`` / ``isPartOf`` between a competency and a node outside the package are
  alignments; other associations between items (and ``CFRubrics``, which belong to the project briefs) are
  counted and not kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from urllib.parse import unquote

from flask_babel import gettext as _
from sqlalchemy import select

from lms.db import utcnow
from lms.extensions import db
from lms.frameworks import case
from lms.frameworks.loader import CODE_RE, write_framework
from lms.frameworks.models import Framework

MAX_BYTES = 5_000_000           # one package file
MAX_ITEMS = 5_000               # CFItems of one package
MAX_ASSOCIATIONS = 20_000       # CFAssociations of one package
MAX_ERRORS = 50                 # errors listed
_TYPES = {title.lower(): key for key, (title, _d, _c) in case.ITEM_TYPES.items()}
_ALIGN = {("exactMatchOf", True): "exact", ("isRelatedTo", True): "related", ("isPartOf", True): "narrower",
          ("isPartOf", False): "broader"}


class CaseImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class Plan:
    data: dict
    content_hash: str
    changed_at: datetime
    existing: Framework | None          # the latest version of the same code, if any
    counts: dict = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return self.existing is not None and self.existing.content_hash == self.content_hash

    @property
    def version(self) -> int:
        return (self.existing.version + 1) if self.existing is not None else 1


def read_package(raw: bytes) -> dict:
    """The package in ``raw`` checked against the official schema and our bounds; CaseImportError otherwise."""
    if len(raw) > MAX_BYTES:
        raise CaseImportError([_("The file is larger than %(mb)s MB.", mb=f"{MAX_BYTES / 1e6:g}")])
    try:
        package = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CaseImportError([_("The file is not UTF-8 text.")]) from None
    except json.JSONDecodeError as exc:
        raise CaseImportError([_("The file is not JSON: %(error)s (line %(line)d).", error=exc.msg,
                                 line=exc.lineno)]) from None
    except RecursionError:
        raise CaseImportError([_("The file is not a CASE package (a JSON object with a CFDocument).")]) from None
    if not isinstance(package, dict):
        raise CaseImportError([_("The file is not a CASE package (a JSON object with a CFDocument).")])
    too_many = [f"{key}: " + _("more than %(n)d entries", n=limit)
                for key, limit in (("CFItems", MAX_ITEMS), ("CFAssociations", MAX_ASSOCIATIONS))
                if isinstance(package.get(key), list) and len(package[key]) > limit]
    errors = too_many or case.schema_errors(package, limit=MAX_ERRORS)
    if errors:
        raise CaseImportError(errors)
    return package


class _Index:
    """The package's items and associations, looked up the ways the plan needs."""

    def __init__(self, package: dict):
        self.doc = package["CFDocument"]
        self.doc_lang = _lang(self.doc.get("language"), "en")
        items = package.get("CFItems", [])
        self.order = {i["identifier"]: n for n, i in enumerate(items)}
        self.items = {i["identifier"]: i for i in items}
        self.assocs = package.get("CFAssociations", [])
        self.twin: dict[str, dict] = {}         # English item id -> its Chinese translation
        self.parent: dict[str, str] = {}
        self.seq: dict[str, int] = {}
        self.skill: dict[str, str] = {}
        self.used = 0                           # associations that found a place
        for a in self.assocs:
            self._note(a)
        twins = {t["identifier"] for t in self.twin.values()}
        self.primary = [i for i in items if i["identifier"] not in twins]
        self.touching: dict[str, list[dict]] = {}    # node id -> the associations it is an end of
        for a in self.assocs:
            for end in {a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"]}:
                self.touching.setdefault(end, []).append(a)
        self.descriptors: dict[str, list[dict]] = {}  # competency id -> its level descriptor items
        for i in self.primary:
            if self.kind(i) == "descriptor" and i["identifier"] in self.parent:
                self.descriptors.setdefault(self.parent[i["identifier"]], []).append(i)

    def _note(self, a: dict) -> None:
        o, d, kind = a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"], a["associationType"]
        if o not in self.items:
            return
        if kind == "isTranslationOf" and d in self.items and _lang(self.items[o].get("language"), "") == "zh":
            self.twin[d] = self.items[o]
        elif kind == "isChildOf" and o not in self.parent:
            self.parent[o] = d
            self.seq[o] = a.get("sequenceNumber", 0)
        elif kind == "hasSkillLevel" and d in self.items:
            self.skill[o] = d
        else:
            return
        self.used += 1

    def kind(self, item: dict) -> str | None:
        return _TYPES.get((item.get("CFItemType") or "").lower())

    def sort_key(self, ident: str):
        item = self.items[ident]
        listed = item.get("listEnumeration", "")
        return (self.seq.get(ident, 0), int(listed) if listed.isdigit() else 0, self.order[ident])

    def texts(self, item: dict, short: int = 300) -> tuple[dict, dict]:
        """(name, description), each {en, zh}, from the item and its Chinese twin."""
        name, description = {"en": None, "zh": None}, {"en": None, "zh": None}
        for source, lang in ((item, _lang(item.get("language"), self.doc_lang)), (self.twin.get(item["identifier"]), "zh")):
            if source is None:
                continue
            full = source["fullStatement"]
            name[lang] = (source.get("abbreviatedStatement") or full)[:short]
            description[lang] = full if full != name[lang] else None
        return name, description


def _lang(value: str | None, default: str) -> str:
    return "zh" if (value or default).lower().startswith("zh") else "en"


def _code(item: dict, used: set[str], counter: list[int], size: int = 20) -> str:
    code = (item.get("humanCodingScheme") or "").strip()
    if not (CODE_RE.match(code) and len(code) <= size) or code in used:
        while True:
            counter[0] += 1
            code = f"I{counter[0]}"
            if code not in used:
                break
    used.add(code)
    return code


def plan_import(package: dict) -> Plan:
    """What importing ``package`` (already read) would write; CaseImportError if it cannot be written."""
    ix = _Index(package)
    code = _framework_code(ix.doc["identifier"])
    existing = db.session.scalars(select(Framework).where(Framework.code == code)
                                  .order_by(Framework.version.desc())).first()
    data, counts = _Shaper(ix).shape(code)
    if existing is not None and existing.levels and [lv.code for lv in existing.levels] != [
            lv["code"] for lv in data["levels"]]:
        raise CaseImportError([_("A new version of %(code)s must keep its proficiency levels %(levels)s.", code=code,
                                 levels=", ".join(lv.code for lv in existing.levels))])
    counts.update(items=len(ix.items), associations=len(ix.assocs), rubrics=len(package.get("CFRubrics", [])),
                  associations_kept=ix.used + counts["alignments"])
    canonical = json.dumps(package, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return Plan(data, sha256(canonical).hexdigest(), _when(ix.doc["lastChangeDateTime"]), existing, counts)


def _framework_code(doc_id: str) -> str:
    for code in db.session.scalars(select(Framework.code).distinct()):
        if case.document_id(code) == doc_id:
            return code
    return f"CASE-{doc_id[:8]}"


def _when(value: str) -> datetime:
    """The package's lastChangeDateTime in UTC (now, if it cannot be read: an imported version always has one)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return utcnow()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class _Shaper:
    """Turns the indexed package into the loader's data shape."""

    def __init__(self, ix: _Index):
        self.ix = ix
        self.used: set[str] = set()
        self.counter = [0]
        self.counts = dict.fromkeys(("domains", "competencies", "levels", "descriptors", "alignments"), 0)

    def shape(self, code: str) -> tuple[dict, dict]:
        ix = self.ix
        title = {"en": None, "zh": None}
        description = {"en": None, "zh": None}
        title[ix.doc_lang], description[ix.doc_lang] = ix.doc["title"][:300], ix.doc.get("description")
        zh = (ix.doc.get("extensions") or {}).get(case.ZH) or {}
        if isinstance(zh, dict):
            title["zh"] = str(zh.get("title"))[:300] if zh.get("title") else title["zh"]
            description["zh"] = str(zh.get("description")) if zh.get("description") else description["zh"]
        levels = self._levels()
        data = {"code": code, "label": (ix.doc.get("version") or "")[:40] or None, "title": title,
                "description": description, "levels": levels, "domains": self._domains(levels)}
        return data, self.counts

    def _levels(self) -> list[dict]:
        ix = self.ix
        found = sorted((i["identifier"] for i in ix.primary if ix.kind(i) == "level"), key=ix.sort_key)
        self.level_codes = {}
        out, used, counter = [], set(), [0]
        for ident in found:
            name, description = ix.texts(ix.items[ident], 100)
            code = _code(ix.items[ident], used, counter, 4)
            self.level_codes[ident] = code
            out.append({"code": code, "name": name, "description": description})
        self.counts["levels"] = len(out)
        return out

    def _domains(self, levels: list[dict]) -> list[dict]:
        ix = self.ix
        nodes = {i["identifier"] for i in ix.primary if ix.kind(i) in (None, "domain", "competency")}
        children: dict[str, list[str]] = {}
        for ident in nodes:
            children.setdefault(ix.parent.get(ident), []).append(ident)
        for kids in children.values():
            kids.sort(key=ix.sort_key)
        tops = [i for i in sorted(nodes, key=ix.sort_key) if ix.parent.get(i) not in nodes]
        groups = [(t, self._descendants(t, children)) for t in tops
                  if children.get(t) or ix.kind(ix.items[t]) == "domain"]
        loose = [t for t in tops if not (children.get(t) or ix.kind(ix.items[t]) == "domain")]
        domains = [self._domain(ix.items[t], kids) for t, kids in groups]
        if loose:
            general = {"identifier": "", "fullStatement": ix.doc["title"], "humanCodingScheme": "D0"}
            domains.append(self._domain(general, loose))
        return domains

    def _descendants(self, top: str, children: dict) -> list[str]:
        out, stack, seen = [], list(reversed(children.get(top, []))), {top}
        while stack:
            ident = stack.pop()
            if ident in seen:
                continue
            seen.add(ident)
            out.append(ident)
            stack.extend(reversed(children.get(ident, [])))
        return out

    def _domain(self, item: dict, members: list[str]) -> dict:
        name, description = self.ix.texts(item)
        self.counts["domains"] += 1
        return {"code": _code(item, self.used, self.counter), "name": name, "description": description,
                "competencies": [self._competency(self.ix.items[m]) for m in members]}

    def _competency(self, item: dict) -> dict:
        ix = self.ix
        name, description = ix.texts(item)
        self.counts["competencies"] += 1
        descriptors = {}
        for d in sorted(ix.descriptors.get(item["identifier"], []), key=lambda i: ix.sort_key(i["identifier"])):
            level = self.level_codes.get(ix.skill.get(d["identifier"], ""))
            if level and level not in descriptors:
                _name, text = ix.texts(d, 10**6)
                descriptors[level] = {lang: text[lang] or _name[lang] for lang in ("en", "zh")}
                self.counts["descriptors"] += 1
        return {"code": _code(item, self.used, self.counter), "name": name, "description": description,
                "levels": descriptors, "alignments": self._alignments(item["identifier"])}

    def _alignments(self, ident: str) -> list[dict]:
        found = []
        for a in self.ix.touching.get(ident, []):
            o, d = a["originNodeURI"], a["destinationNodeURI"]
            ours_first = o["identifier"] == ident and d["identifier"] not in self.ix.items
            theirs_first = d["identifier"] == ident and o["identifier"] not in self.ix.items
            relation = _ALIGN.get((a["associationType"], True if ours_first else False)) if (
                ours_first or theirs_first) else None
            if relation:
                found.append((a.get("sequenceNumber", 0), _alignment(d if ours_first else o, a, relation)))
        self.counts["alignments"] += len(found)
        return [al for _n, al in sorted(found, key=lambda x: x[0])]


def _alignment(node: dict, a: dict, relation: str) -> dict:
    uri = node.get("uri", "")
    if uri.startswith(case.ALIGNMENT_URN) and uri.count(":") >= 3:
        framework, code = (unquote(p) for p in uri[len(case.ALIGNMENT_URN):].split(":", 1))
    else:
        framework = (a.get("CFAssociationGroupingURI") or {}).get("title") or "CASE"
        code = node["identifier"]
    return {"framework": framework[:40], "code": code[:40], "name": node["title"][:300], "relation": relation,
            "provisional": a.get("notes") == "provisional"}


def apply_import(plan: Plan) -> Framework:
    """Write the planned framework version (flushed, not committed); the unchanged one when nothing changed."""
    if plan.unchanged:
        return plan.existing
    return write_framework(plan.data, plan.content_hash, changed_at=plan.changed_at,
                           current=_is_site_framework(plan.data["code"]))


def _is_site_framework(code: str) -> bool:
    """Whether a version of ``code`` is current: a new version of it then replaces it; a new framework is not."""
    return db.session.scalar(select(Framework.id).where(Framework.code == code, Framework.is_current.is_(True))
                             .limit(1)) is not None

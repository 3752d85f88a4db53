"""The framework and its competencies as JSON-LD, for other systems (``/framework`` and ``/framework/<code>``
asked for ``application/ld+json``).

Vocabulary: CTDL-ASN (``ceasn:``, the competency vocabulary that Open Badges 3.0 alignments name with
``targetType`` ``ceasn:Competency``), with names and descriptions as JSON-LD language maps (``en``,
``zh-Hans``). Level descriptors and our alignments to external frameworks have no CTDL-ASN term and use the
platform's own terms (``ttm:``, defined at the framework page). Each competency also carries ``obAlignment``:
the Open Badges 3.0 ``Alignment`` object another issuer can copy into its own achievement to point at it.
"""
from __future__ import annotations

from lms.frameworks.models import Competency, Domain, Framework
from lms.urls import absolute_url

CEASN = "https://purl.org/ctdlasn/terms/"
LANGS = (("en", "en"), ("zh", "zh-Hans"))


def context() -> dict:
    ttm = absolute_url("frameworks.tree") + "#"
    return {
        "@vocab": CEASN, "ceasn": CEASN, "ttm": ttm, "schema": "https://schema.org/",
        "id": "@id", "type": "@type",
        "name": {"@id": "ceasn:competencyLabel", "@container": "@language"},
        "description": {"@id": "ceasn:competencyText", "@container": "@language"},
        "code": "ceasn:codedNotation",
        "isPartOf": {"@id": "ceasn:isPartOf", "@type": "@id"},
        "isChildOf": {"@id": "ceasn:isChildOf", "@type": "@id"},
        "hasChild": {"@id": "ceasn:hasChild", "@type": "@id"},
        "version": "schema:version",
        "levels": {"@id": "ttm:proficiencyLevel", "@container": "@list"},
        "levelDescriptors": {"@id": "ttm:levelDescriptor", "@container": "@set"},
        "level": "ttm:level",
        "text": {"@id": "ttm:text", "@container": "@language"},
        "alignments": {"@id": "ttm:alignment", "@container": "@set"},
        "framework": "ttm:externalFramework", "relation": "ttm:relation", "provisional": "ttm:provisional",
        "label": "ttm:label", "domains": "ttm:domain", "competencies": "ttm:competency",
        "obAlignment": {"@id": "ttm:obAlignment", "@type": "@json"},
    }


def _lang_map(obj, field: str) -> dict:
    return {tag: getattr(obj, f"{field}_{key}") for key, tag in LANGS if getattr(obj, f"{field}_{key}", None)}


def competency_url(comp: Competency) -> str:
    return absolute_url("frameworks.competency", code=comp.code)


def domain_url(domain: Domain) -> str:
    return f"{absolute_url('frameworks.tree')}#{domain.code}"


def competency_item(comp: Competency, fw: Framework) -> dict:
    """One competency: its stable URL, code, names and descriptions in both languages, what each level means,
    its alignments to external frameworks (provisional ones say so), and a ready OB 3.0 Alignment."""
    url = competency_url(comp)
    return {
        "id": url, "type": "ceasn:Competency", "code": comp.code,
        "name": _lang_map(comp, "name"), "description": _lang_map(comp, "description"),
        "isPartOf": absolute_url("frameworks.tree"), "isChildOf": domain_url(comp.domain),
        "levelDescriptors": [{"level": d.level_code, "text": _lang_map(d, "text")} for d in comp.descriptors],
        "alignments": [{"framework": a.framework, "code": a.code, "label": a.name, "relation": a.relation,
                        "provisional": a.provisional} for a in comp.alignments],
        "obAlignment": {"type": ["Alignment"], "targetName": comp.name_en or comp.code, "targetUrl": url,
                        "targetCode": comp.code, "targetType": "ceasn:Competency",
                        "targetFramework": f"{fw.title_en or fw.code} v{fw.version}"},
    }


def competency_document(comp: Competency, fw: Framework) -> dict:
    return {"@context": context(), **competency_item(comp, fw)}


def framework_document(fw: Framework) -> dict:
    """The current framework: its levels, its domains (top children) and every competency in full."""
    return {
        "@context": context(), "id": absolute_url("frameworks.tree"), "type": "ceasn:CompetencyFramework",
        "code": fw.code, "version": str(fw.version) + (f" ({fw.label})" if fw.label else ""),
        "name": _lang_map(fw, "title"), "description": _lang_map(fw, "description"),
        "levels": [{"level": lv.code, "name": _lang_map(lv, "name"), "description": _lang_map(lv, "description")}
                   for lv in fw.levels],
        "hasChild": [domain_url(d) for d in fw.domains],
        "domains": [{"id": domain_url(d), "type": "ceasn:Competency", "code": d.code, "name": _lang_map(d, "name"),
                     "description": _lang_map(d, "description"), "isPartOf": absolute_url("frameworks.tree"),
                     "hasChild": [competency_url(c) for c in d.competencies]} for d in fw.domains],
        "competencies": [competency_item(c, fw) for d in fw.domains for c in d.competencies],
    }

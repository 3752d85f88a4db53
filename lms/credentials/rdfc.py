"""JSON-LD for the ``eddsa-rdfc-2022`` cryptosuite: the vendored contexts, the guard against terms the
contexts do not define, RDF Dataset Canonicalization (RDFC-1.0, which pyld calls ``URDNA2015``), and the
bounds that keep canonicalisation of a document from anyone cheap.

Pure functions: no Flask, no database, no network. Libraries are used through their public API only:

* pyld (``jsonld.expand`` with ``on_property_dropped``) expands JSON-LD, with a document loader that serves
  the copies vendored in ``lms/credentials/contexts`` (see its README) and refuses any other context URL;
* pyoxigraph reads the expanded document as RDF (``parse``) and canonicalises it
  (``Dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)``).

Signing and verification both go through :func:`canonical_nquads`. Canonicalization silently drops every
property (and every ``type``/``id`` value) that the contexts do not define, so it would be signed as if absent
while still being shown to people. Digital Bazaar's verifier (jsonld.js "safe mode") rejects such credentials;
:func:`undefined_terms` is the equivalent guard on our side. The signature itself (keys, proofs,
verification) is in :mod:`lms.credentials.signing`.
"""
from __future__ import annotations

import copy
import functools
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

CONTEXTS_DIR = Path(__file__).with_name("contexts")

# The same test pyld and jsonld.js use for "absolute IRI" (a scheme, or "_" for blank nodes).
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):\S*$")

JsonObject = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Document loader: vendored contexts only
# --------------------------------------------------------------------------------------------


class UnknownContext(ValueError):
    """A JSON-LD document referred to a context URL that is not vendored."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"JSON-LD context {url!r} is not vendored in lms/credentials/contexts; "
            "remote contexts are never fetched"
        )


class ContextLoader:
    """A pyld document loader that serves a fixed set of JSON-LD contexts and nothing else.

    The documents it returns carry no ``tag``, so pyld keeps the processed contexts for one operation only
    and never in its process-wide cache (where a context served by another loader could be found by URL).
    """

    def __init__(self, contexts: Mapping[str, JsonObject]) -> None:
        self._texts = {url: json.dumps(doc) for url, doc in contexts.items()}   # each request gets a new copy

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._texts)

    def with_contexts(self, extra: Mapping[str, JsonObject]) -> ContextLoader:
        """A new loader that also serves ``extra`` (e.g. a test vector's example context)."""
        return ContextLoader({**{url: json.loads(text) for url, text in self._texts.items()}, **extra})

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> JsonObject:
        try:
            text = self._texts[url]
        except KeyError:
            raise UnknownContext(url) from None
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(text)}

    def pyld_options(self) -> JsonObject:
        """Options for pyld's expand.

        ``base: None`` keeps relative IRIs relative, as jsonld.js does. pyld 3.x otherwise
        resolves them against its placeholder ``http://example.org/base/`` (``DEFAULT_BASE_IRI``),
        so an ``id`` such as ``"42"`` would be signed as ``<http://example.org/base/42>`` while
        other implementations drop it; kept relative, :func:`undefined_terms` can report it.
        """
        return {"documentLoader": self, "base": None}


# pyld keeps the contexts nested in a context (scoped contexts: every OB 3.0 class has one) in a process-wide
# cache, each with a small LRU cache of its processed forms that is not safe across threads: two threads expanding
# at once can meet a KeyError in its eviction (seen in tests/credentials/test_issuance_status.py's parallel
# issuance). One expansion at a time per process; processes (gunicorn workers) still expand in parallel.
_EXPANSION = threading.Lock()


def _expand(doc: Any, loader: ContextLoader, dropped: list) -> Any:
    with _EXPANSION:
        return jsonld.expand(doc, loader.pyld_options(), on_property_dropped=dropped.append)


@functools.cache
def vendored_contexts() -> dict[str, JsonObject]:
    """URL -> context document, from ``contexts/index.json``."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    return {url: json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))
            for url, name in index.items()}


@functools.cache
def default_loader() -> ContextLoader:
    return ContextLoader(vendored_contexts())


def _raise_unknown_context(error: BaseException) -> None:
    """pyld wraps loader errors in JsonLdError; surface our own error if it is in the chain."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UnknownContext):
            raise UnknownContext(cause.url) from error
        cause = cause.__cause__ or cause.__context__


# --------------------------------------------------------------------------------------------
# Bounds on documents from anyone (RDFC-1.0, "Dataset Poisoning")
# --------------------------------------------------------------------------------------------

# What a document that is not our own record may contain before it is canonicalised. A credential of
# this centre is about 10 kB, 250 JSON values, 30 objects without an ``id`` and 6 levels deep.
LIMITS = {"bytes": 131_072, "values": 5_000, "depth": 16, "blank_nodes": 200}

# RDFC-1.0 is exponential only in blank nodes that "look alike" (the same first-degree hash) and are linked to one
# another: a blank node whose hash is unique gets its canonical name at once and is never explored again, and the
# n-degree step of one that looks alike explores the others it is linked to, in every order. Its work is estimated
# per group of alike blank nodes linked to one another as (nodes)! x (quads that mention them), summed; a document
# estimated past this many steps is not canonicalised. Measured (tests/credentials/test_canonical_form.py,
# bench/RESULTS.md): 4 such nodes all linked to one another by 60 quads (1,440 steps) canonicalise in about 3 ms.
# Our own credentials have no alike blank nodes.
CANONICALISATION_STEPS = 2_000
_LARGEST_ALIKE_GROUP = 8              # 8! alone is past the budget: no need to compute larger factorials


class TooComplex(ValueError):
    """A document past one of :data:`LIMITS`, or whose canonicalisation would take more than
    :data:`CANONICALISATION_STEPS` (``steps``).

    ``what`` is ``bytes``, ``values``, ``depth``, ``blank_nodes`` or ``steps``; ``limit`` the bound."""

    def __init__(self, what: str, limit: int) -> None:
        self.what, self.limit = what, limit
        super().__init__(f"the document is too complex to check ({what} over {limit})")


def check_bounds(doc: Any, limits: Mapping[str, int] = LIMITS) -> None:
    """Raise :class:`TooComplex` if ``doc`` (parsed JSON) is past a bound, without recursion, and stopping
    as soon as it is. Blank nodes are counted as the objects that have no ``id`` / ``@id`` or a blank
    node identifier (``_:…``) as one, value objects and ``@context`` excepted."""
    values = blanks = 0
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > limits["values"]:
            raise TooComplex("values", limits["values"])
        if depth > limits["depth"]:
            raise TooComplex("depth", limits["depth"])
        if isinstance(value, dict):
            node_id = value.get("id", value.get("@id"))
            if "@value" not in value and (not isinstance(node_id, str) or node_id.startswith("_:")):
                blanks += 1
                if blanks > limits["blank_nodes"]:
                    raise TooComplex("blank_nodes", limits["blank_nodes"])
            stack.extend((v, depth + 1) for k, v in value.items() if k != "@context")
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > limits["bytes"]:
        raise TooComplex("bytes", limits["bytes"])


def _alike_blank_nodes(quads: list[ox.Quad]) -> tuple[set[ox.BlankNode], dict[ox.BlankNode, int]]:
    """The blank nodes whose first-degree quads (RDFC-1.0 4.6: the quads that mention a node, it written ``_:a``
    and other blank nodes ``_:z``) are those of another, and how many quads mention each blank node."""
    mentions: dict[ox.BlankNode, list[tuple[str, ...]]] = {}
    for quad in quads:
        terms = (quad.subject, quad.predicate, quad.object, quad.graph_name)
        for node in {t for t in terms if isinstance(t, ox.BlankNode)}:
            mentions.setdefault(node, []).append(tuple(
                "_:a" if t == node else "_:z" if isinstance(t, ox.BlankNode) else str(t) for t in terms))
    first_degree = {node: tuple(sorted(found)) for node, found in mentions.items()}
    shared = Counter(first_degree.values())
    return ({node for node, key in first_degree.items() if shared[key] > 1},
            {node: len(found) for node, found in mentions.items()})


def canonicalisation_steps(quads: list[ox.Quad]) -> int:
    """The estimated work of RDFC-1.0's n-degree step on ``quads`` (see :data:`CANONICALISATION_STEPS`): over
    the groups of alike blank nodes linked to one another, (nodes)! x (quads that mention them)."""
    alike, mentions = _alike_blank_nodes(quads)
    group = {node: node for node in alike}            # union-find: alike nodes named in one quad are one group

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while group[node] != node:
            node = group[node]
        return node

    for quad in quads:
        linked = [root(t) for t in (quad.subject, quad.object, quad.graph_name) if t in alike]
        for other in linked[1:]:
            group[other] = linked[0]
    sizes: Counter = Counter()
    quad_counts: Counter = Counter()
    for node in alike:
        sizes[root(node)] += 1
        quad_counts[root(node)] += mentions[node]
    if any(size > _LARGEST_ALIKE_GROUP for size in sizes.values()):
        return CANONICALISATION_STEPS + 1
    return sum(math.factorial(size) * quad_counts[key] for key, size in sizes.items())


# --------------------------------------------------------------------------------------------
# Expansion with the undefined-term guard, and canonicalization
# --------------------------------------------------------------------------------------------


def canonical_nquads(expanded: Any) -> str:
    """RDFC-1.0 canonical N-Quads of an expanded document (as :func:`checked_expansion` gives it).

    pyoxigraph reads the expanded JSON-LD (no context is left in it) as RDF, dropping what has a relative IRI
    as pyld's ``to_rdf`` does; :func:`canonicalisation_steps` bounds the work; pyoxigraph canonicalises. The
    lines are sorted in code point order, as RDFC-1.0 serialises a canonical dataset: the same bytes as pyld's
    ``normalize`` with URDNA2015 (tests compare them). Raises :class:`TooComplex` past
    :data:`CANONICALISATION_STEPS`.
    """
    quads = list(ox.parse(json.dumps(expanded), ox.RdfFormat.JSON_LD))
    if canonicalisation_steps(quads) > CANONICALISATION_STEPS:
        raise TooComplex("steps", CANONICALISATION_STEPS)
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    lines = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines()
    return "".join(sorted(f"{line}\n" for line in lines))


def canonize(doc: JsonObject, *, loader: ContextLoader | None = None) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0 = URDNA2015) of ``doc`` as N-Quads."""
    loader = loader or default_loader()
    return canonical_nquads(checked_expansion(doc, loader)[0])


def checked_expansion(doc: JsonObject, loader: ContextLoader | None = None) -> tuple[Any, list[str]]:
    """The expanded document and what :func:`undefined_terms` reports, from one expansion."""
    loader = loader or default_loader()
    dropped: list[str | None] = []
    try:
        expanded = _expand(doc, loader, dropped)
    except jsonld.JsonLdError as error:
        _raise_unknown_context(error)
        raise
    paths = _dropped_paths(doc, Counter(dropped), loader) if dropped else []
    return expanded, list(dict.fromkeys(paths + _relative_iris(expanded)))


# How many extra expansions :func:`_dropped_paths` may make to tell which of the places a dropped name
# appears in were dropped; past it, every place is named (kept small: a document from anyone may ask for them).
_PLACE_CHECKS = 4
_NULL_TERM = "(a term the context maps to null)"


def _places(doc: Any, names: Mapping[str | None, int]) -> list[tuple[list[str], dict, str]]:
    """Where the keys in ``names`` appear in ``doc``: (path of property names, the object, the key), in
    pyld's expansion order (keys sorted, depth first), ``@context`` skipped."""
    found: list[tuple[list[str], dict, str]] = []

    def visit(value: Any, path: list[str]) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item, path)
        elif isinstance(value, dict):
            for key in sorted(value):
                if key == "@context":
                    continue
                if key in names:
                    found.append((path, value, key))
                visit(value[key], [*path, key])

    visit(doc, [])
    return found


def _dropped_paths(doc: Any, dropped: Counter, loader: ContextLoader) -> list[str]:
    """The dotted paths (``credentialSubject.achievement.gradeX``) of the properties pyld dropped.

    pyld names only the term it dropped, so the places where that name is a key are found in the document.
    When a name is a key in more places than it was dropped (defined in one scope, not in another), each
    place is checked by expanding the document without it: the place was dropped if a drop of that name
    goes with it. A term the context maps to null is reported without a path.
    """
    doc = copy.deepcopy(doc)                   # places are taken out one at a time (see _dropped_here)
    places = _places(doc, dropped)
    counts = Counter(key for _path, _obj, key in places)
    checks = sum(1 for _path, _obj, key in places if counts[key] > dropped[key])
    paths = []
    for path, obj, key in places:
        if counts[key] > dropped[key] and checks <= _PLACE_CHECKS and not _dropped_here(doc, obj, key, dropped, loader):
            continue
        paths.append(".".join([*path, key]))
    if dropped[None]:
        paths.append(_NULL_TERM)
    return paths


def _dropped_here(doc: Any, obj: dict, key: str, dropped: Counter, loader: ContextLoader) -> bool:
    value = obj.pop(key)
    seen: list[str | None] = []
    try:
        _expand(doc, loader, seen)
    finally:
        obj[key] = value
    return seen.count(key) < dropped[key]


def _relative_iris(expanded: Any) -> list[str]:
    """``@type`` and ``@id`` values of the expanded document that are not absolute IRIs.

    A ``type`` the contexts do not define (a typo such as ``"Achievment"``) and an ``id`` that is
    not a URL both expand to relative IRIs, which canonicalization then drops from the N-Quads.
    jsonld.js safe mode rejects them as "relative @type reference" / "relative @id reference".
    """
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item)
            return
        if not isinstance(value, dict):
            return
        if "@value" in value:
            datatype = value.get("@type")
            if isinstance(datatype, str) and datatype != "@json" and not _ABSOLUTE_IRI.match(datatype):
                found.append(f"@type {datatype!r} (datatype)")
            return
        node_id = value.get("@id")
        if isinstance(node_id, str) and not _ABSOLUTE_IRI.match(node_id):
            found.append(f"@id {node_id!r}")
        for node_type in value.get("@type", []):
            if isinstance(node_type, str) and not _ABSOLUTE_IRI.match(node_type):
                found.append(f"@type {node_type!r}")
        for key, item in value.items():
            if key in ("@id", "@type"):
                continue
            visit(list(item.values()) if key == "@reverse" and isinstance(item, dict) else item)

    visit(expanded)
    return found


def undefined_terms(doc: JsonObject, *, loader: ContextLoader | None = None) -> list[str]:
    """What canonicalization would silently lose from ``doc`` (no duplicates; empty when safe).

    * properties the active contexts do not define, as dotted paths of property names
      (array positions are not shown), e.g. ``credentialSubject.achievement.gradeX``;
    * ``type`` values the contexts do not define and ``id`` values that are not absolute IRIs,
      as ``@type 'Name'`` / ``@id 'value'``.

    Dropped properties come first, in pyld's traversal order (keys sorted), then IRIs.
    Uses pyld expansion with the same contexts as :func:`canonize`, so it sees exactly what the
    canonicalizer sees (type-scoped and property-scoped contexts included). This mirrors the
    checks of jsonld.js "safe mode" that matter for credentials ("invalid property",
    "relative @type reference", "relative @id reference").
    Raises :class:`UnknownContext` for a context that is not vendored.
    """
    return checked_expansion(doc, loader)[1]


class UndefinedTerms(ValueError):
    """The document uses terms its contexts do not define; it was not signed."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        super().__init__(
            "refusing to sign: these terms are not defined by the credential's JSON-LD contexts "
            "and would be left out of the signature: " + ", ".join(terms)
        )

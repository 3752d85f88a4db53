"""JSON-LD for the ``eddsa-rdfc-2022`` cryptosuite: the vendored contexts, the guard against terms the
contexts do not define, and RDF Dataset Canonicalization (RDFC-1.0; pyld calls it ``URDNA2015``).

Pure functions: no Flask, no database, no network. JSON-LD contexts are served only from the copies
vendored in ``lms/credentials/contexts`` (see its README); any other context URL is an error.

Canonicalization silently drops every property (and every ``type``/``id`` value) that the contexts do
not define, so it would be signed as if absent while still being shown to people. Digital Bazaar's
verifier (jsonld.js "safe mode") rejects such credentials. :func:`undefined_terms` is the equivalent
guard on our side. Issuing many credentials of one programme is made fast by caches that never change
the output: processed contexts, the expansion and RDF of the programme's achievement, which fall back
to plain pyld whenever a document does not fit them (``tests/credentials/test_issuance_fast_paths.py``).
The signature itself (keys, proofs, verification) is in :mod:`lms.credentials.signing`.
"""
from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from frozendict import frozendict
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

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


class _SharedCache:
    """A bounded LRU cache that threads may share (cachetools' caches are not thread-safe)."""

    def __init__(self, maxsize: int) -> None:
        self._data: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            return self._data.get(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value

    def __iter__(self):
        with self._lock:
            return iter(list(self._data))


class ContextLoader:
    """A pyld document loader that serves a fixed set of JSON-LD contexts and nothing else.

    Each loader keeps its own cache of processed contexts, so it never shares pyld's global
    cache (where a loader elsewhere in the process could have put a different document for
    the same URL).
    """

    def __init__(self, contexts: Mapping[str, JsonObject]) -> None:
        self._contexts = {url: copy.deepcopy(doc) for url, doc in contexts.items()}
        self._cache: LRUCache = LRUCache(maxsize=64)
        # Active contexts this loader's contexts produced, for _Processor (see there).
        self._processed = _SharedCache(maxsize=1024)
        # Expanded node objects, for _TrackingProcessor (see there).
        self._expanded_subtrees = _SharedCache(maxsize=128)
        # Expanded JSON of a large embedded node -> its RDF triples, for _dataset_with_kept_parts.
        self._rdf_parts = _SharedCache(maxsize=32)
        # Proof configuration (JSON text) -> (undefined terms, SHA-256 of its canonical N-Quads):
        # an issuer signs with one key, and ``created`` only changes once a second.
        self._proof_configs = _SharedCache(maxsize=256)

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._contexts)

    def with_contexts(self, extra: Mapping[str, JsonObject]) -> ContextLoader:
        """A new loader that also serves ``extra`` (e.g. a test vector's example context)."""
        return ContextLoader({**self._contexts, **extra})

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> JsonObject:
        try:
            document = self._contexts[url]
        except KeyError:
            raise UnknownContext(url) from None
        # "tag: static" lets pyld cache the processed context, in this loader's own cache.
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document),
                "tag": "static"}

    def pyld_options(self) -> JsonObject:
        """Options for pyld's expand/normalize.

        ``base: None`` keeps relative IRIs relative, as jsonld.js does. pyld 3.x otherwise
        resolves them against its placeholder ``http://example.org/base/`` (``DEFAULT_BASE_IRI``),
        so an ``id`` such as ``"42"`` would be signed as ``<http://example.org/base/42>`` while
        other implementations drop it; kept relative, :func:`undefined_terms` can report it.
        """
        return {"documentLoader": self,
                "contextResolver": ContextResolver(self._cache, self),
                "base": None}


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
# Canonicalization and the undefined-term guard
# --------------------------------------------------------------------------------------------


class _Processor(jsonld.JsonLdProcessor):
    """pyld's JSON-LD processor, with a cache of processed contexts that actually hits.

    pyld caches a processed context per (context, active context), keyed by the active context's
    ``_uuid``. A type-scoped context (``Achievement``, ``Profile``… in Open Badges 3.0) is processed
    with ``propagate: false``, for which pyld first clones the active context, and the clone gets a
    fresh ``_uuid``: the cache never hits, and every node of every document processes its type's
    context again (most of the JSON-LD time when signing a credential). Here the result is cached
    by the ``_uuid`` of the active context *passed in*, which is stable: pyld's processed contexts
    are immutable (``frozendict``) and each gets its own ``_uuid`` once.

    Only results that are themselves frozen are cached, and only when the active context is
    frozen: pyld pre-validates scoped contexts against a context still under construction (it
    passes ``cycles`` then); those calls go straight to pyld. The cache lives in the loader, so
    two loaders serving different documents for one URL never share results.
    """

    def __init__(self, loader: ContextLoader, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._memo = loader._processed

    def _process_context(self, active_ctx: Any, local_ctx: Any, options: Any,
                         override_protected: bool = False, propagate: bool = True,
                         validate_scoped: bool = True, cycles: Any = None) -> Any:
        uid = active_ctx.get("_uuid") if isinstance(active_ctx, frozendict) else None
        ctx_key = _context_key(local_ctx) if uid is not None and cycles is None else None
        if ctx_key is None:
            return super()._process_context(active_ctx, local_ctx, options, override_protected,
                                            propagate, validate_scoped, cycles)
        key = (uid, ctx_key, override_protected, propagate, validate_scoped,
               options.get("base"), options.get("processingMode"))
        hit = self._memo.get(key)
        # An object keyed by id() is kept in the entry, so the id cannot be reused while cached;
        # ``is`` makes sure it is the same object.
        if hit is not None and (ctx_key[0] != "id" or hit[0] is local_ctx):
            return hit[1]
        result = super()._process_context(active_ctx, local_ctx, options, override_protected,
                                          propagate, validate_scoped, cycles)
        if isinstance(result, frozendict):
            self._memo[key] = (local_ctx, result)
        return result


def _context_key(local_ctx: Any) -> tuple | None:
    """A hashable key for a local context: URLs by value, objects by identity.

    An object here is either a scoped context held in one of pyld's term definitions (never
    modified once defined) or part of pyld's own deep copy of the input document (``expand``
    copies it first): nothing the caller can change after the fact. The copies of documents are
    new objects each time, so those entries simply never hit again.
    """
    if isinstance(local_ctx, str):
        return ("url", local_ctx)
    if isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
        return ("urls", tuple(local_ctx))
    if isinstance(local_ctx, (dict, frozendict, list)):
        return ("id", id(local_ctx))
    return None


def canonize(doc: JsonObject, *, loader: ContextLoader | None = None) -> str:
    """RDF Dataset Canonicalization (URDNA2015 = RDFC-1.0) of ``doc`` as N-Quads.

    pyld's ``normalize`` defaults to the older URGNA2012, so the algorithm is passed explicitly.
    """
    loader = loader or default_loader()
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", **loader.pyld_options()}
    try:
        return _Processor(loader).normalize(doc, options)
    except jsonld.JsonLdError as error:
        _raise_unknown_context(error)
        raise


def _canonize_expanded(expanded: Any, loader: ContextLoader, steps: Steps | None = None) -> str:
    """:func:`canonize` of a document, from its expanded form (as :func:`_checked_expansion` gives it).

    ``jsonld.normalize`` is ``to_rdf`` (expand, node map, RDF triples) then URDNA2015. Expanding an
    expanded document gives it back unchanged (no context is left in it; relative IRIs stay as they
    are, with ``base: None``), so this starts at the node map: the same dataset, the same N-Quads,
    without the second expansion, which costs more than the first (full IRIs everywhere). Same
    steps and options as pyld 3.x's ``to_rdf``/``normalize``; tests compare the two on credentials.
    The dataset may be assembled from a part kept from an earlier document (see
    :func:`_dataset_with_kept_parts`); pyld's URDNA2015 canonicalises it either way.
    With ``steps``, canonicalisation stops with :class:`TooComplex` once they are used up (see :class:`Steps`).
    """
    known_hashes: dict[str, str] = {}
    dataset = _dataset_with_kept_parts(expanded, loader, known_hashes, steps)
    if dataset is None:
        dataset = _dataset(expanded, loader, "_:b")
    return _URDNA2015(known_hashes, steps).main(dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"})


# --------------------------------------------------------------------------------------------
# Bounds on documents from anyone (RDFC-1.0, "Dataset Poisoning")
# --------------------------------------------------------------------------------------------

# What a document that is not our own record may contain before it is canonicalised. A credential of
# this centre is about 10 kB, 250 JSON values, 30 objects without an ``id`` and 6 levels deep.
LIMITS = {"bytes": 131_072, "values": 5_000, "depth": 16, "blank_nodes": 200}
# Steps of Hash N-Degree Quads (about 12 µs each): a document whose blank nodes all differ takes none;
# one built so that many blank nodes look alike (the algorithm is exponential in them) hits this quickly.
CANONICALISATION_STEPS = 5_000


class TooComplex(ValueError):
    """A document past one of :data:`LIMITS`, or whose canonicalisation needs more than its budget of steps.

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


class Steps:
    """A budget of canonicalisation steps, shared by every canonicalisation of one verification."""

    def __init__(self, budget: int = CANONICALISATION_STEPS) -> None:
        self.budget = self.left = budget

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooComplex("steps", self.budget)


class _StepCounter(IdentifierIssuer):
    """The canonical identifier issuer, counting the steps of Hash N-Degree Quads.

    RDFC-1.0 asks implementations to bound the work of that algorithm ("Dataset Poisoning"); pyld has no
    such option. Each permutation it tries, and each blank node it starts from, first asks the canonical
    issuer whether the node already has a canonical identifier (``has_id``, steps 5.4.4.1 and 5.2 of the
    algorithm in pyld 3.x): counting those calls counts the work, and past the budget it stops.
    ``tests/credentials/test_verification.py`` checks that a crafted document is stopped quickly.
    """

    def __init__(self, prefix: str, steps: Steps) -> None:
        super().__init__(prefix)
        self._steps = steps

    def has_id(self, old: str) -> bool:
        self._steps.take()
        return super().has_id(old)


class _URDNA2015(URDNA2015):
    """pyld's URDNA2015, told the first-degree hashes of the blank nodes of kept parts.

    A blank node's first-degree hash depends only on the quads that mention it (others blank nodes
    written ``_:z``); those of a kept part are all inside the part, so the hash pyld computed when
    the part was kept (see :func:`_kept_part`) is the one it would compute again.
    """

    def __init__(self, known_hashes: Mapping[str, str], steps: Steps | None = None) -> None:
        super().__init__()
        self._known_hashes = known_hashes
        if steps is not None:
            self.canonical_issuer = _StepCounter(self.canonical_issuer.prefix, steps)

    def hash_first_degree_quads(self, id_: str) -> str:
        known = self._known_hashes.get(id_)
        if known is None:
            return super().hash_first_degree_quads(id_)
        self.blank_node_info[id_]["hash"] = known
        return known


_RDF_OPTIONS = {"produceGeneralizedRdf": False, "processingMode": "json-ld-1.1", "rdfDirection": None}


def _dataset(expanded: Any, loader: ContextLoader, prefix: str) -> dict[str, list]:
    """pyld's ``to_rdf`` after its expansion: node map, then the RDF triples of each graph."""
    processor = _Processor(loader)
    issuer = IdentifierIssuer(prefix)
    node_map: JsonObject = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    return {name: processor._graph_to_rdf(graph, issuer, _RDF_OPTIONS)
            for name, graph in sorted(node_map.items())
            if name == "@default" or jsonld._is_absolute_iri(name)}


# A node object embedded in a document whose expanded JSON is at least this long is converted to
# RDF once and kept (the achievement of a programme: criteria, alignments…).
_KEPT_PART_MIN_JSON = 2000
# Keys after which the shortcut is not taken: graphs, reverse properties and included nodes relate
# nodes in ways that the checks below do not follow.
_WHOLE_DOCUMENT_KEYS = frozenset({"@graph", "@reverse", "@included"})


_KEPT_PART_NUMBERS = itertools.count()


class _NoShortcut(Exception):
    pass


def _dataset_with_kept_parts(expanded: Any, loader: ContextLoader, known_hashes: dict[str, str],
                             steps: Steps | None = None) -> dict[str, list] | None:
    """The RDF dataset of ``expanded``, with the triples of its large embedded nodes taken from the
    loader's cache, or None when the document does not lend itself to that.

    The RDF of a document is the union of the triples of its nodes. A large node object embedded
    with an IRI ``@id`` is replaced by a reference to that IRI; the triples of the rest, plus the
    node's own triples (computed once from the node alone, with blank nodes named ``_:s<n>x…``
    apart from the rest's ``_:b…``), are the document's triples up to the names of blank nodes, which
    URDNA2015 replaces anyway. That holds when no node outside the part shares an IRI with a node
    inside it (pyld would merge their properties; checked on the subjects of the triples), and no
    blank node is named in the document (a name could link the part and the rest). Otherwise, and
    for graphs, reverse properties and included nodes, the whole document is converted as usual.
    Tests compare the result with pyld on documents built to fall on either side of each check.
    The first-degree hashes of the parts' blank nodes are added to ``known_hashes``.
    """
    if not isinstance(expanded, list):
        return None
    parts: list[tuple[dict, str]] = []

    def without_parts(value: Any, depth: int) -> Any:
        if isinstance(value, list):
            return [without_parts(v, depth) for v in value]
        if not isinstance(value, dict):
            return value
        if "@value" in value:
            return value
        if _WHOLE_DOCUMENT_KEYS.intersection(value):
            raise _NoShortcut
        node_id = value.get("@id")
        if isinstance(node_id, str) and node_id.startswith("_:"):
            raise _NoShortcut
        types = value.get("@type", [])
        if any(isinstance(t, str) and t.startswith("_:") for t in (types if isinstance(types, list) else [types])):
            raise _NoShortcut
        if depth > 0 and isinstance(node_id, str) and _ABSOLUTE_IRI.match(node_id) and len(value) > 1 \
                and "@list" not in value and "@set" not in value:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            if len(text) >= _KEPT_PART_MIN_JSON:
                if '"_:' in text:
                    raise _NoShortcut
                parts.append((value, text))
                return {"@id": node_id}
        return {k: v if k in ("@id", "@type") else without_parts(v, depth + 1) for k, v in value.items()}

    try:
        rest = without_parts(expanded, 0)
    except _NoShortcut:
        return None
    if not parts or len({node["@id"] for node, _ in parts}) != len(parts):
        return None
    dataset = _dataset(rest, loader, "_:b")
    if set(dataset) != {"@default"}:
        return None
    triples = dataset["@default"]
    subjects = {t["subject"]["value"] for t in triples if t["subject"]["type"] == "IRI"}
    hashes: dict[str, str] = {}
    for node, text in parts:
        kept = loader._rdf_parts.get(text)
        if kept is None:
            kept = _kept_part(node, loader, steps)
            if kept is None:
                return None
            loader._rdf_parts[text] = kept
        part_triples, part_subjects, part_hashes = kept
        if subjects & part_subjects:
            return None
        subjects |= part_subjects
        hashes.update(part_hashes)
        # URDNA2015 renames blank nodes in place: each document gets its own copy of the triples.
        triples.extend(_copy_triple(t) for t in part_triples)
    known_hashes.update(hashes)
    return dataset


def _copy_triple(triple: JsonObject) -> JsonObject:
    return {k: dict(v) for k, v in triple.items()}


def _kept_part(node: JsonObject, loader: ContextLoader, steps: Steps | None = None) -> tuple | None:
    """The triples of an embedded node on its own, the IRIs of their subjects, and the
    first-degree hash of each blank node as pyld's URDNA2015 computes it. Each kept part names its
    blank nodes with a prefix of its own (``_:s<n>x…``): two parts of one document never share one."""
    part = _dataset([node], loader, f"_:s{next(_KEPT_PART_NUMBERS)}x")
    if set(part) != {"@default"}:
        return None
    triples = tuple(part["@default"])
    canon = _URDNA2015({}, steps)
    canon.main({"@default": [_copy_triple(t) for t in triples]}, {"format": "application/n-quads"})
    hashes = {label: info["hash"] for label, info in canon.blank_node_info.items() if "hash" in info}
    bnodes = {c["value"] for t in triples for k, c in t.items() if k != "predicate" and c["type"] == "blank node"}
    if set(hashes) != bnodes:
        return None
    subjects = frozenset(t["subject"]["value"] for t in triples if t["subject"]["type"] == "IRI")
    return triples, subjects, hashes


class _TrackingProcessor(_Processor):
    """JSON-LD expansion that records where a property was dropped.

    pyld (3.x) calls ``on_property_dropped`` with the expanded term only; to name the place in
    the document we keep a stack of the property names being expanded. ``_expand_object`` is
    internal to pyld (pinned to 3.x in pyproject.toml); tests cover this class.
    """

    def __init__(self, loader: ContextLoader) -> None:
        super().__init__(loader, on_property_dropped=self._dropped)
        self._path: list[str] = []
        self.dropped: list[str] = []
        self._subtrees = loader._expanded_subtrees

    def _expand(self, active_ctx: Any, active_property: str | None, element: Any, options: Any,
                inside_list: bool = False, inside_index: bool = False, type_scoped_ctx: Any = None) -> Any:
        """pyld's ``_expand``, remembering the expansion of large node objects.

        Every credential of a programme carries the same ``achievement`` (criteria, alignments…),
        most of the document. Expanding a node object depends only on the active context(s), the
        property, the flags and the object itself (pyld keeps no other state), so its expansion
        and the properties it drops are kept, keyed by the contexts' ``_uuid`` (see _Processor)
        and the object's JSON text, and handed out as copies.
        """
        key = _subtree_key(active_ctx, active_property, element, options, inside_list, inside_index,
                           type_scoped_ctx)
        if key is None:
            return super()._expand(active_ctx, active_property, element, options, inside_list,
                                   inside_index, type_scoped_ctx)
        prefix = "".join(f"{p}." for p in self._path)
        hit = self._subtrees.get(key)
        if hit is not None:
            expanded, dropped = hit
            self.dropped.extend(prefix + d for d in dropped)
            return _copy_json(expanded)
        start = len(self.dropped)
        result = super()._expand(active_ctx, active_property, element, options, inside_list,
                                 inside_index, type_scoped_ctx)
        dropped = self.dropped[start:]
        if all(d.startswith(prefix) for d in dropped):
            self._subtrees[key] = (_copy_json(result), tuple(d[len(prefix):] for d in dropped))
        return result

    def _expand_object(self, active_ctx: Any, active_property: str | None, *args: Any,
                       **kwargs: Any) -> Any:
        pushed = active_property is not None
        if pushed:
            self._path.append(active_property)
        try:
            return super()._expand_object(active_ctx, active_property, *args, **kwargs)
        finally:
            if pushed:
                self._path.pop()

    def _dropped(self, term: str | None) -> None:
        name = term if term is not None else "(a term the context maps to null)"
        self.dropped.append(".".join([*self._path, name]))


def _subtree_key(active_ctx: Any, active_property: str | None, element: Any, options: Any,
                 inside_list: bool, inside_index: bool, type_scoped_ctx: Any) -> tuple | None:
    """The key under which :class:`_TrackingProcessor` keeps an expansion, or None not to keep it:
    only node objects of some size below the top, expanded with contexts pyld has frozen."""
    if not isinstance(element, dict) or len(element) < 4 or active_property is None:
        return None
    if not isinstance(active_ctx, frozendict) or "_uuid" not in active_ctx:
        return None
    if type_scoped_ctx is None:
        scoped = None
    elif isinstance(type_scoped_ctx, frozendict) and "_uuid" in type_scoped_ctx:
        scoped = type_scoped_ctx["_uuid"]
    else:
        return None
    try:                                   # key order kept: the same text, the same object
        text = json.dumps(element, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return (active_ctx["_uuid"], scoped, active_property, inside_list, inside_index,
            options.get("base"), bool(options.get("isFrame")), bool(options.get("keepFreeFloatingNodes")),
            options.get("processingMode"), text)


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return copy.deepcopy(value)


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
    return _checked_expansion(doc, loader)[1]


def _checked_expansion(doc: JsonObject, loader: ContextLoader | None) -> tuple[Any, list[str]]:
    """The expanded document and what :func:`undefined_terms` reports, from one expansion."""
    loader = loader or default_loader()
    processor = _TrackingProcessor(loader)
    try:
        expanded = processor.expand(doc, loader.pyld_options())
    except jsonld.JsonLdError as error:
        _raise_unknown_context(error)
        raise
    return expanded, list(dict.fromkeys(processor.dropped + _relative_iris(expanded)))


class UndefinedTerms(ValueError):
    """The document uses terms its contexts do not define; it was not signed."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        super().__init__(
            "refusing to sign: these terms are not defined by the credential's JSON-LD contexts "
            "and would be left out of the signature: " + ", ".join(terms)
        )

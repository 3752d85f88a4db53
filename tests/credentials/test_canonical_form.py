"""Canonical form: ours (pyld's JSON-LD to RDF, pyoxigraph's RDFC-1.0, see lms/credentials/rdfc.py) is, byte for
byte, what pyld as shipped gives (``jsonld.normalize`` with URDNA2015), on the published test vectors, on
credentials shaped like ours and on documents built to need RDFC-1.0's n-degree step; and the bound on that step.
"""
from __future__ import annotations

import copy
import hashlib
import json
import random

import pyoxigraph as ox
import pytest
from pyld import jsonld

from lms.credentials import rdfc, signing
from tests.factories.vectors import (
    OB_CREDENTIAL,
    OB_DOC_CANON,
    OB_VM,
    W3C_CREDENTIAL,
    W3C_EXAMPLES_CONTEXT,
    ob_key,
    report_example_unsigned,
)


def _plain_normalize(doc: dict, loader: signing.ContextLoader) -> str:
    """pyld as shipped: nothing of ours in the way but the loader of vendored contexts."""
    return jsonld.normalize(copy.deepcopy(doc), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                                 **loader.pyld_options()})


def _documents() -> list[tuple[str, dict, signing.ContextLoader]]:
    loader = signing.ContextLoader(signing.vendored_contexts())
    w3c_loader = loader.with_contexts(W3C_EXAMPLES_CONTEXT)
    report = report_example_unsigned()
    report["credentialStatus"] = [report["credentialStatus"],
                                  {**report["credentialStatus"], "id": "https://certs.example.org/status/1#43",
                                   "statusPurpose": "suspension"}]
    proof_config = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-11-25T10:00:00Z",
                    "verificationMethod": OB_VM, "proofPurpose": "assertionMethod", "@context": OB_CREDENTIAL["@context"]}
    return [("1EdTech OB 3.0 vector", OB_CREDENTIAL, loader), ("W3C vc-di-eddsa vector", W3C_CREDENTIAL, w3c_loader),
            ("credentials.md example, both statuses", report, loader), ("proof configuration", proof_config, loader)]




@pytest.mark.parametrize(("name", "doc", "loader"), _documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_canonical_form_is_pyld_s(name, doc, loader):
    expanded, terms = signing.checked_expansion(doc, loader)
    assert terms == []
    canonical = signing.canonical_nquads(expanded)
    assert canonical == _plain_normalize(doc, loader) == signing.canonize(doc, loader=loader)
    if name.startswith("1EdTech"):
        assert canonical == OB_DOC_CANON


def _programme_credential(rnd: random.Random, achievement_id: str, alignments: int) -> dict:
    """A credential shaped like ours: a large achievement, and what changes from one holder to the next."""
    doc = report_example_unsigned()
    achievement = doc["credentialSubject"]["achievement"]
    achievement["id"] = achievement_id
    achievement["criteria"] = {"id": achievement_id, "narrative": "Requirements checked by the platform:\n" * 20}
    achievement["alignment"] = [
        {"type": ["Alignment"], "targetType": "ext:Competency", "targetCode": f"D{i}.1",
         "targetName": f"D{i}.1 competency {i} — Foundation", "targetFramework": "TTM framework v1",
         "targetUrl": f"https://lms.example.com/framework/D{i}.1"} for i in range(alignments)]
    salt = "".join(rnd.choice("0123456789abcdef") for _ in range(16))
    doc["id"] = f"https://lms.example.com/v/{salt}"
    doc["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
         "identityHash": "sha256$" + hashlib.sha256(salt.encode()).hexdigest(), "salt": salt},
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": rnd.choice(["刘洋", "张伟"])}]
    return doc


def _shortcut_edge_cases() -> list[tuple[str, dict]]:
    rnd = random.Random(3)
    cases = []
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["credentialSubject"]["achievement"]["alignment"].append(
        dict(doc["credentialSubject"]["achievement"]["alignment"][0]))                  # twin blank nodes
    cases.append(("identical alignments (URDNA2015's n-degree step)", doc))
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["credentialSubject"]["achievement"]["creator"] = {"id": doc["issuer"]["id"], "type": ["Profile"],
                                                          "name": "Another name for the issuer"}
    cases.append(("a node inside the part shares the issuer's IRI", doc))
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["issuer"]["id"] = doc["credentialSubject"]["achievement"]["id"]
    cases.append(("the part's own IRI is a subject outside it", doc))
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["credentialSubject"]["achievement"]["alignment"][0]["id"] = "_:named"
    doc["credentialSubject"]["identifier"][0]["id"] = "_:named"
    cases.append(("a blank node named in the part and outside it", doc))
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["issuer"]["description"] = "An issuer described at length. " * 60
    doc["issuer"]["otherIdentifier"] = [{"type": "IdentifierEntry", "identifier": f"ID-{i}", "identifierType": "sourcedId"}
                                        for i in range(3)]
    cases.append(("two large nodes, each with blank nodes", doc))
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["credentialSubject"] = [doc["credentialSubject"], {**copy.deepcopy(doc["credentialSubject"]), "id": "did:ex:2"}]
    cases.append(("the same large node twice", doc))
    doc = _programme_credential(rnd, "https://lms.example.com/programmes/x", 4)
    doc["@context"] = [*doc["@context"], {"ex": "https://example.org/ns#", "exRev": {"@reverse": "ex:about"},
                                          "exGraph": {"@id": "ex:graph", "@container": "@graph"}}]
    doc["credentialSubject"]["achievement"]["exRev"] = {"id": "https://example.org/page", "ex:title": "x"}
    doc["exGraph"] = {"id": "https://example.org/in-graph", "ex:title": "y"}
    cases.append(("reverse properties and a graph", doc))
    return cases




@pytest.mark.parametrize(("name", "doc"), _shortcut_edge_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_canonical_form_is_pyld_s_on_documents_of_other_shapes(name, doc):
    loader = signing.ContextLoader(signing.vendored_contexts())
    assert signing.canonize(doc, loader=loader) == _plain_normalize(doc, loader)


def test_the_canonical_form_of_credentials_shaped_like_ours_is_pyld_s():
    loader = signing.ContextLoader(signing.vendored_contexts())
    rnd = random.Random(11)
    for i in range(6):
        doc = _programme_credential(rnd, f"https://lms.example.com/programmes/p{i % 3}", alignments=3 + i % 3)
        assert signing.undefined_terms(doc, loader=loader) == []
        assert signing.canonize(doc, loader=loader) == _plain_normalize(doc, loader), i


def test_undefined_terms_are_named_where_they_are_even_when_the_name_is_defined_elsewhere():
    credential = report_example_unsigned()
    achievement = credential["credentialSubject"]["achievement"]
    achievement["alignment"][1]["eqfLevelX"] = 6
    achievement["criteria"]["passMarkX"] = "70%"
    credential["credentialSubject"]["gradeX"] = 1
    credential["achievementType"] = "Certification"          # defined inside an Achievement only
    achievement["achievementType"] = "Certification"
    before = json.dumps(credential)
    assert signing.undefined_terms(credential) == [
        "achievementType", "credentialSubject.achievement.alignment.eqfLevelX",
        "credentialSubject.achievement.criteria.passMarkX", "credentialSubject.gradeX"]
    assert json.dumps(credential) == before                   # the document is left as it was


def test_the_proof_configuration_follows_created_and_key():
    doc = report_example_unsigned()
    key, other = ob_key(), signing.generate_key()
    other_vm = "did:web:certs.example.org#key-2"
    signed = [signing.sign(doc, k, vm, created)
              for k, vm, created in ((key, OB_VM, "2026-01-15T09:00:00Z"), (key, OB_VM, "2026-01-15T09:00:01Z"),
                                     (other, other_vm, "2026-01-15T09:00:00Z"), (key, OB_VM, "2026-01-15T09:00:00Z"))]
    assert len({signing.the_proof(s)["proofValue"] for s in signed}) == 3 and signed[0] == signed[3]
    for s, k, vm in zip(signed, (key, key, other, key), (OB_VM, OB_VM, other_vm, OB_VM), strict=True):
        assert signing.verify(s, lambda m, vm=vm, k=k: k.public_key() if m == vm else None).ok


# --------------------------------------------------------------------------------------------- the bound


def _quads(edges) -> list[ox.Quad]:
    return [ox.Quad(ox.BlankNode(a), ox.NamedNode(f"https://example.org/p{p}"), ox.BlankNode(b)) for a, p, b in edges]


def _cliques(n: int, count: int = 1, predicates: int = 1) -> list[ox.Quad]:
    """``count`` groups of ``n`` blank nodes, each linked to every other of its group: they all look alike."""
    return _quads((f"c{c}n{i}", p, f"c{c}n{j}") for c in range(count) for i in range(n) for j in range(n) if i != j
                  for p in range(predicates))


@pytest.mark.parametrize(("name", "quads", "refused"), [
    ("4 alike, all linked", _cliques(4), False),
    ("100 pairs of twins", _cliques(2, count=100), False),
    ("a node with 8 identical children", _quads(("hub", 0, f"leaf{i}") for i in range(8)), False),
    ("5 alike, all linked", _cliques(5), True),
    ("4 alike linked by 60 quads", _cliques(4, predicates=5), True),
    ("60 groups of 3", _cliques(3, count=60), True),
    ("a ring of 200", _quads((f"r{i}", 0, f"r{(i + 1) % 200}") for i in range(200)), True),
    ("two alike nodes with 9 identical children each", _quads((f"h{h}", 0, f"h{h}l{i}") for h in (0, 1) for i in range(9)),
     True),
], ids=lambda v: v if isinstance(v, str) else "")
def test_canonicalisation_work_is_bounded(name, quads, refused):
    """RDFC-1.0's n-degree step is exponential in linked blank nodes that look alike; past the estimated budget a
    document is not canonicalised (the last one takes about 9 s, a ring of 200 about 1 s, the others a few ms)."""
    assert (rdfc.canonicalisation_steps(quads) > signing.CANONICALISATION_STEPS) == refused


def test_twin_blank_nodes_within_the_bound_are_canonicalised_as_pyld_does():
    doc = _shortcut_edge_cases()[0][1]                                # two identical alignments
    loader = signing.ContextLoader(signing.vendored_contexts())
    assert signing.canonize(doc, loader=loader) == _plain_normalize(doc, loader)


def test_an_issued_credential_is_signed_as_plain_pyld_would(app, loaded):
    from sqlalchemy import select

    from lms.credentials import keys
    from lms.credentials import services as svc
    from lms.credentials.models import Credential, Programme
    from lms.extensions import db
    from tests.factories import make_user
    keys.create_key()
    holder = make_user(("trainee",), name_zh="刘洋", name_latin="Liu Yang")
    cred = Credential(holder=holder, programme=db.session.scalar(select(Programme).where(Programme.key == "expert")),
                      state="pending")
    db.session.add(cred)
    db.session.flush()
    svc.issue(cred)
    signed = json.loads(cred.signed_json)
    assert signed["credentialSubject"]["achievement"]["alignment"]       # the large part, with its blank nodes
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    proof = signing.the_proof(signed)
    loader = signing.ContextLoader(signing.vendored_contexts())
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    expected = (hashlib.sha256(_plain_normalize({**options, "@context": unsecured["@context"]}, loader).encode()).digest()
                + hashlib.sha256(_plain_normalize(unsecured, loader).encode()).digest())
    kid, key = keys.active_key()
    assert signing._proof_value_bytes(proof["proofValue"])[0] == key.sign(expected)
    assert signing.verify(signed, keys.resolve).ok




def test_expansions_in_parallel_threads_all_succeed():
    """pyld's cache of processed scoped contexts is not thread-safe (an OrderedDict mutated during iteration, a
    KeyError in its LRU eviction): without rdfc's lock, eight threads expanding at once fail now and then."""
    import threading

    from tests.factories.vectors import OB_CREDENTIAL
    errors: list[str] = []

    def work():
        for i in range(40):
            doc = copy.deepcopy(OB_CREDENTIAL)
            doc["name"] = f"Credential {i}"
            try:
                rdfc.checked_expansion(doc)
            except Exception as exc:    # noqa: BLE001 - any failure is the finding
                errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

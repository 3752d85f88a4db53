"""The shortcuts that make issuance fast (issue #5) give exactly what the plain libraries give.

* Signing: pyld's processed contexts are cached (also for type-scoped contexts), the guard's expansion is
  canonicalised without expanding it again, and the proof configuration's hash is cached per configuration.
  Each is compared here with pyld as shipped (``jsonld.expand`` / ``jsonld.normalize``, URDNA2015).
* The PDF: the QR code's mask is chosen without building the code nine times (the same modules as
  reportlab's ``QRCode.make()``), the font subsets are cut from a view of the font file (the same bytes as
  reportlab's copy), and the credential is attached by reportlab itself (an /EmbeddedFiles entry that pypdf
  and poppler read).
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import random
import shutil
import string
import subprocess

import pytest
from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pypdf import PdfReader
from reportlab.graphics.barcode import qrencoder

from lms.credentials import pdf, rdfc, signing
from tests.factories.vectors import (
    OB_CREDENTIAL,
    OB_DOC_CANON,
    OB_PROOF_CANON,
    OB_VM,
    W3C_CREDENTIAL,
    W3C_EXAMPLES_CONTEXT,
    ob_key,
    report_example_unsigned,
)

# --------------------------------------------------------------------------------------------- signing


def _plain_options(loader: signing.ContextLoader) -> dict:
    """pyld as shipped, with its own empty caches: nothing of ours in the way."""
    return {"documentLoader": loader, "contextResolver": ContextResolver(LRUCache(maxsize=64), loader), "base": None}


def _plain_normalize(doc: dict, loader: signing.ContextLoader) -> str:
    return jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads", **_plain_options(loader)})


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
def test_the_guard_expansion_canonicalises_to_pyld_normalize(name, doc, loader):
    expanded, terms = signing._checked_expansion(doc, loader)
    assert terms == []
    # why the second expansion that jsonld.normalize would make can be skipped: it changes nothing
    assert jsonld.expand(copy.deepcopy(expanded), _plain_options(loader)) == expanded
    assert jsonld.expand(copy.deepcopy(doc), _plain_options(loader)) == expanded
    canonical = signing._canonize_expanded(expanded, loader)
    assert canonical == _plain_normalize(doc, loader) == signing.canonize(doc, loader=loader)
    if name.startswith("1EdTech"):
        assert canonical == OB_DOC_CANON


def test_cached_contexts_are_reused_across_documents_and_expand_the_same(monkeypatch):
    loader = signing.ContextLoader(signing.vendored_contexts())
    calls = []
    real = jsonld.JsonLdProcessor._process_context
    monkeypatch.setattr(jsonld.JsonLdProcessor, "_process_context",
                        lambda self, *a, **kw: calls.append(1) or real(self, *a, **kw))
    first = report_example_unsigned()
    assert rdfc._Processor(loader).expand(first, loader.pyld_options()) == \
        jsonld.expand(copy.deepcopy(first), _plain_options(loader))
    assert calls                                   # contexts processed once, by pyld itself
    calls.clear()
    second = report_example_unsigned()
    second["credentialSubject"]["achievement"]["name"] = "Another achievement"
    second["issuer"]["name"] = "Another issuer"
    expanded = rdfc._Processor(loader).expand(second, loader.pyld_options())
    assert calls == []                             # every context of a document of the same shape: from the cache
    assert expanded == jsonld.expand(copy.deepcopy(second), _plain_options(loader))


def test_a_context_object_is_cached_by_identity_not_by_a_reused_id():
    loader = signing.ContextLoader(signing.vendored_contexts())
    initial = rdfc._Processor(loader)._get_initial_context({"processingMode": "json-ld-1.1"})
    for term in ("first", "second", "third"):      # new objects, often at the address of the previous one
        local = {"@vocab": f"https://example.org/{term}#"}
        ctx = rdfc._Processor(loader)._process_context(initial, local, loader.pyld_options())
        assert ctx["@vocab"] == f"https://example.org/{term}#"


def test_a_kept_expansion_gives_the_same_expansion_and_the_same_report(monkeypatch):
    loader = signing.ContextLoader(signing.vendored_contexts())
    credential = report_example_unsigned()
    achievement = credential["credentialSubject"]["achievement"]
    achievement["alignment"][1]["eqfLevelX"] = 6                       # undefined, inside the kept object
    achievement["criteria"]["passMarkX"] = "70%"
    credential["credentialSubject"]["gradeX"] = 1                       # undefined, outside it
    plain = jsonld.expand(copy.deepcopy(credential), _plain_options(loader))
    first = signing._checked_expansion(credential, loader)
    assert any(key[2] == "achievement" for key in loader._expanded_subtrees)
    subject = first[0][0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
    for value in subject.values():                                      # changing what was handed out…
        if isinstance(value, list):
            value.clear()                                               # …changes nothing that was kept
    calls = []
    real = jsonld.JsonLdProcessor._expand_object
    monkeypatch.setattr(jsonld.JsonLdProcessor, "_expand_object",
                        lambda self, ctx, prop, *a, **kw: calls.append(prop) or real(self, ctx, prop, *a, **kw))
    second = signing._checked_expansion(copy.deepcopy(credential), loader)
    assert "achievement" not in calls and "alignment" not in calls      # the achievement came from the cache
    assert second[0] == plain
    assert second[1] == ["credentialSubject.achievement.alignment.eqfLevelX",
                         "credentialSubject.achievement.criteria.passMarkX", "credentialSubject.gradeX"]
    assert signing.undefined_terms(credential, loader=signing.ContextLoader(signing.vendored_contexts())) == second[1]
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["name"] = "Another name"  # another object: expanded again
    assert signing._checked_expansion(changed, loader)[0] == jsonld.expand(changed, _plain_options(loader))


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


def test_canonical_form_with_a_kept_part_is_pyld_s():
    loader = signing.ContextLoader(signing.vendored_contexts())
    rnd = random.Random(11)
    for i in range(12):
        doc = _programme_credential(rnd, f"https://lms.example.com/programmes/p{i % 3}", alignments=3 + i % 3)
        expanded, terms = signing._checked_expansion(doc, loader)
        assert terms == []
        known: dict = {}
        assert rdfc._dataset_with_kept_parts(expanded, loader, known) is not None  # the shortcut is taken
        assert len(known) == 3 + i % 3                     # the alignments: first-degree hashes kept
        assert signing._canonize_expanded(expanded, loader) == _plain_normalize(doc, loader), i
    assert len(list(loader._rdf_parts)) == 3                                            # one part per programme


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
def test_canonical_form_is_pyld_s_on_either_side_of_the_shortcut_s_checks(name, doc):
    loader = signing.ContextLoader(signing.vendored_contexts())
    expanded = signing._checked_expansion(doc, loader)[0]
    expected = _plain_normalize(doc, loader)
    for _ in range(2):                                                  # without, then with a kept part
        assert signing._canonize_expanded(copy.deepcopy(expanded), loader) == expected


def test_the_proof_configuration_cache_follows_created_key_and_loader():
    doc = report_example_unsigned()
    key, other = ob_key(), signing.generate_key()
    other_vm = "did:web:certs.example.org#key-2"
    fresh = lambda: signing.ContextLoader(signing.vendored_contexts())  # noqa: E731
    loader = fresh()
    signed = [signing.sign(doc, k, vm, created, loader=loader)
              for k, vm, created in ((key, OB_VM, "2026-01-15T09:00:00Z"), (key, OB_VM, "2026-01-15T09:00:01Z"),
                                     (other, other_vm, "2026-01-15T09:00:00Z"), (key, OB_VM, "2026-01-15T09:00:00Z"))]
    assert len({s["proof"]["proofValue"] for s in signed}) == 3 and signed[0] == signed[3]
    for s, k, vm in zip(signed, (key, key, other, key), (OB_VM, OB_VM, other_vm, OB_VM), strict=True):
        # the same signature as signing with nothing cached, and it verifies
        assert s == signing.sign(doc, k, vm, s["proof"]["created"], loader=fresh())
        assert signing.verify(s, lambda m, vm=vm, k=k: k.public_key() if m == vm else None).ok
    config = {k: v for k, v in signed[1]["proof"].items() if k != "proofValue"}
    assert signing._proof_config_hash({**config, "@context": doc["@context"]}, loader)[1] == \
        hashlib.sha256(_plain_normalize({**config, "@context": doc["@context"]}, fresh()).encode()).digest()
    assert _plain_normalize({**{k: v for k, v in signed[0]["proof"].items() if k != "proofValue"},
                             "created": "2010-01-01T19:23:24Z", "verificationMethod": OB_VM,
                             "@context": doc["@context"]}, fresh()) == OB_PROOF_CANON


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
    proof = signed["proof"]
    loader = signing.ContextLoader(signing.vendored_contexts())
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    expected = (hashlib.sha256(_plain_normalize({**options, "@context": unsecured["@context"]}, loader).encode()).digest()
                + hashlib.sha256(_plain_normalize(unsecured, loader).encode()).digest())
    kid, key = keys.active_key()
    assert signing._proof_value_bytes(proof["proofValue"])[0] == key.sign(expected)
    assert signing.verify(signed, keys.resolve).ok


# --------------------------------------------------------------------------------------------- the PDF


def _qr_texts() -> list[str]:
    rnd = random.Random(5)
    hexid = lambda: "".join(rnd.choice("0123456789abcdef") for _ in range(32))  # noqa: E731
    texts = [f"http://lms.example.com/v/{hexid()}" for _ in range(40)]
    texts += [f"https://certificates.example.org/v/{hexid()}" for _ in range(40)]
    texts += ["".join(rnd.choice(string.printable) for _ in range(rnd.randint(1, 160))) for _ in range(30)]
    texts += ["".join(rnd.choice("AB12 $%*+-./:") for _ in range(rnd.randint(1, 320))) for _ in range(30)]
    texts += ["".join(rnd.choice(string.digits) for _ in range(rnd.randint(1, 700))) for _ in range(10)]
    return texts


def test_the_qr_code_is_reportlab_s_with_the_same_mask():
    versions = set()
    for text in _qr_texts():
        qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        qr.addData(text)
        qr.make()
        versions.add(qr.version)
        assert pdf._qr_modules(text) == [[bool(m) for m in row] for row in qr.modules], text
    assert {1, 4, 7, 10} <= versions               # small codes, ours (version 4), version information, 2+ blocks


def test_font_subsets_cut_from_the_shared_view_are_reportlab_s():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    try:
        regular, _bold = pdf._font_files()
    except pdf.FontMissing:
        pytest.skip("the CJK font is not installed")
    pdf._register_fonts()
    shared = pdfmetrics.getFont("CJK").face
    assert shared.get_table.__name__ == "get_table_shared"
    plain = TTFont("plain-for-test", str(regular)).face
    subset = [ord(ch) for ch in "证书 CERTIFICATE 张伟 刘洋 技术经理人（初级）2026-11-25 · Ææ"]
    assert shared.makeSubset(subset) == plain.makeSubset(subset)
    assert shared.get_table("head") == plain.get_table("head")


def _render_data(signed_json: str) -> dict:
    return {"name_zh": "刘洋", "name_latin": "Liu Yang", "title_en": "Technology Transfer Manager — Foundation",
            "title_zh": "技术经理人（初级）", "level": "F", "issued": "2026-11-25", "valid_until": "2029-11-25",
            "credential_id": "0123456789abcdef0123456789abcdef", "issuer_did": "did:web:lms.example.com",
            "issuer_name": "TTM Academy", "verify_url": "http://lms.example.com/v/0123456789abcdef0123456789abcdef",
            "linkedin_short": "http://lms.example.com/v/0123456789abcdef0123456789abcdef/linkedin",
            "linkedin_url": "https://www.linkedin.com/profile/add?name=x",
            "competencies": [("D1.1", "Policy and law", "科技成果转化政策法规"), ("D1.2", "Ecosystem", "创新生态与主体分析")],
            "signed_json": signed_json}


def test_the_pdf_attaches_the_credential_in_the_embedded_files_name_tree(tmp_path):
    try:
        pdf._font_files()
    except pdf.FontMissing:
        pytest.skip("the CJK font is not installed")
    signed_json = json.dumps({**OB_CREDENTIAL, "name": "徽章 badge"}, ensure_ascii=False, indent=2)
    data = _render_data(signed_json)
    first = pdf.render(data)
    assert first == pdf.render(data)                                       # deterministic
    reader = PdfReader(io.BytesIO(first))
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == pdf.ATTACHMENT and len(names) == 2
    filespec = names[1].get_object()
    assert filespec["/Type"] == "/Filespec" and filespec["/F"] == pdf.ATTACHMENT
    assert filespec["/EF"]["/F"].get_object()["/Type"] == "/EmbeddedFile"
    assert reader.attachments == {pdf.ATTACHMENT: [signed_json.encode("utf-8")]}
    assert pdf.attached_credential(first) == json.loads(signed_json)
    ident = hashlib.md5(data["credential_id"].encode() + signed_json.encode(), usedforsecurity=False).digest()
    assert [bytes(i.original_bytes) for i in reader.trailer["/ID"]] == [ident, ident]
    assert reader.pages[0]["/Contents"].get_object()["/Filter"] == ["/FlateDecode"]  # no ASCII85 layer
    other = pdf.render({**data, "signed_json": signed_json.replace("徽章", "奖章")})
    assert pdf.attached_credential(other)["name"] == "奖章 badge"
    if shutil.which("pdfdetach"):
        (tmp_path / "c.pdf").write_bytes(first)
        listed = subprocess.run(["pdfdetach", "-list", str(tmp_path / "c.pdf")], capture_output=True, text=True).stdout
        assert pdf.ATTACHMENT in listed
        subprocess.run(["pdfdetach", "-save", "1", "-o", str(tmp_path / "out.json"), str(tmp_path / "c.pdf")],
                       check=True, capture_output=True)
        assert (tmp_path / "out.json").read_text(encoding="utf-8") == signed_json

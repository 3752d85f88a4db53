"""Published test vectors of eddsa-rdfc-2022 (1EdTech's Open Badges 3.0 example, W3C's Data Integrity
example, the report's example) and the helpers that use them."""
from __future__ import annotations

import copy

from lms.credentials import signing

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


def report_example_unsigned() -> dict:
    return {k: v for k, v in copy.deepcopy(REPORT_EXAMPLE).items() if k != "proof"}

"""Partner credentials as credit: the check against the registry (each refusal), rule matching, an administrator's
confirmation, refusal and withdrawal, and the exemption eligibility then uses."""
import json

import pytest
from sqlalchemy import select

from lms.catalog.models import Course
from lms.credentials import eligibility, keys, signing
from lms.credentials import services as credentials
from lms.credentials.models import Programme
from lms.extensions import db
from lms.frameworks.models import Evidence
from lms.recognition import checking, registry
from lms.recognition import services as svc
from lms.recognition.models import RequestState
from tests.factories import make_user
from tests.factories import partners as pf
from tests.factories.achievements import practitioner_request
from tests.factories.content import F1


@pytest.fixture
def setup(app, loaded):
    admin = make_user(("admin",), "admin@example.com")
    trainee = make_user(("trainee",), "t@example.com")
    key = signing.generate_key()
    jwt_key = pf.jwk_key("EC")
    partner = pf.register_partner(admin, key, jwt_key=jwt_key, rules=(
        ("achievement_id", pf.ACHIEVEMENT, "course", F1, None),
        ("alignment", "LIC", "competency", "D1.1", "F")))
    db.session.commit()
    return {"admin": admin, "trainee": trainee, "key": key, "jwt_key": jwt_key, "partner": partner}


def _raw(doc) -> bytes:
    return json.dumps(doc).encode()


def test_a_registered_partners_credential_is_checked_and_waits_for_an_administrator(setup):
    req = svc.submit(setup["trainee"], _raw(pf.signed(pf.credential(), setup["key"])))
    assert req.state == RequestState.PENDING and req.refusal is None
    assert req.facts["proof"] == "eddsa-rdfc-2022" and req.facts["method"] == pf.METHOD
    assert req.facts["status"] == "none"
    assert req.facts["achievement"]["id"] == pf.ACHIEVEMENT
    assert {g["kind"] for g in svc.would_grant(req)} == {"course", "competency"}
    titles = {g["kind"]: g["title"] for g in svc.would_grant(req)}        # shown to the administrator by title
    assert titles["course"]["en"].startswith("F1 ") and titles["competency"]["en"].startswith("D1.1 ")


def test_the_hashed_e_mail_address_is_compared_with_the_account(setup):
    import hashlib
    doc = pf.credential()
    salted = "sha256$" + hashlib.sha256(b"t@example.com" + b"pepper").hexdigest()
    doc["credentialSubject"]["identifier"].append({"type": "IdentityObject", "identityType": "emailAddress",
                                                   "hashed": True, "identityHash": salted, "salt": "pepper"})
    assert svc.submit(setup["trainee"], _raw(pf.signed(doc, setup["key"]))).facts["email_matches"] is True
    other = make_user(("trainee",), "other@example.com")
    assert svc.submit(other, _raw(pf.signed(doc, setup["key"]))).facts["email_matches"] is False
    assert svc.submit(other, _raw(pf.signed(pf.credential(), setup["key"]))).facts["email_matches"] is None


def test_a_vc_jwt_signed_with_es256_is_accepted(setup):
    token = pf.vc_jwt(pf.credential(), setup["jwt_key"])
    req = svc.submit(setup["trainee"], token.encode())
    assert req.state == RequestState.PENDING, req.refusal
    assert req.facts["format"] == "jwt" and req.facts["proof"] == "ES256"


def test_a_vc_jwt_signed_with_rs256_is_accepted(setup):
    rsa = pf.jwk_key("RSA")
    registry.add_key(setup["admin"], setup["partner"], f"{pf.PARTNER_DID}#rsa", pf.public_jwk(rsa))
    req = svc.submit(setup["trainee"], pf.vc_jwt(pf.credential(), rsa, kid=f"{pf.PARTNER_DID}#rsa", alg="RS256").encode())
    assert req.state == RequestState.PENDING and req.facts["proof"] == "RS256"


def test_a_vc_jwt_whose_iss_is_not_its_issuer_is_refused(setup):
    from joserfc import jwt
    doc = pf.credential()
    token = jwt.encode({"alg": "ES256", "kid": f"{pf.PARTNER_DID}#jwt-1"}, {**doc, "iss": "did:web:else.example"},
                       setup["jwt_key"])
    assert svc.submit(setup["trainee"], token.encode()).refusal == "bad_signature"


def test_a_vc_jwt_signed_by_an_unregistered_key_is_refused(setup):
    token = pf.vc_jwt(pf.credential(), pf.jwk_key("EC"))
    assert svc.submit(setup["trainee"], token.encode()).refusal == "bad_signature"


def test_a_pdf_with_the_credential_embedded_is_read(setup):
    import io

    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("credential.json", _raw(pf.signed(pf.credential(), setup["key"])))
    buffer = io.BytesIO()
    writer.write(buffer)
    req = svc.submit(setup["trainee"], buffer.getvalue())
    assert req.state == RequestState.PENDING and req.facts["format"] == "pdf"


@pytest.mark.parametrize("case,expected", [
    ("garbage", "unreadable"),
    ("jwt_of_a_list", "unreadable"),
    ("unknown_issuer", "unknown_issuer"),
    ("tampered", "bad_signature"),
    ("other_key", "bad_signature"),
    ("expired", "expired"),
    ("not_yet_valid", "not_yet_valid"),
    ("no_rule", "no_rule"),
])
def test_each_refusal_reason(setup, case, expected):
    key = setup["key"]
    if case == "garbage":
        raw = b"not a credential"
    elif case == "jwt_of_a_list":
        from joserfc import jws
        raw = jws.serialize_compact({"alg": "ES256"}, b"[1, 2]", setup["jwt_key"]).encode()
    elif case == "unknown_issuer":
        raw = _raw(pf.signed(pf.credential(issuer="did:web:stranger.example.com"), key,
                             "did:web:stranger.example.com#key-1"))
    elif case == "tampered":
        doc = pf.signed(pf.credential(), key)
        doc["credentialSubject"]["achievement"]["name"] = "Something grander"
        raw = _raw(doc)
    elif case == "other_key":
        raw = _raw(pf.signed(pf.credential(), signing.generate_key()))
    elif case == "expired":
        doc = pf.credential()
        doc["validUntil"] = "2020-01-01T00:00:00Z"
        raw = _raw(pf.signed(doc, key))
    elif case == "not_yet_valid":
        doc = pf.credential()
        doc["validFrom"] = "2099-01-01T00:00:00Z"
        raw = _raw(pf.signed(doc, key))
    else:
        doc = pf.credential(achievement="https://partner.example.org/achievements/other")
        doc["credentialSubject"]["achievement"]["alignment"] = []
        raw = _raw(pf.signed(doc, key))
    req = svc.submit(setup["trainee"], raw)
    assert req.state == RequestState.REFUSED_CHECK and req.refusal == expected
    assert req.document is None and req.grants == []


def test_a_credential_counts_once_whoever_submits_it(setup):
    raw = _raw(pf.signed(pf.credential(), setup["key"]))
    first = svc.submit(setup["trainee"], raw)
    assert first.state == RequestState.PENDING
    assert svc.submit(setup["trainee"], raw).refusal == "already_submitted"
    assert svc.submit(make_user(("trainee",), "x@example.com"), raw).refusal == "already_submitted"
    svc.refuse(setup["admin"], first, "Not yours.")
    assert svc.submit(setup["trainee"], raw).state == RequestState.PENDING      # refused: may be sent again


def test_a_revoked_credential_is_refused_when_the_status_list_is_given_and_later_from_the_cache(setup):
    key = setup["key"]
    doc = pf.signed(pf.credential(status_index=42), key)
    revoked_list = _raw(pf.status_list(key, revoked=(42,)))
    req = svc.submit(setup["trainee"], _raw(doc), revoked_list)
    assert req.refusal == "revoked" and req.facts["status_list_given"] is True
    again = svc.submit(setup["trainee"], _raw(doc))            # the list checked before is kept
    assert again.refusal == "revoked"


def test_a_suspended_credential_is_refused_and_a_clear_bit_checks(setup):
    key = setup["key"]
    suspended = pf.signed(pf.credential(status_index=9, purpose="suspension"), key)
    req = svc.submit(setup["trainee"], _raw(suspended), _raw(pf.status_list(key, revoked=(9,), purpose="suspension")))
    assert req.refusal == "suspended"
    clear = pf.signed(pf.credential(status_index=10, purpose="suspension"), key)
    req = svc.submit(setup["trainee"], _raw(clear))
    assert req.state == RequestState.PENDING and req.facts["status"] == "ok"


def test_a_credential_past_the_canonicalisation_bounds_is_refused_unchecked(setup):
    doc = pf.credential()
    doc["credentialSubject"]["achievement"]["description"] = "x" * 200_000
    doc["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod",
                    "verificationMethod": pf.METHOD, "proofValue": "z1111"}
    assert svc.submit(setup["trainee"], _raw(doc)).refusal == "too_complex"


def test_an_unknown_status_is_not_checked_rather_than_valid(setup):
    req = svc.submit(setup["trainee"], _raw(pf.signed(pf.credential(status_index=7), setup["key"])))
    assert req.state == RequestState.PENDING and req.facts["status"] == "not_checked"


def test_a_status_list_signed_by_another_key_is_not_used(setup):
    doc = pf.signed(pf.credential(status_index=42), setup["key"])
    forged = _raw(pf.status_list(signing.generate_key(), revoked=()))
    req = svc.submit(setup["trainee"], _raw(doc), forged)
    assert req.facts["status_list_given"] is False and req.facts["status"] == "not_checked"


def test_a_gzip_bomb_as_status_list_is_refused_without_expanding_it():
    import base64
    import gzip
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(50_000_000))).rstrip(b"=").decode()
    with pytest.raises(ValueError):
        checking.bits_of(bomb)


def test_rules_match_by_id_type_and_alignment_and_end_on_their_date(setup):
    from datetime import date
    partner = setup["partner"]
    achievement = checking.achievement_facts(pf.credential())
    assert {r.grant_kind.value for r in checking.matching_rules(partner, achievement)} == {"course", "competency"}
    registry.add_rule(setup["admin"], partner, "achievement_type", "Course", "exam", f"{F1}/final-exam", None,
                      date(2020, 1, 1))
    assert "exam" not in {r.grant_kind.value for r in checking.matching_rules(partner, achievement)}
    assert "exam" in {r.grant_kind.value for r in checking.matching_rules(partner, achievement, on=date(2019, 6, 1))}
    assert checking.matching_rules(partner, {"id": "x", "type": "Degree", "alignments": ["LIC"]})[0].target == "D1.1"


def test_confirmation_grants_the_exemption_and_the_evidence_and_withdrawal_takes_them_back(setup):
    trainee, admin = setup["trainee"], setup["admin"]
    foundation = db.session.scalar(select(Programme).where(Programme.key == "foundation"))
    course_req = next(r for r in eligibility.evaluate(trainee, foundation) if r.kind == "course")
    assert not course_req.met
    req = svc.submit(trainee, _raw(pf.signed(pf.credential(), setup["key"])))
    svc.confirm(admin, req)
    db.session.commit()
    reqs = {r.kind: r for r in eligibility.evaluate(trainee, foundation)}
    course_req = reqs["course"]
    assert course_req.met and course_req.state == "recognised"
    f1_hours = db.session.scalar(select(Course.hours).where(Course.slug == F1))
    assert reqs["hours"].value == f1_hours and reqs["hours"].met     # the exempted course's hours are credited too
    assert course_req.recognised["partner"] == {"en": "Partner Body", "zh": "合作机构"}
    assert course_req.recognised["achievement"] == "Licensing Fundamentals"
    rows = list(db.session.scalars(select(Evidence).where(Evidence.user_id == trainee.id)))
    assert [(r.source, r.level, r.fraction) for r in rows] == [("recognised", "F", 1.0)]
    entries = svc.evidence_entries(trainee)
    assert entries[0]["type"] == ["Evidence"] and "Partner Body" in entries[0]["name"]
    from lms import signals
    assert signals.answers(signals.credential_evidence, trainee) == [entries]
    assert svc.evidence_entries(trainee, "zh")[0]["name"] == "承认合作机构的Licensing Fundamentals"
    # the holder's credential issued afterwards says so in its evidence
    keys.create_key()
    cred = credentials.issue(practitioner_request(trainee, [], []), admin)
    assert entries[0] in json.loads(cred.signed_json)["evidence"]

    svc.withdraw(admin, req, "The partner withdrew the course's accreditation.")
    db.session.commit()
    assert not next(r for r in eligibility.evaluate(trainee, foundation) if r.kind == "course").met
    rows = list(db.session.scalars(select(Evidence).where(Evidence.user_id == trainee.id).order_by(Evidence.id)))
    assert [r.fraction for r in rows] == [1.0, 0.0] and rows[0].reference == rows[1].reference
    assert svc.evidence_entries(trainee) == []


def test_refusal_needs_a_reason_and_grants_nothing(setup):
    trainee = setup["trainee"]
    req = svc.submit(trainee, _raw(pf.signed(pf.credential(), setup["key"])))
    with pytest.raises(svc.RecognitionError):
        svc.refuse(setup["admin"], req, "  ")
    svc.refuse(setup["admin"], req, "The name does not match your account.")
    assert req.state == RequestState.REFUSED and req.grants == []
    assert svc.exemptions(trainee) == []
    with pytest.raises(svc.RecognitionError):
        svc.confirm(setup["admin"], req)


def test_a_trainee_submits_at_most_so_many_a_day(setup):
    for _ in range(svc.MAX_PER_DAY):
        svc.submit(setup["trainee"], b"junk")
    with pytest.raises(svc.RecognitionError, match="rate"):
        svc.submit(setup["trainee"], b"junk")


@pytest.mark.filterwarnings("ignore:Key size should be:UserWarning")
def test_the_registry_refuses_bad_entries(setup):
    from joserfc.jwk import RSAKey
    admin, partner = setup["admin"], setup["partner"]
    for call in (lambda: registry.add_issuer(admin, partner, "ftp://x"),
                 lambda: registry.add_issuer(admin, partner, pf.PARTNER_DID),
                 lambda: registry.add_key(admin, partner, "m", "z123"),
                 lambda: registry.add_key(admin, partner, "m", json.dumps(pf.jwk_key("EC").as_dict(private=True))),
                 lambda: registry.add_key(admin, partner, "m", json.dumps(
                     RSAKey.generate_key(1024, private=True, auto_kid=False).as_dict(private=False))),
                 lambda: registry.add_rule(admin, partner, "alignment", "X", "course", "no-such-course", None, None),
                 lambda: registry.save_partner(admin, None, "X", "", "Britain", "")):
        with pytest.raises(registry.RegistryError):
            call()


def test_keys_are_read_from_a_did_document_file(setup):
    admin = setup["admin"]
    partner = registry.save_partner(admin, None, "Second Body", "", "DE", "")
    key = signing.generate_key()
    did_doc = {"@context": ["https://www.w3.org/ns/did/v1"], "id": "did:web:second.example.de",
               "verificationMethod": [{"id": "#k1", "type": "Multikey", "controller": "did:web:second.example.de",
                                       "publicKeyMultibase": signing.public_multibase(key.public_key())}]}
    assert registry.import_did_document(admin, partner, _raw(did_doc)) == 1
    assert [i.identifier for i in partner.issuers] == ["did:web:second.example.de"]
    assert partner.keys[0].method == "did:web:second.example.de#k1"


def test_the_check_never_uses_the_network(setup, monkeypatch):
    """Offline: a credential naming a context we do not hold is refused, not fetched; nothing opens a connection."""
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the check tried to use the network")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    doc = pf.signed(pf.credential(status_index=5), setup["key"])
    assert svc.submit(setup["trainee"], _raw(doc)).state == RequestState.PENDING
    foreign = pf.credential()
    foreign["@context"] = [*foreign["@context"], "https://partner.example.org/context.json"]
    foreign["proof"] = doc["proof"]
    assert svc.submit(setup["trainee"], _raw(foreign)).refusal == "bad_signature"


def test_an_exam_and_a_prerequisite_are_exempted_too(setup):
    admin, trainee, partner = setup["admin"], setup["trainee"], setup["partner"]
    registry.add_rule(admin, partner, "achievement_type", "Course", "exam", f"{F1}/final-exam", None, None)
    registry.add_rule(admin, partner, "achievement_type", "Course", "prerequisite", "foundation", None, None)
    req = svc.submit(trainee, _raw(pf.signed(pf.credential(), setup["key"])))
    svc.confirm(admin, req)
    foundation, practitioner = (db.session.scalar(select(Programme).where(Programme.key == key))
                                for key in ("foundation", "practitioner"))
    exam = next(r for r in eligibility.evaluate(trainee, foundation) if r.kind == "exam")
    prerequisite = next(r for r in eligibility.evaluate(trainee, practitioner) if r.kind == "prerequisite")
    assert exam.state == prerequisite.state == "recognised" and exam.met and prerequisite.met
    assert {e["kind"] for e in svc.exemptions(trainee)} == {"course", "exam", "prerequisite"}


def test_a_credential_inside_a_verifiable_presentation_is_read(setup):
    from tests.factories.presentations import presentation
    doc = pf.signed(pf.credential(), setup["key"])
    req = svc.submit(setup["trainee"], _raw(presentation([doc])))
    assert req.state == RequestState.PENDING and req.facts["method"] == pf.METHOD
    # a presentation holding two credentials is not one submission
    two = presentation([doc, pf.signed(pf.credential(name="Negotiation"), setup["key"])])
    assert svc.submit(setup["trainee"], _raw(two)).refusal == "unreadable"

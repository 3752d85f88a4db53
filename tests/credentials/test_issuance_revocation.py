"""Revocation sticks (no automatic path issues the programme again; an administrator re-issues, with a reason),
revoking and suspending ask first, and a revoked or suspended certificate is not offered for LinkedIn or sharing."""
import json

from sqlalchemy import select

from lms.accounts.models import AuditEvent
from lms.credentials import keys, signing
from lms.credentials import services as svc
from lms.credentials.models import Credential, ExperienceClaim
from lms.extensions import db
from tests.factories import client_of as _client
from tests.factories import outbox_messages


def _creds(holder, programme_id):
    return list(db.session.scalars(select(Credential).where(Credential.holder_id == holder.id,
                                                            Credential.programme_id == programme_id)
                                    .order_by(Credential.id)))


def _revoke(admin, cred, reason="Exam misconduct established"):
    return admin.post(f"/admin/credentials/{cred.public_id}/revoke", data={"reason": reason, "confirm": "yes"},
                      follow_redirects=True).get_data(as_text=True)


def test_no_automatic_path_issues_a_revoked_programme_again(app, world):  # noqa: F811
    cred, holder = world["cred"], world["holder"]
    admin, me = _client(app, world["admin"]), _client(app, holder)
    assert "Certificate revoked" in _revoke(admin, cred)
    # the holder's "check my requirements now"
    page = me.post("/certificates/check", follow_redirects=True).get_data(as_text=True)
    assert "No new certificate" in page
    assert "only the centre can decide to re-issue it" in page
    # a lesson or exam result (what the catalogue's progress listeners run)
    from lms.catalog import services as catalog
    catalog.notify_progress(db.session.get(type(holder), holder.id))
    db.session.commit()
    # cohort issuance, for every trainee and for the course
    page = admin.post("/admin/credentials/cohort", data={"course": ""}, follow_redirects=True).get_data(as_text=True)
    assert "0 certificate(s) issued" in page
    admin.post("/admin/credentials/cohort", data={"course": "f1-system-policy-ethics"})
    # an accepted experience declaration checks the requirements too
    claim = ExperienceClaim(user_id=holder.id, years=3, evidence="TTO of the university, 2021-2024, head of unit")
    db.session.add(claim)
    db.session.commit()
    admin.post(f"/admin/experience/{claim.id}/approve", data={})
    # CPD renewal renews only an active certificate
    page = me.post(f"/certificates/{cred.public_id}/renew", follow_redirects=True).get_data(as_text=True)
    assert "Only an active certificate of yours can be renewed." in page
    assert [c.state for c in _creds(holder, cred.programme_id)] == ["revoked"]


def test_a_suspended_certificate_is_not_renewed_nor_issued_again(app, world):  # noqa: F811
    cred, holder = world["cred"], world["holder"]
    admin, me = _client(app, world["admin"]), _client(app, holder)
    admin.post(f"/admin/credentials/{cred.public_id}/suspend", data={"reason": "Audit", "confirm": "yes"})
    me.post("/certificates/check")
    page = me.post(f"/certificates/{cred.public_id}/renew", follow_redirects=True).get_data(as_text=True)
    assert "Only an active certificate of yours can be renewed." in page
    assert [(c.state, c.suspended) for c in _creds(holder, cred.programme_id)] == [("active", True)]


def test_an_administrator_re_issues_with_a_reason_after_a_confirmation(app, world):  # noqa: F811
    cred, holder = world["cred"], world["holder"]
    admin = _client(app, world["admin"])
    _revoke(admin, cred, "Identity doubt")
    register = admin.get("/admin/credentials").get_data(as_text=True)
    assert f"/admin/credentials/{cred.public_id}/reissue" in register and "Re-issue" in register
    url = f"/admin/credentials/{cred.public_id}/reissue"
    page = admin.post(url, data={"reason": "  "}, follow_redirects=True).get_data(as_text=True)
    assert "Give the reason." in page
    page = admin.post(url, data={"reason": "Identity confirmed by the exam board"}).get_data(as_text=True)
    assert "Re-issue this certificate?" in page and "Identity confirmed by the exam board" in page
    assert holder.email in page and "Technology Transfer Manager — Foundation" in page
    assert len(_creds(holder, cred.programme_id)) == 1                    # nothing done before the confirmation
    mails = len(outbox_messages(app))
    page = admin.post(url, data={"reason": "Identity confirmed by the exam board", "confirm": "yes"},
                      follow_redirects=True).get_data(as_text=True)
    assert "A new certificate has been issued; the holder has been told." in page
    old, new = _creds(holder, cred.programme_id)
    assert old.state == "revoked" and new.state == "active" and new.decided_by_id == world["admin"].id
    assert signing.verify(json.loads(new.signed_json), keys.resolve).ok
    assert svc.status_of(new) == "valid"
    detail = db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "credential.reissue",
                                                               AuditEvent.target == new.public_id))
    assert cred.public_id in detail and "Identity confirmed by the exam board" in detail
    sent = outbox_messages(app)[mails:]
    assert len(sent) == 1 and holder.email in sent[0].read_text(errors="ignore")
    # once is enough: the revoked one offers no second re-issue, and the service refuses one
    assert f"/admin/credentials/{cred.public_id}/reissue" not in admin.get("/admin/credentials").get_data(as_text=True)
    page = admin.post(url, data={"reason": "again", "confirm": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "already has a certificate for this programme" in page
    assert len(_creds(holder, cred.programme_id)) == 2
    # only a revoked certificate is re-issued
    page = admin.post(f"/admin/credentials/{new.public_id}/reissue", data={"reason": "x"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Only a revoked credential can be re-issued." in page


def test_revoke_and_suspend_ask_first_naming_holder_programme_and_reason(app, world):  # noqa: F811
    cred, holder = world["cred"], world["holder"]
    admin = _client(app, world["admin"])
    for action, heading, button in (("suspend", "Suspend this certificate?", "Yes, suspend it"),
                                    ("revoke", "Revoke this certificate?", "Yes, revoke it")):
        page = admin.post(f"/admin/credentials/{cred.public_id}/{action}",
                          data={"reason": "Plagiarism in the project report"}).get_data(as_text=True)
        assert heading in page and button in page
        assert holder.display_name in page and holder.email in page
        assert "Technology Transfer Manager — Foundation" in page and "Plagiarism in the project report" in page
        assert 'name="confirm" value="yes"' in page
        db.session.refresh(cred)
        assert (cred.state, cred.suspended) == ("active", False)              # nothing happened yet
    page = admin.post(f"/admin/credentials/{cred.public_id}/revoke", data={"reason": ""},
                      follow_redirects=True).get_data(as_text=True)
    assert "Give the reason." in page and "Revoke this certificate?" not in page
    page = admin.post(f"/admin/credentials/{cred.public_id}/revoke", data={"reason": "x" * 1001, "confirm": "yes"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Keep the reason within 1000 characters." in page
    db.session.refresh(cred)
    assert cred.state == "active"
    # a "next" that leaves the site is not followed
    resp = admin.post(f"/admin/credentials/{cred.public_id}/suspend",
                      data={"reason": "Audit", "confirm": "yes", "next": "//evil.example.com/"})
    assert resp.headers["Location"].endswith("/admin/credentials")
    # reinstating works as before, without a confirmation
    page = admin.post(f"/admin/credentials/{cred.public_id}/unsuspend", data={"reason": "audit passed"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Suspension lifted" in page
    db.session.refresh(cred)
    assert not cred.suspended


def test_revoked_or_suspended_certificates_are_not_offered_for_linkedin_or_sharing(app, world):  # noqa: F811
    cred, holder = world["cred"], world["holder"]
    admin, me = _client(app, world["admin"]), _client(app, holder)
    linkedin = f"/v/{cred.public_id}/linkedin"
    page = me.get("/certificates").get_data(as_text=True)
    assert "Add to LinkedIn" in page and "Save sharing" in page
    assert app.test_client().get(linkedin).headers["Location"].startswith("https://www.linkedin.com/")
    me.post(f"/certificates/{cred.public_id}/sharing", data={"share": "full"})
    admin.post(f"/admin/credentials/{cred.public_id}/suspend", data={"reason": "Audit", "confirm": "yes"})
    page = me.get("/certificates").get_data(as_text=True)
    assert "Add to LinkedIn" not in page and "Save sharing" not in page
    resp = app.test_client().get(linkedin)
    assert resp.status_code == 403 and "This certificate is suspended" in resp.get_data(as_text=True)
    # showing less stays possible; showing the full record again is refused
    assert "Show the status only" in page
    me.post(f"/certificates/{cred.public_id}/sharing", data={"share": "status"})
    page = me.post(f"/certificates/{cred.public_id}/sharing", data={"share": "full"},
                   follow_redirects=True).get_data(as_text=True)
    assert "is not shared: its public page shows the status only" in page
    assert db.session.get(Credential, cred.id).share_full is False
    # reinstated: offered again
    admin.post(f"/admin/credentials/{cred.public_id}/unsuspend", data={"reason": "audit passed"})
    assert "Add to LinkedIn" in me.get("/certificates").get_data(as_text=True)
    assert app.test_client().get(linkedin).status_code == 302
    _revoke(admin, cred)
    page = me.get("/certificates").get_data(as_text=True)
    assert "Add to LinkedIn" not in page and "Save sharing" not in page
    resp = app.test_client().get(linkedin)
    assert resp.status_code == 403 and "This certificate has been revoked" in resp.get_data(as_text=True)
    me.post(f"/certificates/{cred.public_id}/sharing", data={"share": "full"})
    assert db.session.get(Credential, cred.id).share_full is False

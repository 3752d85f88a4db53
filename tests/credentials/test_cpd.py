"""CPD: credits by the programme's rules, review with random audit, renewal into a new credential."""
import io
import json
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.credentials import cpd, keys, signing
from lms.credentials.models import CpdActivity, Credential
from lms.db import utcnow
from lms.extensions import db
from tests.factories import PG_URL, login

PDF = b"%PDF-1.4\n%%EOF\n"


def _log(client, cred, kind, quantity, description="Licensing course at the TTO, 2 days", evidence=None):
    data = {"kind": kind, "quantity": str(quantity), "done_on": date.today().isoformat(), "description": description}
    if evidence:
        data["evidence"] = (io.BytesIO(evidence), "certificate-of-attendance.pdf")
    return client.post(f"/certificates/{cred.public_id}/cpd", data=data, content_type="multipart/form-data",
                       follow_redirects=True).get_data(as_text=True)


def test_credits_follow_the_rules_and_their_caps(app, world):  # noqa: F811
    cred = world["cred"]
    acts = [CpdActivity(credential_id=cred.id, kind="training", quantity=12, done_on=date.today(), description="x"),
            CpdActivity(credential_id=cred.id, kind="teaching", quantity=10, done_on=date.today(), description="x"),
            CpdActivity(credential_id=cred.id, kind="deal", quantity=4, done_on=date.today(), description="x")]
    # training 12 x 1 = 12; teaching 10 x 3 = 30 capped at 50% of 30 = 15; deals 4 x 5 = 20 capped at 15
    assert cpd.credits(cred, acts) == 42.0
    assert cpd.needed(cred) == 30


def test_log_review_and_renew(app, world, monkeypatch):  # noqa: F811
    cred = world["cred"]
    holder = app.test_client()
    login(holder, world["holder"].email)
    page = _log(holder, cred, "training", 20, evidence=PDF)
    assert "Activity logged" in page and "20 more credits wait for review" in page
    page = _log(holder, cred, "training", 2, description="short")
    assert "Describe the activity" in page
    page = _log(holder, cred, "training", 5, evidence=b"<html>not a pdf</html>")
    assert "certificate-of-attendance.pdf: refused" in page
    # one in ten is picked for audit; force it, and an audited activity needs its evidence
    monkeypatch.setattr(cpd.secrets, "randbelow", lambda n: 0)
    _log(holder, cred, "teaching", 4, description="Taught the licensing module of F4 at the centre")
    audited = db.session.scalar(select(CpdActivity).where(CpdActivity.kind == "teaching"))
    assert audited.audit and audited.evidence_stored is None
    admin = app.test_client()
    login(admin, world["admin"].email)
    register = admin.get("/admin/credentials").get_data(as_text=True)
    assert "picked for audit" in register
    page = admin.post(f"/admin/cpd/{audited.public_id}/approve", data={}, follow_redirects=True).get_data(as_text=True)
    assert "can be approved only with its evidence file" in page
    admin.post(f"/admin/cpd/{audited.public_id}/reject", data={"note": "No evidence of the teaching"})
    training = db.session.scalar(select(CpdActivity).where(CpdActivity.kind == "training"))
    page = holder.post(f"/certificates/{cred.public_id}/renew", follow_redirects=True).get_data(as_text=True)
    assert "Renewal needs 30 approved CPD credits; 0 so far." in page
    admin.post(f"/admin/cpd/{training.public_id}/approve", data={})
    _log(holder, cred, "deal", 2, description="Closed the licence of the sulfide electrolyte with Acme", evidence=PDF)
    deal = db.session.scalar(select(CpdActivity).where(CpdActivity.kind == "deal"))
    admin.post(f"/admin/cpd/{deal.public_id}/approve", data={})
    page = holder.get(f"/certificates/{cred.public_id}/cpd").get_data(as_text=True)
    assert "30 of 30 CPD credits approved" in page
    holder.post(f"/certificates/{cred.public_id}/renew")
    old = db.session.get(Credential, cred.id)
    new = db.session.scalar(select(Credential).where(Credential.previous_id == cred.id))
    assert old.state == "superseded" and new.state == "active"
    doc, first = json.loads(new.signed_json), json.loads(cred.signed_json)
    assert doc["awardedDate"] == first["awardedDate"] and signing.verify(doc, keys.resolve).ok
    assert new.valid_until > old.valid_until - timedelta(days=1)
    assert "was renewed" in app.test_client().get(f"/v/{cred.public_id}").get_data(as_text=True)


def _enough_credits(cred):
    db.session.add(CpdActivity(credential_id=cred.id, kind="training", quantity=30, done_on=date.today(),
                               description="Licensing course, 30 hours", state="approved"))
    db.session.commit()


def test_a_renewal_overtaken_by_another_is_told_so_not_a_500(app, world, monkeypatch):  # noqa: F811
    """The other renewal lands between this one's checks and its write: one renewal, and a clear message."""
    from sqlalchemy import update
    cred = world["cred"]
    _enough_credits(cred)
    real_total = cpd.total

    def renewed_meanwhile(c):
        db.session.execute(update(Credential).where(Credential.id == c.id).values(state="superseded"))
        db.session.add(Credential(holder_id=c.holder_id, programme_id=c.programme_id, state="active",
                                  previous_id=c.id))
        db.session.flush()
        return real_total(c)
    monkeypatch.setattr(cpd, "total", renewed_meanwhile)
    holder = app.test_client()
    login(holder, world["holder"].email)
    resp = holder.post(f"/certificates/{cred.public_id}/renew", follow_redirects=True)
    assert resp.status_code == 200
    assert "This certificate has just been renewed, or its status has changed" in resp.get_data(as_text=True)
    assert db.session.get(Credential, cred.id).state == "active"        # this request changed nothing


@pytest.mark.own_database
@pytest.mark.skipif(not PG_URL, reason="parallel transactions need PostgreSQL")
def test_two_renewals_at_the_same_time_give_one_renewal_and_one_message(app, world, monkeypatch):  # noqa: F811
    cred = world["cred"]
    _enough_credits(cred)
    real_total, meet = cpd.total, threading.Barrier(2)

    def together(c):                 # both requests pass their checks before either writes
        try:
            meet.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return real_total(c)
    monkeypatch.setattr(cpd, "total", together)
    clients = []
    for _ in range(2):
        c = app.test_client()
        login(c, world["holder"].email)
        clients.append(c)
    pages = []

    def renew(client):
        try:
            with app.app_context():          # the test client's own session, as the main thread has
                resp = client.post(f"/certificates/{cred.public_id}/renew", follow_redirects=True)
                pages.append((resp.status_code, resp.get_data(as_text=True)))
        except Exception as exc:  # noqa: BLE001 - reported below
            pages.append((500, repr(exc)))
    threads = [threading.Thread(target=renew, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [code for code, _ in pages] == [200, 200], pages
    assert sum("Renewed: a new certificate" in page for _, page in pages) == 1
    assert sum("has just been renewed, or its status has changed" in page for _, page in pages) == 1
    assert len(list(db.session.scalars(select(Credential).where(Credential.previous_id == cred.id)))) == 1


def _evidence_files(app):
    folder = app.config["LMS_UPLOAD_DIR"] / "projects"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_only_a_valid_or_expired_renewable_certificate_logs_cpd(app, world):  # noqa: F811
    cred, holder = world["cred"], app.test_client()
    login(holder, world["holder"].email)
    db.session.get(Credential, cred.id).suspended = True
    db.session.commit()
    page = holder.get(f"/certificates/{cred.public_id}/cpd").get_data(as_text=True)
    assert "this certificate is suspended, revoked or replaced" in page and "Log the activity" not in page
    page = _log(holder, cred, "training", 3, evidence=PDF)
    assert "not for a suspended, revoked or replaced one" in page
    assert db.session.scalar(select(func.count()).select_from(CpdActivity)) == 0 and _evidence_files(app) == []
    # expired, not suspended: CPD still counts towards renewing it
    c = db.session.get(Credential, cred.id)
    c.suspended, c.valid_until = False, utcnow() - timedelta(days=10)
    db.session.commit()
    assert "Activity logged" in _log(holder, cred, "training", 3, evidence=PDF)


def test_cpd_evidence_is_limited_per_certificate_and_the_page_says_so(app, world):  # noqa: F811
    app.config["CPD_MAX_EVIDENCE"] = 1
    cred, holder = world["cred"], app.test_client()
    login(holder, world["holder"].email)
    page = _log(holder, cred, "training", 3, evidence=PDF)
    assert "Activity logged" in page and "1 of 1 evidence files attached to this certificate" in page
    page = _log(holder, cred, "training", 4, description="A second licensing workshop, with slides", evidence=PDF)
    assert "certificate-of-attendance.pdf: refused, this certificate already has 1 evidence files" in page
    assert db.session.scalar(select(func.count()).select_from(CpdActivity)) == 1 and len(_evidence_files(app)) == 1


def test_cpd_evidence_and_project_deliverables_share_one_storage_quota(app, world):  # noqa: F811
    from lms.projects.models import Brief, Project, Submission, SubmissionFile
    holder_user = world["holder"]
    brief = db.session.scalar(select(Brief))
    project = Project(brief=brief, trainee_id=holder_user.id, title="t", description="d", trainee_role="r",
                      sponsor_org="o", sponsor_kind="company", sponsor_name="n", sponsor_email="n@o.example")
    project.submissions.append(Submission(version=1, files=[SubmissionFile(
        name="r.pdf", stored_name="a" * 48, kind="pdf", size=9_000, sha256="0" * 64)]))
    db.session.add(project)
    db.session.commit()
    app.config["UPLOAD_QUOTA_BYTES"] = 9_000 + len(PDF) * 2
    cred, holder = world["cred"], app.test_client()
    login(holder, holder_user.email)
    page = _log(holder, cred, "training", 3, evidence=PDF)
    assert "Activity logged" in page and "Your storage: 9 kB of 9 kB used" in page
    page = _log(holder, cred, "training", 3, description="Another workshop on licensing terms", evidence=PDF * 2)
    assert "would take your storage beyond its limit of 9 kB" in page
    assert db.session.scalar(select(func.count()).select_from(CpdActivity)) == 1 and len(_evidence_files(app)) == 1

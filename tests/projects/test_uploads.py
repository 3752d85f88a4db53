"""Deliverable uploads: the type comes from the content, bad files are refused with the reason, and a
refused submission stores nothing. Uploads need a reason to exist: a confirmed project of a trainee enrolled in
a published course, within the limits of versions, files and the person's storage."""
import io

import pytest
from sqlalchemy import delete, func, select

from lms.catalog.models import Course, Enrolment
from lms.extensions import db
from lms.projects import uploads
from lms.projects.models import Project, Submission, SubmissionFile
from tests.factories import login, make_user
from tests.factories.content import F1, PDF, office
from tests.factories.projects import _as, _brief, _mail_to, confirm, confirmed, register, sponsor_link, upload


def _nothing_stored(app):
    folder = app.config["LMS_UPLOAD_DIR"] / "projects"
    return (db.session.scalar(select(func.count()).select_from(SubmissionFile)) == 0
            and db.session.scalar(select(func.count()).select_from(Submission)) == 0
            and (not folder.exists() or not any(folder.iterdir())))


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_office_files_are_recognised_from_their_parts(kind):
    assert uploads.detect_kind(office(kind)) == kind


def test_images_and_pdf_are_recognised():
    assert uploads.detect_kind(PDF) == "pdf"
    assert uploads.detect_kind(b"\x89PNG\r\n\x1a\n" + b"\0" * 20) == "png"
    assert uploads.detect_kind(b"\xff\xd8\xff\xe0" + b"\0" * 20) == "jpeg"


def _zip_without_office_parts() -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    return buf.getvalue()


BAD = [
    ("report.pdf", b"<html><script>alert(1)</script></html>", "content is not a PDF"),
    ("run.pdf", b"#!/bin/sh\nrm -rf /\n", "content is not a PDF"),
    ("../../etc/passwd.pdf", PDF, "contains a path"),
    ("..\\report.pdf", PDF, "contains a path"),
    ("rep<o>rt.pdf", PDF, "contains a path or one of the characters"),
    ("report\u202e.pdf", PDF, "control or invisible characters"),
    ("report\x07.pdf", PDF, "control or invisible characters"),
    (".hidden.pdf", PDF, "starts with a dot"),
    ("empty.pdf", b"", "the file is empty"),
    ("fake.docx", _zip_without_office_parts(), "content is not a PDF"),
    ("report.docx", PDF, "the content is a PDF file but the name ends in '.docx'"),
]


@pytest.mark.parametrize("name,data,reason", BAD, ids=[b[0] for b in BAD])
def test_bad_uploads_are_refused_with_the_reason_and_nothing_is_stored(app, people, name, data, reason):
    client, project = confirmed(app, people)
    good = (io.BytesIO(PDF), "good.pdf")
    resp = client.post(f"/projects/{project.public_id}/submit", content_type="multipart/form-data",
                       data={"files": [good, (io.BytesIO(data), name)]}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert reason in page.replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
    assert "refused" in page
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(SubmissionFile)) == 0
    folder = app.config["LMS_UPLOAD_DIR"] / "projects"
    assert not folder.exists() or not any(folder.iterdir())


def test_an_oversized_file_is_refused(app, people):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    client, project = confirmed(app, people)
    page = client.post(f"/projects/{project.public_id}/submit", content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(PDF + b"0" * 2000), "big.pdf")]}, follow_redirects=True)
    assert "larger than the limit of 0.001 MB" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SubmissionFile)) == 0


def test_good_files_are_stored_outside_the_web_root_under_random_names_and_versions_are_kept(app, people):
    client, project = confirmed(app, people)
    for n in (1, 2):
        client.post(f"/projects/{project.public_id}/submit", content_type="multipart/form-data",
                    data={"files": [(io.BytesIO(PDF), f"技术评估报告 v{n}.pdf"),
                                    (io.BytesIO(office("xlsx")), "valuation (draft).xlsx")]})
    project = db.session.scalar(select(Project))
    assert [s.version for s in project.submissions] == [1, 2]
    f = project.submissions[0].files[0]
    assert f.name == "技术评估报告 v1.pdf" and f.kind == "pdf" and "技术" not in f.stored_name
    stored = app.config["LMS_UPLOAD_DIR"] / "projects" / f.stored_name
    assert stored.read_bytes() == PDF and (stored.stat().st_mode & 0o077) == 0
    resp = client.get(f"/projects/{project.public_id}/files/{f.public_id}")
    assert resp.status_code == 200 and resp.data == PDF and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    # another trainee cannot download it, even knowing the address
    other = app.test_client()
    login(other, people["other"].email)
    assert other.get(f"/projects/{project.public_id}/files/{f.public_id}").status_code == 404


def test_deliverables_need_a_confirmed_project_an_enrolled_trainee_and_a_published_course(app, people):
    client, project = register(app, people)
    page = client.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "once the sponsor has confirmed the project" in page and "Submit this version" not in page
    page = upload(client, project, [(io.BytesIO(PDF), "early.pdf")]).get_data(as_text=True)
    assert "once the sponsor has confirmed the project" in page and _nothing_stored(app)
    confirm(app, sponsor_link(app))
    # enrolment ended: no uploads
    db.session.execute(delete(Enrolment).where(Enrolment.user_id == people["trainee"].id))
    db.session.commit()
    page = upload(client, project, [(io.BytesIO(PDF), "report.pdf")]).get_data(as_text=True)
    assert "Enrol in the brief&#39;s course first" in page and _nothing_stored(app)
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    db.session.add(Enrolment(user_id=people["trainee"].id, course_id=course.id))
    # the course is withdrawn to an outline: no uploads
    course.status = "outline"
    db.session.commit()
    page = upload(client, project, [(io.BytesIO(PDF), "report.pdf")]).get_data(as_text=True)
    assert "open when its course is published" in page and _nothing_stored(app)
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.status = "published"
    db.session.commit()
    page = upload(client, project, [(io.BytesIO(PDF), "report.pdf")]).get_data(as_text=True)
    assert "Version 1 submitted with 1 files" in page


def test_an_admin_override_opens_uploads_without_the_sponsor(app, people):
    client, project = register(app, people)
    _as(app, people["admin"]).post(f"/projects/{project.public_id}/override", data={"reason": "Confirmed by phone"})
    page = upload(client, project, [(io.BytesIO(PDF), "report.pdf")]).get_data(as_text=True)
    assert "Version 1 submitted with 1 files" in page


def test_a_new_account_cannot_register_a_project_or_mail_a_sponsor(app, people):
    newcomer = make_user(("trainee",), "new@example.com")
    c = _as(app, newcomer)
    url = f"/projects/briefs/{_brief().public_id}/register"
    page = c.get(url).get_data(as_text=True)
    assert "Enrol in the brief&#39;s course first" in page and "sponsor_email" not in page
    page = c.post(url, data={"title": "Spam", "description": "d", "trainee_role": "r", "sponsor_org": "o",
                             "sponsor_kind": "company", "sponsor_name": "n", "sponsor_email": "victim@example.org"},
                  follow_redirects=True).get_data(as_text=True)
    assert "Enrol in the brief&#39;s course first" in page
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0
    assert _mail_to(app, "victim@example.org") == []


def test_versions_per_project_and_files_per_version_are_limited(app, people):
    app.config.update(PROJECT_MAX_VERSIONS=2, PROJECT_MAX_FILES=2)
    client, project = confirmed(app, people)
    page = upload(client, project, [(io.BytesIO(PDF), f"part {n}.pdf") for n in range(3)]).get_data(as_text=True)
    assert "A version has at most 2 files; you chose 3." in page and _nothing_stored(app)
    page = upload(client, project, [(io.BytesIO(PDF), "v1.pdf")]).get_data(as_text=True)
    assert "Version 2 of at most 2; up to 2 files, each at most 25.0 MB." in page
    upload(client, project, [(io.BytesIO(PDF), "v2.pdf")])
    page = upload(client, project, [(io.BytesIO(PDF), "v3.pdf")]).get_data(as_text=True)
    assert "All 2 versions allowed for this project have been submitted." in page
    assert "Submit this version" not in page
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 2
    assert len(list((app.config["LMS_UPLOAD_DIR"] / "projects").iterdir())) == 2


def test_a_person_s_storage_is_limited_and_the_page_says_how_much_is_used(app, people):
    big = PDF + b"0" * 4000
    app.config["UPLOAD_QUOTA_BYTES"] = 10_000
    client, project = confirmed(app, people)
    page = upload(client, project, [(io.BytesIO(big), "a.pdf"), (io.BytesIO(big), "b.pdf")]).get_data(as_text=True)
    assert "Version 1 submitted" in page
    assert "Your storage: 8 kB of 10 kB used" in page
    page = upload(client, project, [(io.BytesIO(big), "c.pdf")]).get_data(as_text=True)
    assert "Refused: 4 kB more would take your storage beyond its limit of 10 kB (8 kB used" in page
    assert db.session.scalar(select(func.count()).select_from(SubmissionFile)) == 2
    assert len(list((app.config["LMS_UPLOAD_DIR"] / "projects").iterdir())) == 2


def test_a_submission_that_fails_after_writing_its_files_leaves_none_behind(app, people, monkeypatch):
    client, project = confirmed(app, people)
    from flask_sqlalchemy.session import Session

    def broken_commit(self):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(Session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        upload(client, project, [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(office("docx")), "b.docx")])
    monkeypatch.undo()
    assert _nothing_stored(app)


def test_an_upload_that_meets_another_one_over_the_quota_is_refused_and_its_files_removed(app, people, monkeypatch):
    client, project = confirmed(app, people)
    real = uploads.take_person

    def meanwhile(user_id):          # the person's other tab stored 9 kB while these files were being written
        app.config["UPLOAD_QUOTA_BYTES"] = 10
        real(user_id)
    monkeypatch.setattr(uploads, "take_person", meanwhile)
    page = upload(client, project, [(io.BytesIO(PDF), "a.pdf")]).get_data(as_text=True)
    assert "would take your storage beyond its limit of 10 B" in page.replace("&#39;", "'")
    assert _nothing_stored(app)

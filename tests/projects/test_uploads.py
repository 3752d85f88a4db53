"""Deliverable uploads: the type comes from the content, bad files are refused with the reason, and a
refused submission stores nothing."""
import io

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.projects import uploads
from lms.projects.models import Project, Submission, SubmissionFile
from tests.conftest import login
from tests.projects.conftest import PDF, office
from tests.projects.test_flow import register


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
    client, project = register(app, people)
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
    client, project = register(app, people)
    page = client.post(f"/projects/{project.public_id}/submit", content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(PDF + b"0" * 2000), "big.pdf")]}, follow_redirects=True)
    assert "larger than the limit of 0.001 MB" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SubmissionFile)) == 0


def test_good_files_are_stored_outside_the_web_root_under_random_names_and_versions_are_kept(app, people):
    client, project = register(app, people)
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

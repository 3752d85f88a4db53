"""The CE-point transcript: facts, CSV, PDF, the signed CLR 2.0 credential, and who may read it."""
import codecs
import csv
import io
import json
import subprocess

import pytest
from sqlalchemy import select

from lms.catalog.models import Course
from lms.credentials import keys, schemas, signing, transcript, transcript_clr, verification
from lms.extensions import db
from tests.factories import make_user
from tests.factories.content import F1
from tests.factories.jsverify import run_js_verifier
from tests.factories.transcripts import F6, with_live_hours


@pytest.fixture
def holder(world):
    with_live_hours(world["holder"])
    return world["holder"]


def _f6_hours_done() -> tuple:
    """The hours of the F6 lessons the holder did (tests.factories.transcripts.with_live_hours): live, recorded."""
    course = db.session.scalar(select(Course).where(Course.slug == F6))
    return (float(next(lesson.hours for lesson in course.lessons if lesson.is_live)),
            float(next(lesson.hours for lesson in course.lessons if not lesson.is_live)))


def test_facts_split_live_and_recorded_hours_with_exam_and_project_results(app, holder):
    facts = transcript.for_user(holder)
    by_slug = {c.slug: c for c in facts.courses}
    f1, f6 = by_slug[F1], by_slug[F6]
    live, reading = _f6_hours_done()
    f1_hours = db.session.scalar(select(Course.hours).where(Course.slug == F1))
    assert (f1.hours_live, f1.hours_recorded) == (0, float(f1_hours))      # F1 is readings, all done
    assert f1.completed is not None and f1.exams and all(e.passed and e.grade >= e.pass_mark for e in f1.exams)
    assert (f6.hours_live, f6.hours_recorded) == (live, reading)
    assert f6.completed is None and f6.exams == []
    assert [(p.title["en"], p.grade, p.passed) for p in f6.projects] == [("Licence pitch", 82.0, True)]
    assert (facts.hours_live, facts.hours_recorded, facts.ce_points) == (live, float(f1_hours) + reading, live)
    assert f6.started <= f6.last_activity


def _download(client, path):
    resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return resp


def test_csv_has_a_bom_headers_in_the_readers_language_and_one_row_per_course(app, as_user, holder):
    client = as_user(holder)
    raw = _download(client, "/transcript.csv").data
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Code", "Course", "Level"]
    body = {r[0]: r for r in rows[1:]}
    live, reading = _f6_hours_done()
    assert body["F6"][rows[0].index("Live hours")] == f"{live:g}"
    assert body["F6"][rows[0].index("Recorded hours")] == f"{reading:g}"
    assert "Licence pitch: 82% (passed)" in body["F6"][rows[0].index("Project results")]
    assert rows[-1][rows[0].index("CE points (provisional)")] == f"{live:g}"
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    rows = list(csv.reader(io.StringIO(_download(client, "/transcript.csv").data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "课程", "等级"]
    assert any("技术转移体系" in cell for r in rows for cell in r)


def test_pdf_lists_the_courses_hours_and_results(app, as_user, holder, tmp_path):
    pdf = _download(as_user(holder), "/transcript.pdf").data
    assert pdf.startswith(b"%PDF-")
    (tmp_path / "t.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    for expected in ("CE-point transcript", "继续教育学时成绩单", "Liu Yang", "F6", f"{_f6_hours_done()[0]:g}",
                     "Licence pitch", "82%"):
        assert expected in text, expected


def test_signed_clr_transcript_verifies_here_and_in_the_independent_verifier(app, as_user, holder):
    doc = json.loads(_download(as_user(holder), "/transcript.json").data)
    assert doc["type"] == ["VerifiableCredential", "ClrCredential"]
    subject = doc["credentialSubject"]
    assert subject["type"] == ["ClrSubject"] and len(subject["verifiableCredential"]) == 2
    assert {"isPartOf", "precedes"} >= {a["associationType"] for a in subject["association"]}
    assert signing.verify(doc, keys.resolve).ok
    for inner in subject["verifiableCredential"]:              # each course's credential verifies alone
        assert signing.verify(inner, keys.resolve).ok
    report = verification.verify_document(doc)
    assert report.verdict == "valid" and {c.name for c in report.checks} == {"format", "signature", "issuer"}
    assert "Liu Yang" in report.signed.names and "transcript" in report.signed.achievement
    results = run_js_verifier(keys.did_document(), [], [doc, *subject["verifiableCredential"]])
    assert all(r["verified"] for r in results), results
    doc["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][0]["value"] = "40"
    assert not signing.verify(doc, keys.resolve).ok
    assert verification.verify_document(doc).verdict == "tampered"
    assert not run_js_verifier(keys.did_document(), [], [doc])[0]["verified"]


def test_a_trainee_cannot_open_anothers_transcript_but_staff_can(app, as_user, world, holder):
    other = make_user(("trainee",), "nosy@example.com")
    outsider = make_user(("instructor",), "elsewhere@example.com")
    path = f"/people/{holder.public_id}/transcript"
    assert as_user(other).get(path).status_code == 403
    assert as_user(other).get(path + ".csv").status_code == 403
    assert as_user(outsider).get(path).status_code == 403           # teaches nothing the holder takes
    assert as_user(world["teacher"]).get(path).status_code == 200   # teaches F1
    page = as_user(world["admin"]).get(path)
    assert page.status_code == 200 and "Liu Yang" in page.get_data(as_text=True)
    assert as_user(world["admin"]).get("/people/nobody/transcript").status_code == 404


def test_the_build_uses_the_vendored_clr_context(app, holder):
    doc = transcript_clr.build(transcript.for_user(holder), holder)
    assert transcript_clr.CLR_CONTEXT_URL in doc["@context"]
    assert transcript_clr.CLR_CONTEXT_URL in signing.vendored_contexts()


def test_the_verification_page_accepts_the_transcript_as_json_and_as_pdf(app, as_user, holder):
    client = as_user(holder)
    signed = _download(client, "/transcript.json").data
    pdf = _download(client, "/transcript.pdf").data
    anon = app.test_client()

    def upload(data, name):
        return anon.post("/verify", data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data").get_data(as_text=True)
    for data, name in ((signed, "transcript.json"), (pdf, "transcript.pdf")):
        page = upload(data, name)
        assert "Authentic and valid." in page and "Liu Yang" in page, name
    edited = json.loads(signed)
    edited["credentialSubject"]["verifiableCredential"][1]["credentialSubject"]["creditsEarned"] = 60
    assert "Not authentic" in upload(json.dumps(edited).encode(), "edited.json")


def test_each_course_credential_in_the_transcript_passes_the_official_ob_schema(app, holder):
    doc = transcript_clr.signed(transcript.for_user(holder), holder)
    for inner in doc["credentialSubject"]["verifiableCredential"]:
        assert schemas.errors(schemas.OB_ACHIEVEMENT_CREDENTIAL, inner) == []


def test_the_clr_context_is_the_vendored_1edtech_file_unchanged():
    import hashlib

    from lms.credentials.rdfc import CONTEXTS_DIR
    raw = (CONTEXTS_DIR / "clr-context-2.0.1.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6"


def test_a_title_that_looks_like_a_formula_is_written_as_text_in_the_csv(app, holder):
    from lms.credentials import transcript_files
    facts = transcript.for_user(holder)
    facts.courses[0].title = {"en": "=HYPERLINK(\"http://evil.example\")", "zh": "=1+1"}
    rows = list(csv.reader(io.StringIO(transcript_files.csv_bytes(facts, "en").decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil.example\")"


def test_a_long_transcript_continues_on_a_second_page_with_its_header(app, tmp_path):
    from datetime import date
    from decimal import Decimal

    from lms.credentials import transcript_files
    from lms.credentials.transcript import CourseRecord, ExamResult, Transcript
    exams = [ExamResult("final", {"en": "Final exam", "zh": "结业考试"}, None, 60, False, None),
             ExamResult("m1", {"en": "Module quiz", "zh": "模块测验"}, 45.0, 60, False, date(2026, 3, 1))]
    courses = [CourseRecord(f"c{i}", f"C{i}", "F", {"en": f"Course {i}", "zh": f"课程 {i}"}, date(2026, 1, i + 1),
                            date(2026, 2, i + 1), None, Decimal("1.5"), Decimal(2), exams) for i in range(20)]
    facts = Transcript("x" * 32, "王敏", "Wang Min", courses)
    (tmp_path / "t.pdf").write_bytes(transcript_files.pdf_bytes(facts, "{}", "urn:uuid:test"))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Page 2" in text and text.count("CE-point transcript") >= 2 and "C19" in text
    assert "awaiting marking" in text and "45% 未通过 not passed" in text
    assert "Total: 70 h" in text and "CE points 30" in text
    rows = list(csv.reader(io.StringIO(transcript_files.csv_bytes(facts, "en").decode("utf-8-sig"))))
    assert rows[1][9] == "Final exam: awaiting marking; Module quiz: 45% (not passed)"

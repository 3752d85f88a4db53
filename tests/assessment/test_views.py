import io

from sqlalchemy import func, select

from lms.assessment import banks
from lms.assessment.models import Question, QuestionBank
from lms.extensions import db
from tests.assessment.test_banks import SRC
from tests.conftest import login


def _bank():
    bank = banks.get_or_create_bank("sample-en", "en")
    banks.import_questions(bank, banks.parse_questions(SRC, "gift", "sample.gift"))
    db.session.commit()
    return bank


def test_browse_and_filter(client, users, loaded):
    bank = _bank()
    login(client, "teacher@example.com")
    b = f"/teach/questions?bank={bank.id}"
    page = client.get(b).get_data(as_text=True)
    assert "T-001" in page and "T-003" in page and "3 questions" in page
    page = client.get(b + "&competency=D1.1&level=F").get_data(as_text=True)
    assert "T-001" in page and "T-002" not in page and "T-003" not in page
    page = client.get(b + "&qtype=numerical").get_data(as_text=True)
    assert "T-002" in page and "T-001" not in page
    page = client.get(b + "&q=conflict").get_data(as_text=True)
    assert "T-003" in page and "T-001" not in page
    page = client.get(b + "&tag=difficulty-2").get_data(as_text=True)
    assert "T-001" in page and "T-002" not in page
    page = client.get("/teach/questions?language=zh&competency=D3.2").get_data(as_text=True)
    assert "DX-D3.2-001" in page and "T-001" not in page


def test_preview_shows_key_and_feedback_to_the_instructor(client, users, loaded):
    _bank()
    q = db.session.scalar(select(Question).where(Question.idnumber == "T-001"))
    login(client, "teacher@example.com")
    page = client.get(f"/teach/questions/{q.public_id}").get_data(as_text=True)
    assert "Capital contribution (作价投资)" in page and "100%" in page and "A licence grants use." in page
    assert "Article 16 lists the routes." in page and "Version 1" in page


def test_edit_with_preview_then_new_version(client, users, loaded):
    _bank()
    q = db.session.scalar(select(Question).where(Question.idnumber == "T-001"))
    login(client, "teacher@example.com")
    source = client.get(f"/teach/questions/{q.public_id}/edit").get_data(as_text=True)
    assert "[id:T-001]" in source
    new = "// [id:T-001] [tag:level-F]\n::Routes::Which route gives shares for IP? {=Capital contribution ~Licence}\n"
    page = client.post(f"/teach/questions/{q.public_id}/edit", data={"source": new, "preview": "1"}).get_data(as_text=True)
    assert "Which route gives shares for IP?" in page
    db.session.expire_all()
    assert db.session.get(Question, q.id).current_version == 1
    resp = client.post(f"/teach/questions/{q.public_id}/edit", data={"source": new, "submit": "1"})
    assert resp.status_code == 302
    q = db.session.get(Question, q.id)
    assert q.current_version == 2 and q.current.text == "Which route gives shares for IP?"
    assert q.versions[0].text == "Which route turns a patent into shares?"
    page = client.get(f"/teach/questions/{q.public_id}?v=1").get_data(as_text=True)
    assert "You are looking at version 1" in page
    bad = client.post(f"/teach/questions/{q.public_id}/edit", data={"source": "::X:: broken {=a", "submit": "1"})
    assert "line 1" in bad.get_data(as_text=True)
    assert db.session.get(Question, q.id).current_version == 2


def test_import_in_the_browser_lists_errors_then_imports_the_fixed_file(client, users, loaded):
    login(client, "teacher@example.com")
    broken = SRC + "\n\nBad {=a\n\nWeights {~%33%a ~%67%b}\n"
    resp = client.post("/teach/questions/import", data={"file": (io.BytesIO(broken.encode()), "mine.gift"),
                                                        "bank": "mine", "language": "en", "fmt": "auto"},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert "Nothing was imported" in page and "mine.gift:18:" in page and "mine.gift:20:" in page
    assert db.session.scalar(select(func.count()).select_from(Question).join(QuestionBank)
                             .where(QuestionBank.slug == "mine")) == 0
    resp = client.post("/teach/questions/import", data={"file": (io.BytesIO(SRC.encode()), "mine.gift"),
                                                        "bank": "mine", "language": "en", "fmt": "auto"},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "3 new" in resp.get_data(as_text=True)
    export = client.get("/teach/questions/export?bank=mine")
    assert export.mimetype == "text/plain" and "[id:T-001]" in export.get_data(as_text=True)
    assert {q["idnumber"] for q in banks.parse_questions(export.get_data(as_text=True), "gift", "x")} == \
        {"T-001", "T-002", "T-003"}

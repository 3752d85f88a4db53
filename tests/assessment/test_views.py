import io
import re

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessment import banks
from lms.assessment.models import Question, QuestionBank
from lms.extensions import db
from tests.factories import login
from tests.factories.content import belongs_to_f1
from tests.factories.questions import SRC


def _bank():
    """A bank of the course F1, which teacher@example.com teaches."""
    bank = banks.get_or_create_bank("sample-en", "en")
    banks.import_questions(bank, banks.parse_questions(SRC, "gift", "sample.gift"))
    belongs_to_f1(bank, db.session.scalar(select(User).where(User.email == "teacher@example.com")))
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
    client.post("/logout")
    login(client, "admin@example.com")            # the diagnostic's banks are the administrators'
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


def test_a_new_question_written_in_the_browser_from_an_example_goes_to_the_chosen_competency(client, users, loaded):
    bank = _bank()
    login(client, "teacher@example.com")
    page = client.get("/teach/questions/new?type=numerical&bank=sample-en").get_data(as_text=True)
    assert "Bayh-Dole" in page and "{#" in page                       # the numerical example, ready to edit
    assert '<option selected value="sample-en">' in page
    for kind in ("single", "multiple", "truefalse", "shortanswer", "match", "essay", "description"):
        assert f"type={kind}" in page
    source = "// [id:T-NEW] [tag:level-F]\n::Valuation::Which method values a patent by its expected licence income? " \
             "{=Income approach #Right. ~Cost approach #No: that is what it cost to make.}\n"
    form = {"bank": "sample-en", "competency": "D4.2", "source": source, "status": "ready"}
    preview = client.post("/teach/questions/new", data={**form, "preview": "1"}).get_data(as_text=True)
    assert "expected licence income" in preview and "Income approach" in preview
    assert db.session.scalar(select(func.count()).select_from(Question).where(Question.idnumber == "T-NEW")) == 0
    resp = client.post("/teach/questions/new", data={**form, "submit": "1"})
    assert resp.status_code == 302
    created = db.session.scalar(select(Question).where(Question.idnumber == "T-NEW"))
    assert resp.headers["Location"].endswith(f"/teach/questions/{created.public_id}")
    assert created.bank_id == bank.id and created.current_version == 1 and created.current.source == "browser"
    assert created.current.competency.code == "D4.2" and created.current.level == "F"
    assert created.category.path == "TTM/D4/D4.2"                   # as the shipped banks name categories
    # a second question for the same competency goes to the same category
    again = client.post("/teach/questions/new", data={**form, "source": source.replace("T-NEW", "T-NEW2"),
                                                       "status": "draft", "submit": "1"})
    assert again.status_code == 302
    second = db.session.scalar(select(Question).where(Question.idnumber == "T-NEW2"))
    assert second.category_id == created.category_id
    assert (created.status, second.status) == ("ready", "draft")       # a draft is not drawn until marked ready


def test_a_new_question_is_refused_with_its_line_when_broken_or_when_its_id_is_taken(client, users, loaded):
    _bank()
    login(client, "teacher@example.com")
    before = db.session.scalar(select(func.count()).select_from(Question))
    broken = client.post("/teach/questions/new", data={"bank": "sample-en", "competency": "", "submit": "1",
                                                       "source": "// a comment\n::X:: broken {=a"})
    assert "line 2" in broken.get_data(as_text=True)
    taken = client.post("/teach/questions/new", data={"bank": "sample-en", "competency": "", "submit": "1",
                                                      "source": "// [id:T-001]\n::X::Another? {=a ~b}"})
    assert "already has a question with [id:T-001]" in taken.get_data(as_text=True)
    level = client.post("/teach/questions/new", data={"bank": "sample-en", "competency": "", "submit": "1",
                                                      "source": "// [id:T-LQ] [tag:level-Q]\n::X::Q? {=a ~b}"})
    assert "line 2: tag &#39;level-Q&#39;: the level must be one of level-F, level-P, level-E" in level.get_data(as_text=True)
    two = client.post("/teach/questions/new", data={"bank": "sample-en", "competency": "", "submit": "1",
                                                    "source": "::X::One? {=a ~b}\n\n::Y::Two? {=a ~b}"})
    assert "exactly one question" in two.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Question)) == before



@pytest.mark.own_database         # the other request commits in a transaction of its own
def test_the_same_id_added_by_another_request_between_the_check_and_the_insert_is_refused_not_a_500(
        client, users, loaded, monkeypatch):
    bank = _bank()
    login(client, "teacher@example.com")
    real = banks.current_framework
    source = "// [id:T-RACE]\n::Race::Which approach values a patent by the income it will earn? {=Income ~Cost}\n"
    other = banks.parse_questions(source, "gift", "")[0]

    def the_other_request_wins():       # runs after the id was found free and before the insert
        banks._insert_new(bank, [(other, banks._spec(other), banks._category(bank, "$course$", [], {}))],
                          users["admin"], "browser")
        return real()

    monkeypatch.setattr(banks, "current_framework", the_other_request_wins)
    resp = client.post("/teach/questions/new", data={"bank": "sample-en", "competency": "", "submit": "1",
                                                     "source": source, "status": "ready"})
    assert resp.status_code == 200
    assert "already has a question with [id:T-RACE]" in resp.get_data(as_text=True)

def test_every_example_parses_to_its_kind_in_both_languages(app):
    from lms.assessment.gift import parse_gift
    from lms.assessment.starters import KINDS, starter
    for lang in ("en", "zh_Hans"):
        with app.test_request_context(headers={"Accept-Language": lang}):
            from flask_babel import refresh
            refresh()
            for kind, (_label, qtype) in KINDS.items():
                result = parse_gift(starter(kind))
                assert not result.errors and len(result.questions) == 1, (lang, kind, result.errors)
                assert result.questions[0]["qtype"] == qtype, (lang, kind)
                assert result.questions[0].get("single", True) is (kind != "multiple"), (lang, kind)
                assert ("拜杜法案" in starter("numerical")) is (lang == "zh_Hans")      # the reader's language


def test_an_instructor_tries_answers_on_a_question_and_nothing_is_stored(client, users, loaded):
    from lms.assessment.models import AttemptItem
    _bank()
    login(client, "teacher@example.com")
    choice = db.session.scalar(select(Question).where(Question.idnumber == "T-001"))   # right answer: option 0
    numerical = db.session.scalar(select(Question).where(Question.idnumber == "T-002"))  # 50 ± 0
    page = client.get(f"/teach/questions/{choice.public_id}").get_data(as_text=True)
    assert "Try it" in page and 'name="q1" value="0"' in page and "This answer gets" not in page
    right = client.post(f"/teach/questions/{choice.public_id}", data={"q1": "0"}).get_data(as_text=True)
    assert "This answer gets 100% of the marks." in right
    assert re.search(r'name="q1" value="0"\s+checked', right)                # the answer tried stays chosen
    wrong = client.post(f"/teach/questions/{choice.public_id}", data={"q1": "1"}).get_data(as_text=True)
    assert "This answer gets 0% of the marks." in wrong
    assert "This answer gets 100% of the marks." in client.post(
        f"/teach/questions/{numerical.public_id}", data={"q1": " 50 "}).get_data(as_text=True)
    assert "This answer gets 0% of the marks." in client.post(
        f"/teach/questions/{numerical.public_id}", data={"q1": "50.5"}).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AttemptItem)) == 0
    trainee = client.application.test_client()
    login(trainee, "trainee@example.com")
    assert trainee.post(f"/teach/questions/{choice.public_id}", data={"q1": "0"}).status_code == 403


def test_trying_a_matching_question_keeps_the_choices_and_grades_each_pair(client, users, loaded):
    bank = _bank()
    banks.import_questions(bank, banks.parse_questions(
        "// [id:T-MT]\n::Agreements::Match. {=Licence -> use =Assignment -> ownership = -> shares}\n", "gift", "m.gift"))
    db.session.commit()
    login(client, "teacher@example.com")
    q = db.session.scalar(select(Question).where(Question.idnumber == "T-MT"))
    half = client.post(f"/teach/questions/{q.public_id}", data={"q1-0": "use", "q1-1": "shares"})
    assert half.status_code == 200
    html = half.get_data(as_text=True)
    assert "This answer gets 50% of the marks." in html
    assert re.search(r'<option value="use"\s+selected>use</option>', html)
    assert re.search(r'<option value="shares"\s+selected>shares</option>', html)

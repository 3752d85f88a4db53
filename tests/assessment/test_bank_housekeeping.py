"""Keeping a bank in order: deleting a question no attempt showed and no exam names, browsing by category, moving a
question to another category by its $CATEGORY line."""
from sqlalchemy import func, select

from lms.assessment import banks
from lms.assessment.models import Attempt, Question, QuestionVersion
from lms.extensions import db
from tests.factories import login


def _question(idnumber):
    return db.session.scalar(select(Question).where(Question.idnumber == idnumber))


def test_an_unused_question_is_deleted_with_its_versions_and_drawn_ahead_attempts_are_drawn_again(app, client, quiz, users):
    bank = banks.get_or_create_bank("exam-en", "en")
    banks.import_questions(bank, banks.parse_questions("// [id:X-9] [tag:m1]\n::Nine::Spare? {T}\n", "gift", "x.gift"))
    quiz.sections[0].draw = 6                                      # every m1 question, X-9 among them
    db.session.commit()
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")                       # draws an attempt ahead, showing X-9
    spare = _question("X-9")
    spare_id = spare.id
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    page = teacher.get(f"/teach/questions/{spare.public_id}").get_data(as_text=True)
    assert "Delete this question" in page and 'id="kept-because"' not in page
    resp = teacher.post(f"/teach/questions/{spare.public_id}/delete", follow_redirects=True)
    assert "Question “Nine” deleted." in resp.get_data(as_text=True)
    assert _question("X-9") is None
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion)
                             .where(QuestionVersion.question_id == spare_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.state == "prepared")) == 0


def test_a_question_an_attempt_showed_or_an_exam_names_is_kept_with_the_reason(app, client, quiz, users):
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    named = _question("X-6")                                       # the exam's second section names it
    page = teacher.get(f"/teach/questions/{named.public_id}").get_data(as_text=True)
    assert "The exam “Module 1 quiz” names it: take it out of the exam first." in page
    assert "Delete this question" not in page
    refused = teacher.post(f"/teach/questions/{named.public_id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "names it" in refused and _question("X-6") is not None
    login(client, "trainee@example.com")
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    att = db.session.scalar(select(Attempt).where(Attempt.state == "open"))
    shown = next(i.version.question for i in att.items if i.version.question.idnumber != "X-6")
    refused = teacher.post(f"/teach/questions/{shown.public_id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "It was shown in 1 attempt, which keeps it: mark it as draft instead" in refused
    assert _question(shown.idnumber) is not None


def test_the_bank_is_browsed_by_category_with_its_sub_categories(app, client, quiz, users):
    from lms.assessment.models import QuestionBank, QuestionCategory
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "exam-en"))
    cats = {c.path: c for c in db.session.scalars(select(QuestionCategory).where(QuestionCategory.bank_id == bank.id))}
    login(client, "teacher@example.com")
    page = client.get(f"/teach/questions?bank={bank.id}").get_data(as_text=True)
    assert "Category, with its sub-categories" in page and f'<option value="{cats["TTM/D1/D1.1"].id}"' in page
    leaf = client.get(f"/teach/questions?bank={bank.id}&category={cats['TTM/D1/D1.1'].id}").get_data(as_text=True)
    assert "5 questions" in leaf and ">Essay</a>" not in leaf
    # a category holding no question of its own shows those below it ('TTM/D1//x' would not be below 'TTM/D1')
    parent = banks._category(bank, "$course$", ["TTM", "D1"], {})
    db.session.commit()
    parent = client.get(f"/teach/questions?bank={bank.id}&category={parent.id}").get_data(as_text=True)
    assert "6 questions" in parent and ">Essay</a>" in parent        # D1.1 and D1.3 below it
    # a category of another bank than the one chosen is ignored, not applied
    other = banks.get_or_create_bank("other-en", "en")
    banks.import_questions(other, banks.parse_questions("$CATEGORY: $course$/top/Else\n\n::O::Other? {T}\n", "gift", "o.gift"))
    db.session.commit()
    elsewhere = db.session.scalar(select(QuestionCategory).where(QuestionCategory.bank_id == other.id,
                                                                 QuestionCategory.path == "Else"))
    mixed = client.get(f"/teach/questions?bank={bank.id}&category={elsewhere.id}").get_data(as_text=True)
    assert "6 questions" in mixed
    listing = client.get("/teach/questions/banks/exam-en/categories").get_data(as_text=True)
    assert f'href="/teach/questions?bank={bank.id}&amp;category={cats["TTM/D1/D1.1"].id}">5</a>' in listing


def test_a_category_line_in_the_editor_moves_the_question_and_aligns_it_to_that_competency(app, client, quiz, users):
    login(client, "teacher@example.com")
    q = _question("X-1")
    assert q.category.path == "TTM/D1/D1.1" and q.current.competency.code == "D1.1"
    page = client.get(f"/teach/questions/{q.public_id}/edit").get_data(as_text=True)
    assert "It is in the category TTM/D1/D1.1. To move it, add a line such as $CATEGORY:" in page
    from lms.assessment.rendering import question_source
    body = question_source(q.current.spec)                          # the text the editor shows, unchanged
    same = client.post(f"/teach/questions/{q.public_id}/edit",
                       data={"source": "$CATEGORY: $course$/top/TTM/D1/D1.1\n\n" + body, "submit": "1"}, follow_redirects=True)
    assert "Nothing changed; no new version was made." in same.get_data(as_text=True)
    client.post(f"/teach/questions/{q.public_id}/edit", data={"source": "$CATEGORY: TTM/D1/D1.3\n\n" + body, "submit": "1"})
    db.session.expire_all()
    q = _question("X-1")
    assert q.current_version == 2 and q.category.path == "TTM/D1/D1.3" and q.current.competency.code == "D1.3"
    assert q.versions[0].competency.code == "D1.1"                 # the version attempts showed keeps its own


def test_a_question_from_the_content_files_says_that_loading_a_changed_file_brings_it_back(app, client, quiz, users):
    login(client, "admin@example.com")                             # the diagnostic's banks are the administrators'

    shipped = _question("DX-D5.1-001")                             # from question_banks/, loaded by `lms load`
    page = client.get(f"/teach/questions/{shipped.public_id}").get_data(as_text=True)
    assert "It came from the content files" in page
    bank = banks.get_or_create_bank("exam-en", "en")
    banks.import_questions(bank, banks.parse_questions("// [id:X-8]\n::Eight::Imported? {T}\n", "gift", "x.gift"),
                           source="import")                         # imported in the browser, not from the files
    db.session.commit()
    spare = _question("X-8")
    assert "It came from the content files" not in client.get(f"/teach/questions/{spare.public_id}").get_data(as_text=True)


def test_a_category_line_can_name_the_top_and_keeps_the_question_s_own_context_when_it_names_none(app, client, quiz, users):
    from lms.assessment.rendering import question_source
    bank = banks.get_or_create_bank("exam-en", "en")
    banks.import_questions(bank, banks.parse_questions(
        "$CATEGORY: $module$/top/Unit 1\n\n// [id:M-1]\n::Mod::A module's own question? {T}\n", "gift", "m.gift"))
    db.session.commit()
    login(client, "teacher@example.com")
    q = _question("M-1")
    assert (q.category.context, q.category.path) == ("$module$", "Unit 1")
    body = question_source(q.current.spec)
    client.post(f"/teach/questions/{q.public_id}/edit", data={"source": "$CATEGORY: Unit 2\n\n" + body, "submit": "1"})
    db.session.expire_all()
    q = _question("M-1")
    assert (q.category.context, q.category.path) == ("$module$", "Unit 2")      # not a new $course$ category
    client.post(f"/teach/questions/{q.public_id}/edit", data={"source": "$CATEGORY: $course$/top\n\n" + body, "submit": "1"})
    db.session.expire_all()
    q = _question("M-1")
    assert (q.category.context, q.category.path) == ("$course$", "") and q.current_version == 3

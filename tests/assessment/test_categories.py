"""A bank's categories in the browser: renaming one aligns a bank brought from Moodle to the framework without
importing it again; questions whose competency changes get a new version; attempts keep the one they showed."""
import re

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.assessment import banks, categories
from lms.assessment.errors import ExamError
from lms.assessment.models import Question, QuestionCategory, QuizSection
from lms.extensions import db
from tests.factories import login
from tests.factories.content import belongs_to_f1

MOODLE = """$CATEGORY: $course$/top/Licensing basics

::L1::Which agreement gives permission to use a technology without transferring it? {=A licence ~An assignment}

::L2::Which agreement transfers ownership? {=An assignment ~A licence}

$CATEGORY: $course$/top/Licensing basics/Royalties

::R1::A royalty is usually a share of what? {=Net sales ~Gross assets}

$CATEGORY: $course$/top/Valuation

::V1::Which approach values a patent by its expected income? {=Income approach ~Cost approach}
"""


def _bank():
    """A bank of the course F1, which teacher@example.com teaches."""
    bank = banks.get_or_create_bank("moodle-export-en", "en")
    banks.import_questions(bank, banks.parse_questions(MOODLE, "gift", "moodle.gift"))
    belongs_to_f1(bank, db.session.scalar(select(User).where(User.email == "teacher@example.com")))
    return bank


def _category(bank, path):
    return db.session.scalar(select(QuestionCategory).where(QuestionCategory.bank_id == bank.id,
                                                            QuestionCategory.path == path))


def _questions(bank):
    db.session.expire_all()
    return {q.current.name: q for q in db.session.scalars(select(Question).where(Question.bank_id == bank.id))}


def test_renaming_a_category_aligns_its_questions_and_moves_its_sub_categories(client, users, loaded):
    bank = _bank()
    login(client, "teacher@example.com")
    page = client.get(f"/teach/questions/banks/{bank.slug}/categories").get_data(as_text=True)
    assert "Licensing basics/Royalties" in page and page.count("not aligned") == 3
    licensing = _category(bank, "Licensing basics")
    resp = client.post(f"/teach/questions/banks/{bank.slug}/categories",
                       data={"category": licensing.id, "path": "TTM/D3", "competency": "D3.2"})
    assert resp.status_code == 302
    assert "Renamed to TTM/D3/D3.2. Aligned to D3.2." in client.get(resp.headers["Location"]).get_data(as_text=True)
    qs = _questions(bank)
    assert {name: (q.category.path, q.current_version, q.current.competency.code if q.current.competency else None)
            for name, q in qs.items()} == {
        "L1": ("TTM/D3/D3.2", 2, "D3.2"), "L2": ("TTM/D3/D3.2", 2, "D3.2"),
        "R1": ("TTM/D3/D3.2/Royalties", 2, "D3.2"),       # a sub-category named by no code: aligned by its parent
        "V1": ("Valuation", 1, None)}                     # untouched
    assert qs["L1"].versions[0].competency_id is None     # the first version, which attempts showed, is unchanged
    assert qs["L1"].current.spec == qs["L1"].versions[0].spec
    # a second rename into the existing category merges them
    valuation = _category(bank, "Valuation")
    client.post(f"/teach/questions/banks/{bank.slug}/categories",
                data={"category": valuation.id, "path": "TTM/D3/D3.2", "competency": ""})
    qs = _questions(bank)
    assert qs["V1"].category.path == "TTM/D3/D3.2" and qs["V1"].current.competency.code == "D3.2"
    assert _category(bank, "Valuation") is None
    # the export carries the new paths, so importing it again changes nothing
    exported = banks.export_bank(bank, "gift")
    assert "$CATEGORY: $course$/top/TTM/D3/D3.2/Royalties" in exported


def test_a_rename_is_refused_with_a_reason_and_changes_nothing(app, client, users, loaded, quiz):
    bank = _bank()
    login(client, "teacher@example.com")
    licensing = _category(bank, "Licensing basics")
    url = f"/teach/questions/banks/{bank.slug}/categories"
    page = client.post(url, data={"category": licensing.id, "path": "$system$/top/Elsewhere", "competency": ""})
    assert "keeps its context" in page.get_data(as_text=True)
    # an exam that draws from the category by its path would draw nothing after a rename
    quiz.sections.append(QuizSection(position=5, bank="moodle-export", category="Licensing basics/Royalties", draw=1))
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert re.search(r"Licensing basics/Royalties.*?Module 1 quiz", html, re.S)
    refused = client.post(url, data={"category": licensing.id, "path": "Licences", "competency": ""})
    assert "Exams draw from this category by its path: Module 1 quiz" in refused.get_data(as_text=True)
    assert _category(bank, "Licensing basics") is not None
    assert {q.current_version for q in _questions(bank).values()} == {1}
    # another bank's category cannot be renamed through this bank's page
    other = banks.get_or_create_bank("other-en", "en")
    banks.import_questions(other, banks.parse_questions("$CATEGORY: X\n\n::Q::Q? {=a ~b}\n", "gift", "o.gift"))
    db.session.commit()
    assert client.post(url, data={"category": _category(other, "X").id, "path": "Y", "competency": ""}).status_code == 404
    trainee = app.test_client()
    login(trainee, "trainee@example.com")
    assert trainee.get(url).status_code == 403


def test_a_slash_inside_a_name_a_context_and_a_merge_an_exam_draws_from(client, users, loaded, quiz):
    bank = banks.get_or_create_bank("slashes-en", "en")
    source = ("$CATEGORY: $course$/top/A\n\n::A1::A? {=a ~b}\n\n$CATEGORY: $course$/top/A//B\n\n::AB::AB? {=a ~b}\n\n"
              "$CATEGORY: $course$/top/A/C\n\n::AC::AC? {=a ~b}\n\n$CATEGORY: $module$/top/M\n\n::M1::M? {=a ~b}\n\n"
              "$CATEGORY: $course$/top/Pool\n\n::P1::P? {=a ~b}\n")
    banks.import_questions(bank, banks.parse_questions(source, "gift", "s.gift"))
    belongs_to_f1(bank, users["instructor"])
    login(client, "teacher@example.com")
    url = f"/teach/questions/banks/{bank.slug}/categories"
    # 'A//B' is a category named "A/B", a sibling of 'A', not inside it: renaming A leaves it alone
    client.post(url, data={"category": _category(bank, "A").id, "path": "X", "competency": ""})
    qs = _questions(bank)
    assert (qs["A1"].category.path, qs["AC"].category.path, qs["AB"].category.path) == ("X", "X/C", "A//B")
    assert qs["AB"].category.segments == ["A/B"]
    # a category in another context is renamed in its own context when none is typed
    module = db.session.scalar(select(QuestionCategory).where(QuestionCategory.bank_id == bank.id,
                                                              QuestionCategory.context == "$module$"))
    resp = client.post(url, data={"category": module.id, "path": "TTM/D1/D1.1", "competency": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    module = db.session.get(QuestionCategory, module.id)
    assert (module.context, module.path, module.competency.code) == ("$module$", "TTM/D1/D1.1", "D1.1")
    # merging into a category an exam draws from would silently add to that exam's pool: refused
    quiz.sections.append(QuizSection(position=5, bank="slashes", category="Pool", draw=1))
    db.session.commit()
    refused = client.post(url, data={"category": _category(bank, "X").id, "path": "Pool", "competency": ""})
    assert "Exams draw from this category by its path: Module 1 quiz" in refused.get_data(as_text=True)
    assert _questions(bank)["A1"].category.path == "X"
    # a path that would grow too long below the renamed category is refused, nothing changed
    long = client.post(url, data={"category": _category(bank, "X").id, "path": "L" * 250 + "/" + "M" * 249,
                                  "competency": ""})
    assert "That path is too long." in long.get_data(as_text=True)
    assert _questions(bank)["AC"].category.path == "X/C"


def test_the_top_category_an_ancestor_drawn_by_an_exam_and_a_clash_inside_are_refused(client, users, loaded, quiz):
    bank = banks.get_or_create_bank("edges-en", "en")
    source = ("::T1::Top? {=a ~b}\n\n$CATEGORY: $course$/top/Unit\n\n::U1::U? {=a ~b}\n\n"
              "$CATEGORY: $course$/top/Unit/Part\n\n::P1::P? {=a ~b}\n\n"
              "$CATEGORY: $course$/top/Unit/Part/Part\n\n::PP::PP? {=a ~b}\n")
    banks.import_questions(bank, banks.parse_questions(source, "gift", "e.gift"))
    belongs_to_f1(bank, users["instructor"])
    login(client, "teacher@example.com")
    url = f"/teach/questions/banks/{bank.slug}/categories"
    # the page offers no form for the top category; the service refuses it too
    with pytest.raises(ExamError, match="top category cannot be renamed"):
        categories.rename(_category(bank, ""), "Elsewhere", None, users["instructor"])
    db.session.rollback()
    # renaming Unit/Part to Unit/Part/Part would land on its own sub-category's path
    clash = client.post(url, data={"category": _category(bank, "Unit/Part").id, "path": "Unit/Part/Part",
                                   "competency": ""})
    assert "is already inside this one" in clash.get_data(as_text=True)
    # an exam drawing from 'Unit' draws from 'Unit/Part' too: renaming the part would change that exam's pool
    quiz.sections.append(QuizSection(position=5, bank="edges", category="Unit", draw=1))
    db.session.commit()
    below = client.post(url, data={"category": _category(bank, "Unit/Part").id, "path": "Other", "competency": ""})
    assert "Exams draw from this category by its path: Module 1 quiz" in below.get_data(as_text=True)
    assert {q.category.path for q in _questions(bank).values()} == {"", "Unit", "Unit/Part", "Unit/Part/Part"}
    assert {q.current_version for q in _questions(bank).values()} == {1}

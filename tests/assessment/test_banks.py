from sqlalchemy import func, select

from lms.assessment import banks
from lms.assessment.models import Question, QuestionBank, QuestionVersion
from lms.extensions import db
from tests.factories.questions import SRC


def test_cli_import_maps_categories_to_competencies_and_is_idempotent(runner, loaded, tmp_path):
    path = tmp_path / "sample.en.gift"
    path.write_text(SRC, encoding="utf-8")
    result = runner.invoke(args=["questions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "sample-en"))
    assert bank.language == "en"
    q1 = db.session.scalar(select(Question).where(Question.idnumber == "T-001"))
    v = q1.current
    assert (v.competency.code, v.level, v.difficulty, v.qtype) == ("D1.1", "F", 2, "multichoice")
    assert db.session.scalar(select(Question).where(Question.idnumber == "T-003")).current.competency_id is None
    again = runner.invoke(args=["questions", "import", str(path)])
    assert "0 new, 0 new versions, 3 unchanged" in again.output


def test_changed_question_gets_a_new_version_and_keeps_the_old(runner, loaded, tmp_path):
    path = tmp_path / "sample.en.gift"
    path.write_text(SRC, encoding="utf-8")
    runner.invoke(args=["questions", "import", str(path)])
    path.write_text(SRC.replace("#Right.", "#Right: shares for IP."), encoding="utf-8")
    out = runner.invoke(args=["questions", "import", str(path)]).output
    assert "0 new, 1 new versions, 2 unchanged" in out
    q1 = db.session.scalar(select(Question).where(Question.idnumber == "T-001"))
    assert [v.version for v in q1.versions] == [1, 2] and q1.current_version == 2
    assert q1.versions[0].spec["answers"][0]["feedback"] == "Right."
    assert q1.current.spec["answers"][0]["feedback"] == "Right: shares for IP."


def test_broken_file_changes_nothing_and_lists_every_error(runner, loaded, tmp_path):
    before = db.session.scalar(select(func.count()).select_from(Question))
    path = tmp_path / "broken.gift"
    path.write_text(SRC + "\n\nBad one {=a\n\n// [id:T-001]\nDuplicate {T}\n\nWeights {~%33%a ~%67%b}\n", encoding="utf-8")
    result = runner.invoke(args=["questions", "import", str(path)])
    assert result.exit_code == 1
    assert "nothing was imported; 4 error(s)" in result.output
    assert "broken.gift:18:" in result.output and "broken.gift:21:" in result.output
    assert "broken.gift:23:" in result.output
    assert db.session.scalar(select(func.count()).select_from(Question)) == before


def test_export_then_import_into_new_bank_is_identical(runner, loaded, tmp_path):
    path = tmp_path / "sample.en.gift"
    path.write_text(SRC, encoding="utf-8")
    runner.invoke(args=["questions", "import", str(path)])
    out = tmp_path / "exported.gift"
    result = runner.invoke(args=["questions", "export", "--bank", "sample-en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["questions", "import", str(out), "--bank", "copy-en"])
    a = banks.question_dicts(db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "sample-en")))
    b = banks.question_dicts(db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "copy-en")))
    assert a == b and len(a) == 3


def test_aiken_import(runner, loaded, tmp_path):
    path = tmp_path / "quick.aiken.txt"
    path.write_text("Which is an IP right?\nA) Patent\nB) Invoice\nANSWER: A\n", encoding="utf-8")
    result = runner.invoke(args=["questions", "import", str(path), "--bank", "quick"])
    assert result.exit_code == 0 and "1 new" in result.output
    v = db.session.scalar(select(QuestionVersion).join(Question).join(QuestionBank).where(QuestionBank.slug == "quick"))
    assert v.qtype == "multichoice" and v.spec["answers"][0]["fraction"] == "1"


def test_shipped_banks_load_with_the_content(loaded):
    # every shipped bank file parsed and loaded by `lms load`
    from lms.config import REPO_ROOT
    files = sorted((REPO_ROOT / "question_banks").glob("*.gift"))
    assert db.session.scalar(select(func.count()).select_from(QuestionBank)) == len(files)


def test_moodle_xml_export_and_import_from_the_command_line(runner, loaded, tmp_path):
    path = tmp_path / "sample.en.gift"
    path.write_text(SRC, encoding="utf-8")
    runner.invoke(args=["questions", "import", str(path)])
    out = tmp_path / "exported.xml"
    assert runner.invoke(args=["questions", "export", "--bank", "sample-en", "--format", "xml", "--out", str(out)]).exit_code == 0
    result = runner.invoke(args=["questions", "import", str(out), "--bank", "xml-copy"])
    assert result.exit_code == 0 and "3 new" in result.output
    a = banks.question_dicts(db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "sample-en")))
    b = banks.question_dicts(db.session.scalar(select(QuestionBank).where(QuestionBank.slug == "xml-copy")))
    assert a == b

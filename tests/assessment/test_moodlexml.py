from hypothesis import given, settings
from hypothesis import strategies as st

from lms.assessment.gift import parse_gift
from lms.assessment.moodlexml import export_moodle_xml, parse_moodle_xml
from tests.factories.questions import MOODLE_LIKE


def strip(qs):
    return [{k: v for k, v in q.items() if k != "line"} for q in qs]


def test_gift_to_moodle_xml_and_back_is_lossless():
    first = parse_gift(MOODLE_LIKE + "\n$CATEGORY: $course$/top/TTM//X/D2\n\n// [id:Z-1] [tag:a] [tag:b]\n"
                                     "::Z::[markdown]**bold** <b> & {=1 ~2}\n")
    assert first.errors == []
    xml = export_moodle_xml(first.questions)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    assert '<question type="matching">' in xml and "<idnumber>Z-1</idnumber>" in xml
    again = parse_moodle_xml(xml)
    assert again.errors == []
    # Moodle XML has no missing-word form: the blank stays in the text; everything else is equal
    assert strip(again.questions) == strip(first.questions)


def test_errors_name_the_line():
    src = ('<?xml version="1.0"?>\n<quiz>\n  <question type="multichoice">\n    <name><text>A</text></name>\n'
           '    <questiontext format="html"><text>Q</text></questiontext>\n'
           '    <answer fraction="33"><text>x</text></answer>\n    <answer fraction="0"><text>y</text></answer>\n'
           '  </question>\n  <question type="cloze"><name><text>B</text></name></question>\n</quiz>\n')
    r = parse_moodle_xml(src)
    assert [(e.line, e.reason.split()[0]) for e in r.errors] == [(6, "fraction"), (9, "question")]
    assert parse_moodle_xml("<quiz><question>").errors[0].reason.startswith("not well-formed XML")
    bomb = '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaa">]><quiz>&a;</quiz>'
    assert "document type" in parse_moodle_xml(bomb).errors[0].reason


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' quiztypenameanswer&;![]CDATA中")), max_size=200))
def test_no_input_crashes_the_xml_reader(text):
    parse_moodle_xml(text)


MOODLE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="shortanswer">
    <name><text>Acronym</text></name>
    <questiontext format="html"><text>The national technology-transfer programme's organiser, as an acronym?</text></questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <idnumber>CS-1</idnumber>
    <usecase>1</usecase>
    <answer fraction="100" format="moodle_auto_format"><text>TORCH</text><feedback format="html"><text></text></feedback></answer>
  </question>
  <question type="essay">
    <name><text>Advice</text></name>
    <questiontext format="html"><text>Advise the vice-president.</text></questiontext>
    <generalfeedback format="html"><text>A good note cites Article 16.</text></generalfeedback>
    <idnumber>CS-2</idnumber>
    <responseformat>editor</responseformat>
    <graderinfo format="html"><text>Two points for each of the five elements.</text></graderinfo>
  </question>
</quiz>
"""


def test_case_sensitivity_and_information_for_graders_survive_import_and_export_and_are_used():
    from lms.assessment.qtypes import get
    result = parse_moodle_xml(MOODLE_SETTINGS)
    assert result.errors == []
    short, essay = result.questions
    assert short["usecase"] is True and essay["graderinfo"] == "Two points for each of the five elements."
    assert get("shortanswer").grade(short, "TORCH") == 1 and get("shortanswer").grade(short, "torch") == 0
    assert get("shortanswer").grade({**short, "usecase": False}, "torch") == 1
    xml = export_moodle_xml(result.questions)
    assert "<usecase>1</usecase>" in xml and "<graderinfo" in xml
    assert strip(parse_moodle_xml(xml).questions) == strip(result.questions)


def test_graders_see_the_information_for_graders_trainees_do_not_and_a_browser_edit_keeps_both(app, client, quiz, users):
    from sqlalchemy import select

    from lms.assessment import banks
    from lms.assessment.models import Attempt, Question, QuizSection
    from lms.extensions import db
    from tests.factories import login
    bank = banks.get_or_create_bank("exam-en", "en")
    banks.import_questions(bank, banks.parse_questions(MOODLE_SETTINGS, "xml", "moodle.xml"))
    quiz.sections = [QuizSection(position=0, bank="exam", idnumbers=["CS-1", "CS-2"])]
    db.session.commit()
    login(client, "trainee@example.com")
    client.post(f"/quizzes/{quiz.public_id}/start")
    att = db.session.scalar(select(Attempt).where(Attempt.state == "open"))
    for item in att.items:
        response = "torch" if item.version.spec["qtype"] == "shortanswer" else "Article 16 applies."
        client.post(f"/attempts/{att.public_id}/answer", json={"position": item.position, "response": response})
    client.post(f"/attempts/{att.public_id}/submit")
    review = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "Two points for each" not in review                       # for graders only
    short_item = next(i for i in db.session.get(Attempt, att.id).items if i.version.spec["qtype"] == "shortanswer")
    assert short_item.fraction == 0                                  # case-sensitive: 'torch' is not 'TORCH'
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    assert "Information for graders:</strong> Two points for each" in teacher.get("/teach/grading").get_data(as_text=True)
    essay = db.session.scalar(select(Question).where(Question.idnumber == "CS-2"))
    source = "// [id:CS-2]\n::Advice::Advise the vice-president on both offers. {####A good note cites Article 16.}\n"
    teacher.post(f"/teach/questions/{essay.public_id}/edit", data={"source": source, "submit": "1"})
    short = db.session.scalar(select(Question).where(Question.idnumber == "CS-1"))
    teacher.post(f"/teach/questions/{short.public_id}/edit",
                 data={"source": "// [id:CS-1]\n::Acronym::The organiser, as an acronym? {=TORCH =TORCH-CENTRE}\n",
                       "submit": "1"})
    db.session.expire_all()
    assert essay.current_version == 2 and essay.current.spec["graderinfo"] == "Two points for each of the five elements."
    assert short.current_version == 2 and short.current.spec["usecase"] is True

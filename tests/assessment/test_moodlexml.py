from hypothesis import given, settings
from hypothesis import strategies as st

from lms.assessment.gift import parse_gift
from lms.assessment.moodlexml import export_moodle_xml, parse_moodle_xml
from tests.assessment.test_gift import MOODLE_LIKE


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

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.assessment.aiken import parse_aiken


def test_aiken_questions_and_errors():
    src = ("Which route turns a patent into shares?\nA) Licence\nB. Capital contribution\nANSWER: B\n\n"
           "Broken one\nA) x\nANSWER: A\n\nAnother\nA) x\nB) y\nANSWER: C\n\nLast\nA) p\nB) q\n")
    r = parse_aiken(src)
    assert len(r.questions) == 1
    q = r.questions[0]
    assert q["text"] == "Which route turns a patent into shares?"
    assert [(a["text"], a["fraction"]) for a in q["answers"]] == [("Licence", "0"), ("Capital contribution", "1")]
    assert [(e.line, e.reason.split()[0]) for e in r.errors] == [(6, "a"), (13, "the"), (15, "the")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AB).ANSWER: \nxyz")), max_size=150))
def test_aiken_never_crashes(text):
    parse_aiken(text)

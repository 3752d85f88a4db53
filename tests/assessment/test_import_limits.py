"""Question imports are bounded (issue 16): the size of a file, the questions in it, the answers of a question and
the length of a text, in GIFT, Moodle XML and Aiken, from the browser and from the command line; each refusal
names the file and the line, and reading stops at a limit instead of building what lies beyond it."""
import io
import tracemalloc

import pytest
from sqlalchemy import func, select

from lms.assessment import banks
from lms.assessment.aiken import parse_aiken
from lms.assessment.gift import parse_gift
from lms.assessment.models import Question, QuestionBank
from lms.assessment.moodlexml import parse_moodle_xml
from lms.content import ContentInvalid
from lms.extensions import db
from lms.limits import (
    IMPORT_MAX_ANSWERS,
    IMPORT_MAX_BYTES,
    IMPORT_MAX_QUESTION_LINES,
    IMPORT_MAX_QUESTIONS,
    IMPORT_MAX_TEXT,
    IMPORT_MAX_XML_ELEMENTS,
    MAX_ERRORS,
)
from tests.factories import login

HUGE = 20_000_000


def _peak(fn):
    """What ``fn`` returns or raises, and the most memory it held at once (in bytes)."""
    tracemalloc.start()
    try:
        try:
            out = fn()
        except Exception as exc:        # noqa: BLE001 - handed back to the test
            out = exc
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _bank_count(slug: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Question).join(QuestionBank)
                             .where(QuestionBank.slug == slug))


def test_a_20_mb_question_with_millions_of_answers_is_refused_from_the_browser_unread(client, users, loaded):
    login(client, "teacher@example.com")
    raw = b"::Q::Pick one {" + b"~a" * ((HUGE - 20) // 2) + b"}\n"        # 20 MB, 10 million answers
    resp = client.post("/teach/questions/import", data={"file": (io.BytesIO(raw), "big.gift"), "bank": "big",
                                                        "language": "en", "fmt": "auto"},
                       content_type="multipart/form-data")
    # the route takes one file and its form: a body that large is refused unread (not 100 MB of uploads)
    assert resp.status_code == 413 and "What you sent is too large" in resp.get_data(as_text=True)
    assert _bank_count("big") == 0
    resp = client.post("/teach/questions/import", data={"file": (io.BytesIO(raw[:IMPORT_MAX_BYTES + 1]), "big.gift"),
                                                        "bank": "big", "language": "en", "fmt": "auto"},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)             # a file just too large is read to its limit and explained
    assert resp.status_code == 200 and "Nothing was imported" in page
    assert f"big.gift: the file is larger than {IMPORT_MAX_BYTES / 1e6:g} MB; split it into several files" in page
    assert _bank_count("big") == 0
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})          # the refusal in Chinese too
    resp = client.post("/teach/questions/import", data={"file": (io.BytesIO(raw[:IMPORT_MAX_BYTES + 1]), "big.gift"),
                                                        "bank": "big", "language": "en", "fmt": "auto"},
                       content_type="multipart/form-data")
    assert "big.gift: 文件超过 5 MB" in resp.get_data(as_text=True)


def test_the_command_line_refuses_a_file_too_large_before_reading_it(runner, app, tmp_path):
    path = tmp_path / "big.gift"
    path.write_bytes(b"::Q::Pick one {" + b"~a" * (IMPORT_MAX_BYTES // 2) + b"}\n")
    result, peak = _peak(lambda: runner.invoke(args=["questions", "import", str(path)]))
    assert result.exit_code == 1
    assert f"big.gift: the file is larger than {IMPORT_MAX_BYTES / 1e6:g} MB" in result.output
    assert peak < 4 * IMPORT_MAX_BYTES                # it read one byte past the limit, and nothing was parsed


@pytest.mark.parametrize("one_per_line", [False, True])
def test_a_gift_question_with_a_million_answers_stops_at_the_limit(one_per_line):
    sep = "\n~a" if one_per_line else "~a"
    text = "::Q::Pick one {=right" + sep * 1_000_000 + "\n}\n"      # under the size limit
    assert len(text) <= IMPORT_MAX_BYTES
    result, peak = _peak(lambda: parse_gift(text))
    assert result.questions == []
    reasons = {e.reason for e in result.errors}
    expected = (f"this question is longer than {IMPORT_MAX_QUESTION_LINES} lines" if one_per_line
                else f"more than {IMPORT_MAX_ANSWERS} answers in one question")
    assert reasons == {expected} and [e.line for e in result.errors] == [1]
    assert peak < 10 * len(text)                       # not a million answers (that was gigabytes)


@pytest.mark.parametrize("kind, block", [
    ("multichoice", "{=a " + " ".join(f"~w{i}" for i in range(IMPORT_MAX_ANSWERS)) + "}"),
    ("shortanswer", "{" + " ".join(f"=a{i}" for i in range(IMPORT_MAX_ANSWERS + 1)) + "}"),
    ("numerical", "{#" + " ".join(f"={i}" for i in range(IMPORT_MAX_ANSWERS + 1)) + "}"),
    ("match", "{" + " ".join(f"=q{i} -> a{i}" for i in range(IMPORT_MAX_ANSWERS + 1)) + "}"),
])
def test_each_gift_question_type_has_at_most_the_answers_allowed(kind, block):
    text = f"// one\n::Q::Ok {{=a ~b}}\n\n::{kind}::Question {block}\n"
    with pytest.raises(ContentInvalid) as exc:
        banks.parse_questions(text, "gift", "many.gift")
    assert [str(e) for e in exc.value.errors] == [f"many.gift:4: more than {IMPORT_MAX_ANSWERS} answers in one question"]
    fewer = text.replace(f" ~w{IMPORT_MAX_ANSWERS - 1}}}", "}").replace(f" ={IMPORT_MAX_ANSWERS}}}", "}").replace(f" =a{IMPORT_MAX_ANSWERS}}}", "}")
    fewer = fewer.replace(f" =q{IMPORT_MAX_ANSWERS} -> a{IMPORT_MAX_ANSWERS}}}", "}")
    assert len(banks.parse_questions(fewer, "gift", "many.gift")) == 2          # exactly the limit is accepted


def test_too_many_questions_in_one_file_is_refused_at_the_first_one_too_many():
    text = "\n\n".join(f"::Q{i}::Is {i} even? {{T}}" for i in range(IMPORT_MAX_QUESTIONS + 5))
    result = parse_gift(text)
    assert len(result.questions) == IMPORT_MAX_QUESTIONS
    assert [(e.line, e.reason) for e in result.errors] == [
        (2 * IMPORT_MAX_QUESTIONS + 1, f"more than {IMPORT_MAX_QUESTIONS} questions in one file; split it into "
                                       "several files")]
    assert len(banks.parse_questions(text.rsplit("\n\n", 5)[0], "gift", "ok.gift")) == IMPORT_MAX_QUESTIONS


def test_reading_stops_after_the_errors_shown():
    result = parse_gift("\n\n".join("::Q::Broken {=a" for _ in range(5 * MAX_ERRORS)))
    assert len(result.errors) == MAX_ERRORS + 1
    assert result.errors[-1].reason == f"{MAX_ERRORS} errors: reading stopped here; correct these first"


@pytest.mark.parametrize("fmt, text, line", [
    ("gift", "::Q::" + "x" * (IMPORT_MAX_TEXT + 1) + " {T}\n", 1),
    ("gift", "::Q::Pick {=a ~" + "b" * (IMPORT_MAX_TEXT + 1) + "}\n", 1),
    ("gift", "::Q::Pick {=a ~b#" + "f" * (IMPORT_MAX_TEXT + 1) + "}\n", 1),
    ("aiken", "Fine?\nA) yes\nB) no\nANSWER: A\n\n" + "y" * (IMPORT_MAX_TEXT + 1) + "\nA) yes\nB) no\nANSWER: A\n", 6),
])
def test_a_text_longer_than_the_limit_is_refused_with_its_line(fmt, text, line):
    with pytest.raises(ContentInvalid) as exc:
        banks.parse_questions(text, fmt, "long.txt")
    assert [str(e) for e in exc.value.errors] == [
        f"long.txt:{line}: a text of this question is longer than {IMPORT_MAX_TEXT} characters"]


def test_an_aiken_question_with_too_many_options_is_skipped_to_its_answer_line():
    letters = [chr(65 + i % 26) for i in range(IMPORT_MAX_ANSWERS + 1)]
    text = "Many?\n" + "".join(f"{c}) option\n" for c in letters) + "ANSWER: A\n\nFine?\nA) yes\nB) no\nANSWER: A\n"
    result = parse_aiken(text)
    assert [(e.line, e.reason) for e in result.errors] == [(1, f"more than {IMPORT_MAX_ANSWERS} answers in one question")]
    assert [q["text"] for q in result.questions] == ["Fine?"]
    result, peak = _peak(lambda: parse_aiken("Long?\n" + "A) x\n" * 1_000_000 + "ANSWER: A\n"))
    assert len(result.errors) == 1 and result.questions == [] and peak < 20_000_000


def _xml(questions: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{questions}</quiz>\n'


def _mc(answers: int) -> str:
    return ('<question type="multichoice"><name><text>Q</text></name><questiontext><text>Pick</text></questiontext>\n'
            + "".join(f'<answer fraction="{100 if i == 0 else 0}"><text>a{i}</text></answer>\n' for i in range(answers))
            + "</question>\n")


def test_moodle_xml_stops_at_the_answers_the_questions_and_the_elements_allowed():
    assert len(parse_moodle_xml(_xml(_mc(IMPORT_MAX_ANSWERS))).questions) == 1
    result = parse_moodle_xml(_xml(_mc(2) + _mc(IMPORT_MAX_ANSWERS + 1)))
    assert [(e.line, e.reason) for e in result.errors] == [(7, f"more than {IMPORT_MAX_ANSWERS} answers in one question")]
    doc = _xml("<question type='essay'>" + "<answer/>" * 500_000 + "</question>")
    result, peak = _peak(lambda: parse_moodle_xml(doc))
    assert [e.reason for e in result.errors] == [f"more than {IMPORT_MAX_ANSWERS} answers in one question"]
    assert peak < 2 * len(doc)                  # its bytes for expat, and not half a million elements
    result = parse_moodle_xml(_xml("<question type='essay'><tags>" + "<tag/>" * (IMPORT_MAX_XML_ELEMENTS + 1)
                                   + "</tags></question>"))
    assert [e.reason for e in result.errors] == [f"more than {IMPORT_MAX_XML_ELEMENTS} XML elements in one file; "
                                                 "split it into several files"]
    essay = "<question type='essay'><questiontext><text>Say</text></questiontext></question>\n"
    result = parse_moodle_xml(_xml(essay * (IMPORT_MAX_QUESTIONS + 1)))
    assert [(e.line, e.reason) for e in result.errors] == [
        (IMPORT_MAX_QUESTIONS + 3, f"more than {IMPORT_MAX_QUESTIONS} questions in one file; split it into several files")]


def test_a_moodle_xml_text_is_read_in_pieces_and_stops_at_the_limit():
    text = _xml("<question type='essay'><questiontext><text>" + "&amp;" * (IMPORT_MAX_TEXT + 1)
                + "</text></questiontext></question>\n")
    result = parse_moodle_xml(text)
    assert [(e.line, e.reason) for e in result.errors] == [(3, f"a text is longer than {IMPORT_MAX_TEXT} characters")]
    ok = parse_moodle_xml(_xml("<question type='essay'><questiontext><text>" + "&amp;" * 5000
                               + "</text></questiontext></question>\n"))
    assert ok.questions[0]["text"] == "&" * 5000


@pytest.mark.parametrize("doc", [
    '<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    "<quiz><question type='essay'><questiontext><text>&b;</text></questiontext></question></quiz>",
    '<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    "<quiz><question type='essay'><questiontext><text>&x;</text></questiontext></question></quiz>",
])
def test_moodle_xml_with_entities_is_refused(doc):
    result = parse_moodle_xml(doc)
    assert result.questions == [] and [e.reason for e in result.errors] == ["document type declarations are not accepted"]


def test_loading_a_bank_folder_refuses_a_file_too_large_before_reading_it(tmp_path):
    """`lms load` reads the question banks of the content folder: a file over the limit is refused, not read whole."""
    from lms.assessment.banks import load_bank_files
    (tmp_path / "big.gift").write_bytes(b"::Q::Pick one {" + b"~a" * (IMPORT_MAX_BYTES * 2) + b"}\n")  # 20 MB
    (tmp_path / "small.gift").write_bytes(b"::S::Small? {T}\n")
    (parsed, errors), peak = _peak(lambda: load_bank_files(tmp_path, tmp_path))
    assert [p[1] for p in parsed] == ["small"]
    assert [str(e) for e in errors] == [f"big.gift: the file is larger than {IMPORT_MAX_BYTES / 1e6:g} MB; "
                                        "split it into several files"]
    assert peak < 4 * IMPORT_MAX_BYTES                # it read one byte past the limit, not the whole file

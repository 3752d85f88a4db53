"""YAML from the browser editors and the content files cannot explode: anchors and aliases are refused, the text
and its nesting are bounded, and an error message quotes at most an excerpt of a value (issue 16)."""
import pytest

from lms.assessment.quizfiles import parse_quiz
from lms.content import ContentInvalid, parse_yaml
from lms.limits import YAML_MAX_BYTES, YAML_MAX_DEPTH
from tests.factories import login
from tests.factories.content import F1


def _laughs(levels: int, where: str = "bank") -> str:
    """The 'billion laughs': each level names the one before nine times (9**levels values, a few hundred bytes)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\ntitle: {{en: Check}}\nsections:\n  - {{{where}: *a{levels - 1}, draw: 1}}\n"


def test_an_exam_with_aliases_is_refused_with_a_short_message_in_the_editor(client, quiz):
    login(client, "teacher@example.com")
    source = _laughs(5)          # its value's repr is 400 kB; with 8 levels (481 bytes) it was 202 MB
    resp = client.post(f"/teach/courses/{F1}/exams/new", data={"key": "check", "source": source})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "The exam was not saved" in page
    assert "line 1: YAML anchors (&amp;name) and aliases (*name) are not accepted" in page
    assert page.count("lol") <= 10 and len(page) < 60_000
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    page = client.post(f"/teach/courses/{F1}/exams/new", data={"key": "check", "source": source}).get_data(as_text=True)
    assert "第 1 行" in page and "不接受 YAML 锚点" in page


@pytest.mark.parametrize("text, line", [
    ("title: &t {en: x}\n", 1),                         # an anchor alone
    ("title: {en: x}\nintro: *t\n", 2),                 # an alias alone (PyYAML would call it undefined)
    ("base: &b {attempts: 1}\nquiz:\n  <<: *b\n", 1),   # a merge key is made of them too
])
def test_anchors_aliases_and_merge_keys_are_refused_with_their_line(text, line):
    with pytest.raises(ContentInvalid) as exc:
        parse_yaml(text, "x.yaml")
    assert [(e.file, e.line) for e in exc.value.errors] == [("x.yaml", line)]
    assert "anchors (&name) and aliases (*name) are not accepted" in exc.value.errors[0].reason


def test_the_billion_laughs_is_refused_at_once_whatever_its_depth():
    with pytest.raises(ContentInvalid) as exc:
        parse_quiz(_laughs(12), "quiz", "check", {"m1"}, {"exam"})       # 9**12 values if it were expanded
    assert len(str(exc.value)) < 300


def test_the_size_and_the_nesting_of_a_yaml_text_are_bounded():
    with pytest.raises(ContentInvalid) as exc:
        parse_yaml("title: " + "x" * YAML_MAX_BYTES + "\n", "big.yaml")
    assert exc.value.errors[0].line is None and f"at most {YAML_MAX_BYTES} are accepted" in exc.value.errors[0].reason
    nested = "a: " + "[" * YAML_MAX_DEPTH + "]" * YAML_MAX_DEPTH + "\n"      # with the mapping around it
    with pytest.raises(ContentInvalid) as exc:
        parse_yaml(nested, "deep.yaml")
    assert f"nested more than {YAML_MAX_DEPTH} deep" in str(exc.value)
    with pytest.raises(ContentInvalid) as exc:        # 10,000 deep was a RecursionError (a server error)
        parse_yaml("a: " + "[" * 10_000 + "]" * 10_000, "deeper.yaml")
    assert "deeper.yaml:1:" in str(exc.value)
    assert parse_yaml("a: " + "[" * (YAML_MAX_DEPTH - 1) + "]" * (YAML_MAX_DEPTH - 1), "ok.yaml")["a"]


@pytest.mark.parametrize("text", [
    "title: {en: x}\n? " + "k" * 5000 + "\n: 1\nsections: [{bank: exam, draw: 1}]\n",         # an unknown key
    "title: {en: x}\nmodule: " + "m" * 5000 + "\nsections: [{bank: exam, draw: 1}]\n",         # an unknown module
    "title: {en: x}\nsections: [{bank: " + "b" * 5000 + ", draw: 1}]\n",                       # an unknown bank
    "title: {en: x}\nmodule: [" + ", ".join(["m"] * 2000) + "]\nsections: [{bank: exam, draw: 1}]\n",   # a list
    "title: !" + "t" * 5000 + " x\n",                                                          # a tag
    "title: {en: x}\n? " + "k" * 3000 + "\n: 1\n? " + "k" * 3000 + "\n: 2\n",                 # a repeated key
])
def test_an_error_message_quotes_only_an_excerpt_of_a_value(text):
    with pytest.raises(ContentInvalid) as exc:
        parse_quiz(text, "quiz", "check", {"m1"}, {"exam"})
    assert exc.value.errors and all(len(e.reason) < 400 for e in exc.value.errors)


def test_a_number_too_long_to_convert_is_an_error_not_a_crash():
    with pytest.raises(ContentInvalid) as exc:
        parse_yaml("pass_mark: " + "9" * 5000 + "\n", "q.yaml")
    assert str(exc.value).startswith("q.yaml: YAML: a value cannot be read")


def test_a_rubric_whose_criterion_key_is_a_list_is_an_error_not_a_crash():
    from lms.assessment.rubrics import parse_rubric
    with pytest.raises(ContentInvalid) as exc:
        parse_rubric("title: {en: x}\nbank: b\ncriteria: [{key: [a], name: {en: x}}]\n", "r.yaml", "r",
                     {"b": {"Q1": {"essay"}}})
    assert any("'key' must be lower-case letters" in e.reason for e in exc.value.errors)


def test_a_text_of_too_many_values_is_refused_before_it_is_built():
    from lms.limits import YAML_MAX_NODES
    text = "title: {en: x}\nsections: [" + ",".join(["1"] * 400_000) + "]\n"        # 0.8 MB
    with pytest.raises(ContentInvalid) as exc:
        parse_quiz(text, "quiz", "check", {"m1"}, {"exam"})
    assert [str(e) for e in exc.value.errors] == [f"quiz:2: more than {YAML_MAX_NODES} values in one text"]


def test_a_file_of_many_errors_shows_the_first_ones_and_keeps_no_more():
    from lms.limits import MAX_ERRORS
    text = "title: {en: x}\nsections: [" + ",".join(["1"] * 20_000) + "]\n"          # each section is wrong
    with pytest.raises(ContentInvalid) as exc:
        parse_quiz(text, "quiz", "check", {"m1"}, {"exam"})
    errors = exc.value.errors
    assert len(errors) == MAX_ERRORS + 1 and errors[0].reason == "section 1: must be a mapping"
    assert errors[-1].reason == "… and more errors; correct these first"

"""Content files are checked by declared schemas: every error in plain words, with its file and line."""
import pytest

from lms.assessment.quizfiles import parse_quiz
from lms.assessment.rubrics import parse_rubric
from lms.catalog.files import parse_course, parse_lesson
from lms.content import ContentInvalid
from lms.credentials.programmes import parse_programme
from lms.frameworks.loader import parse_framework
from lms.projects.briefs import parse_brief

REFS = {"competencies": {"D1.1"}, "courses": {"f1"}, "quizzes": {("f1", "final")}, "briefs": set(),
        "programmes": {"p"}}

CASES = {
    "framework": (lambda t: parse_framework(t, "fw.yaml"),
                  "code: [1]\ntitle: 5\nlevels: {a: 1}\ndomains:\n  - code: 'x y'\n    name: {en: x}\n"
                  "    competencies:\n      - {code: a, name: {en: 1}, levels: {F: x, Q: 1}, alignments: [3]}\n"),
    "course": (lambda t: parse_course("c1", {"course.yaml": t.encode()}, "courses/c1"),
               "code: C1\ntitle: {fr: x}\nlevel: Z\nhours: -1\nlanguages: en\nstatus: 3\n"
               "competencies: [{code: D1.1}, 5]\nprerequisites: c\nmodules:\n  - {key: m, title: {en: M}, lessons: [a/b]}\n"),
    "quiz": (lambda t: parse_quiz(t, "q.yaml", "q", {"m1"}, {"exam"}),
             "title: {en: x}\nrequired: maybe\nopens: 3\nreview: {feedback: soon}\n"
             "sections: [{bank: exam, draw: x, mark: 1.5}, {bank: exam, questions: [1]}]\n"),
    "brief": (lambda t: parse_brief(t, "b.yaml", "b", {"D1.1"}),
              "title: {en: x}\npurpose: x\ndeliverables: [3]\nlevel: F\npass_mark: '60'\ndefence: 1\n"
              "rubric: {bands: [{key: a, label: {en: A}, min: 0, max: x}], criteria: [{key: k, weight: 1.5}]}\n"),
    "rubric": (lambda t: parse_rubric(t, "r.yaml", "r", {"b": {"Q": {"essay"}}}),
               "title: {en: x}\nbank: b\nquestions: [[1]]\ncriteria:\n  - {key: k, name: {en: x, zh: y}, "
               "levels: [{points: x, descriptor: {en: a}}]}\n"),
    "programme": (lambda t: parse_programme(t, "p.yaml", "p", REFS),
                  "title: {en: x}\ndescription: {en: y}\nlevel: F\nvalidity_years: 0\ncompetencies: [{code: D9}]\n"
                  "requirements: {courses: [nope], exams: [{course: f1, quiz: other, min: 200}], hours: x}\n"
                  "cpd: {credits: 1, activities: [{type: t, per: week, credits: 1}]}\n"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_error_of_a_wrong_file_is_listed_in_plain_words_with_its_line(kind):
    parse, text = CASES[kind]
    with pytest.raises(ContentInvalid) as exc:
        parse(text)
    errors = exc.value.errors
    assert len(errors) >= 3, [str(e) for e in errors]
    for e in errors:
        assert e.line is not None and e.line <= text.count("\n"), str(e)
        assert not any(jargon in e.reason for jargon in ("Input should", "pydantic", "type=", "loc")), str(e)
    assert [e.line for e in errors] == sorted(e.line for e in errors)       # in the file's order


def test_a_number_that_is_not_finite_is_an_error_not_a_crash():
    for value in (".nan", ".inf"):
        with pytest.raises(ContentInvalid) as exc:
            parse_lesson(f"---\ntitle: {{en: A}}\nhours: {value}\n---\n", "x.md")
        assert str(exc.value).startswith("x.md:3: lesson: 'hours' must be a number between 0 and 1000")

"""Project briefs from course files and from the browser editor: every error with file, line and reason."""
import pytest
from sqlalchemy import func, select

from lms.config import REPO_ROOT
from lms.content import ContentInvalid
from lms.extensions import db
from lms.loading import load_all
from lms.projects.briefs import parse_brief
from lms.projects.models import Brief, Criterion
from tests.factories import login
from tests.factories.content import F1, HERE

CODES = {"D1.1", "D1.2"}
GOOD = (HERE / "brief.yaml").read_text(encoding="utf-8")


def test_the_shipped_briefs_load_with_complete_rubrics(app, loaded):
    briefs = {b.key: b for b in db.session.scalars(select(Brief))}
    assert set(briefs) >= {"technology-evaluation-report", "patent-landscape-ip-operations",
                           "valuation-term-sheet-commercialisation", "deal-file", "technology-summary-trl-card",
                           "ip-fact-sheet"}
    for b in briefs.values():
        assert sum(c.weight for c in b.criteria) == 100
        assert b.title_en and b.title_zh and b.purpose_en and b.purpose_zh
        assert b.two_examiners or b.level == "F"   # the Foundation practice is graded by its instructor
        assert all(set(c.descriptors) == {band["key"] for band in b.bands} for c in b.criteria)
        assert all(d["en"] and d["zh"] for c in b.criteria for d in c.descriptors.values())
    tech = briefs["technology-evaluation-report"]
    assert tech.templates == ["technology_rating", "trl"] and tech.defence_required and tech.pass_mark == 70
    assert all(c.min_score == 50 for c in tech.criteria)
    practice = briefs["technology-summary-trl-card"]
    assert practice.level == "F" and practice.pass_mark == 60 and practice.templates == ["trl"]
    assert {c.key: c.min_score for c in practice.criteria if c.min_score} == {"trl-card": 50}
    val = briefs["valuation-term-sheet-commercialisation"]
    assert val.level == "E" and val.pass_mark == 75
    assert {c.key: c.min_score for c in val.criteria if c.min_score} == {"valuation": 60, "compliance": 60}
    fact = briefs["ip-fact-sheet"]
    assert fact.level == "F" and fact.pass_mark == 60 and not fact.defence_required
    assert {c.competency.code for c in fact.criteria} == {"D3.1", "D3.3"}
    # loading again changes nothing
    assert load_all(REPO_ROOT).briefs == []


def _errors(text: str) -> list[str]:
    with pytest.raises(ContentInvalid) as exc:
        parse_brief(text, "courses/x/projects/b.yaml", "b", CODES)
    return [str(e) for e in exc.value.errors]


def test_weights_that_do_not_add_up_are_refused_with_the_line():
    errors = _errors(GOOD.replace("weight: 40", "weight: 30"))
    assert errors == ["courses/x/projects/b.yaml:19: rubric: the criteria weights add up to 90, not 100 (60 + 30)"]


def test_band_gaps_unknown_competencies_and_missing_descriptors_are_all_reported():
    text = (GOOD.replace("min: 50, max: 69", "min: 55, max: 69")
            .replace("competency: D1.2", "competency: D9.9")
            .replace('        excellent: {en: "Insightful", zh: "深刻"}\n    - key: law',
                     "    - key: law"))
    errors = _errors(text)
    assert "courses/x/projects/b.yaml:15: rubric band 'developing': starts at 55 but the previous band ends at 49 " \
           "(a gap); bands must cover 0–100 in order" in errors
    assert "courses/x/projects/b.yaml:31: criterion 'law': competency 'D9.9' is not in the competency framework" in errors
    assert "courses/x/projects/b.yaml:25: criterion 'policy': no descriptor for band 'excellent'" in errors


def test_a_broken_brief_file_stops_the_whole_load(app, content):
    path = content / "courses" / F1 / "projects" / "scan.yaml"
    path.write_text(GOOD.replace("pass_mark: 60", "pass_mark: 160").replace("title: {en", "titel: {en", 1), encoding="utf-8")
    with pytest.raises(ContentInvalid) as exc:
        load_all(content)
    assert [str(e) for e in exc.value.errors] == [
        f"courses/{F1}/projects/scan.yaml:2: unknown key 'titel'",
        f"courses/{F1}/projects/scan.yaml:2: brief: 'title' is missing (a mapping with 'en' and/or 'zh')",
        f"courses/{F1}/projects/scan.yaml:7: brief: 'pass_mark' must be a whole number from 0 to 100"]
    assert db.session.scalar(select(Brief)).pass_mark == 60


def test_instructor_edits_a_brief_in_the_browser(app, people):
    client = app.test_client()
    login(client, people["lecturer"].email)
    url = f"/projects/teach/courses/{F1}/briefs/scan"
    page = client.get(url).get_data(as_text=True)
    assert "Technology scan" in page and "rubric:" in page
    bad = client.post(url, data={"source": GOOD.replace("weight: 40", "weight: 50")}).get_data(as_text=True)
    assert "The brief was not saved" in bad and "add up to 110" in bad
    resp = client.post(url, data={"source": GOOD.replace("pass_mark: 60", "pass_mark: 65")})
    assert resp.status_code == 302
    brief = db.session.scalar(select(Brief))
    assert brief.pass_mark == 65
    # a new brief from the browser
    resp = client.post(f"/projects/teach/courses/{F1}/briefs/new",
                       data={"key": "second", "source": GOOD.replace("Technology scan", "Second brief")})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Brief)) == 2
    # a practitioner who does not teach the course cannot edit
    other = app.test_client()
    login(other, people["practitioner"].email)
    assert other.get(url).status_code == 403


def test_a_criterion_with_grades_cannot_be_removed(app, people):
    from tests.factories.projects import grade, ready_for_grading
    trainee, project = ready_for_grading(app, people)
    grade(app, people["lecturer"], project, {"policy": 80, "law": 80})
    client = app.test_client()
    login(client, people["lecturer"].email)
    start = GOOD.index("    - key: law")
    text = GOOD[:start].replace("weight: 60", "weight: 100")
    page = client.post(f"/projects/teach/courses/{F1}/briefs/scan", data={"source": text}).get_data(as_text=True)
    assert "criterion &#39;law&#39; has grades and cannot be removed" in page
    assert db.session.scalar(select(func.count()).select_from(Criterion)) == 2

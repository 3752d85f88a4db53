from sqlalchemy import select

from lms.assessment import exams
from lms.assessment.diagnostic import result
from lms.assessment.models import Attempt
from lms.extensions import db
from tests.factories import login


def right_answer(spec):
    t = spec["qtype"]
    if t == "multichoice":
        good = [i for i, a in enumerate(spec["answers"]) if float(a["fraction"]) > 0]
        return good[0] if spec["single"] else good
    if t == "truefalse":
        return "true" if spec["correct"] else "false"
    if t == "shortanswer":
        return next(a["text"] for a in spec["answers"] if a["fraction"] == "1")
    if t == "numerical":
        return next(a["value"] for a in spec["answers"] if a["fraction"] == "1")
    if t == "match":
        return {str(i): p["answer"] for i, p in enumerate(p for p in spec["pairs"] if p["text"])}
    return ""


def _sit(client, levels_right):
    client.get("/diagnostic")
    quiz = exams.diagnostic_quiz()
    client.post(f"/quizzes/{quiz.public_id}/start")
    att = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    for item in att.items:
        v = item.version
        if v.level in levels_right:
            client.post(f"/attempts/{att.public_id}/answer", json={"position": item.position,
                                                                    "response": right_answer(v.spec)})
    client.post(f"/attempts/{att.public_id}/submit")
    return db.session.get(Attempt, att.id)


def test_diagnostic_covers_every_competency_and_recommends_expert_when_all_right(client, users, loaded):
    login(client, "trainee@example.com")
    att = _sit(client, {"F", "P", "E"})
    assert att.state == "graded" and att.percent == 100
    codes = {i.version.competency.code for i in att.items}
    from lms.frameworks.services import current_competencies
    assert codes == {c.code for c in current_competencies()}     # the whole framework
    diag = result(att)
    assert diag.recommended == "E"
    page = client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True)
    assert "Recommended level: Expert" in page and "not passed" not in page and ">passed<" not in page


def test_diagnostic_recommends_foundation_and_courses_for_the_gaps(client, users, loaded):
    login(client, "trainee@example.com")
    att = _sit(client, {"F"})
    diag = result(att)
    # every competency with questions above F stops at F
    assert all(lv == "F" for code, lv in diag.levels.items())
    assert diag.recommended == "F"
    att2 = _sit(client, set())
    diag2 = result(att2)
    assert diag2.recommended == "F" and all(lv is None for lv in diag2.levels.values())
    assert {c.level for c in diag2.courses} == {"F"} and len(diag2.courses) >= 5
    page = client.get(f"/attempts/{att2.public_id}/review").get_data(as_text=True)
    assert "Recommended level: Foundation" in page and "Courses that close your gaps" in page

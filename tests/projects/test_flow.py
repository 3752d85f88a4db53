"""A real project from registration to released results, through the pages a person uses."""
import io
import re

from sqlalchemy import select

from lms.extensions import db
from lms.frameworks.models import Evidence
from lms.projects.models import Project
from tests.factories.content import PDF
from tests.factories.projects import (  # noqa: F401
    _as,
    _brief,
    _mail_to,
    confirm,
    grade,
    ready_for_grading,
    register,
    sponsor_link,
    staff,
    upload,
)


def test_register_mails_the_sponsor_a_one_time_link(app, people):
    trainee, project = register(app, people)
    assert project.status == "awaiting_sponsor"
    (subject, body), = _mail_to(app, "sponsor@acme.example")
    assert "Evaluating a solid-state electrolyte" in body and "请确认" in subject
    # the page behind the link says who and what; the mail carries only the platform's words and the title
    assert "Zhang Wei" not in body and "Acme Batteries" not in body and "Ms Sponsor" not in body
    link = sponsor_link(app)
    confirm(app, link)
    db.session.refresh(project)
    assert project.sponsor_decision == "confirmed" and project.sponsor_signed_name == "Ms Sponsor"
    assert project.sponsor_decided_at is not None and project.sponsor_decided_from == "127.0.0.1"
    assert project.status == "confirmed"
    # the link works once
    again = app.test_client().get(link)
    assert again.status_code == 410 and "has been used" in again.get_data(as_text=True)
    assert any("confirmed" in s for s, _ in _mail_to(app, "trainee@example.com"))


def test_a_new_link_replaces_the_old_one_and_a_forged_link_fails(app, people):
    trainee, project = register(app, people)
    first = sponsor_link(app)
    trainee.post(f"/projects/{project.public_id}/sponsor-link")
    second = sponsor_link(app)
    assert first != second
    assert "replaced by a newer one" in app.test_client().get(first).get_data(as_text=True)
    forged = second[:-3] + ("abc" if not second.endswith("abc") else "xyz")
    assert "not valid" in app.test_client().get(forged).get_data(as_text=True)


def test_an_expired_link_is_refused(app, people):
    register(app, people)
    link = sponsor_link(app)
    app.config["SPONSOR_LINK_DAYS"] = -1
    resp = app.test_client().get(link)
    assert resp.status_code == 410 and "expired" in resp.get_data(as_text=True)


def test_sponsor_declines_and_grading_is_blocked_until_an_admin_overrides(app, people):
    trainee, project = register(app, people)
    anon = app.test_client()
    anon.post(sponsor_link(app), data={"decision": "decline", "statement": "", "signed_name": "Ms Sponsor"})
    db.session.refresh(project)
    assert project.status == "declined"
    page = upload(trainee, project, [(io.BytesIO(PDF), "r.pdf")]).get_data(as_text=True)
    assert "declined this project" in page
    admin = _as(app, people["admin"])
    admin.post(f"/projects/{project.public_id}/override", data={"reason": "Sponsor confirmed by phone, see ticket 42"})
    db.session.refresh(project)
    assert project.is_confirmed and project.override_reason.startswith("Sponsor confirmed by phone")
    from lms.accounts.models import AuditEvent
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "project.override_confirmation"))


def test_two_examiners_close_together_give_the_mean_and_release_writes_evidence(app, people):
    trainee, project = ready_for_grading(app, people)
    _, resp = grade(app, people["lecturer"], project, {"policy": 80, "law": 70})
    assert "Grade submitted" in resp.get_data(as_text=True)
    # the second examiner cannot see the first grade before submitting their own
    prac = _as(app, people["practitioner"])
    page = prac.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "policy note" not in page and "Grades and feedback" not in page
    # nor can the trainee
    assert "policy note" not in trainee.get(f"/projects/{project.public_id}").get_data(as_text=True)
    grade(app, people["practitioner"], project, {"policy": 76, "law": 72})
    db.session.refresh(project)
    # 0.6*80+0.4*70 = 76 and 0.6*76+0.4*72 = 74.4: within 15 points, both pass -> the mean of the criteria
    assert project.status == "awaiting_defence"
    assert project.final_scores == {"policy": 78.0, "law": 71.0} and project.final_score == 75.2
    # release is refused until the defence is recorded
    lect = _as(app, people["lecturer"])
    assert "not ready" in lect.post(f"/projects/{project.public_id}/release", follow_redirects=True).get_data(as_text=True)
    lect.post(f"/projects/{project.public_id}/defence", data={"held_on": "2026-11-20", "panel": "Li Hua, Zhao Gang",
                                                               "outcome": "passed", "notes": ""})
    assert "policy note" not in trainee.get(f"/projects/{project.public_id}").get_data(as_text=True)
    lect.post(f"/projects/{project.public_id}/release")
    db.session.refresh(project)
    assert project.status == "released"
    page = trainee.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "75.2 / 100" in page and "passed" in page and "policy note" in page and "Clear report." in page
    ev = db.session.scalars(select(Evidence).where(Evidence.user_id == people["trainee"].id)).all()
    assert sorted((e.source, e.level, e.fraction) for e in ev) == [("project", "F", 0.71), ("project", "F", 0.78)]
    assert "results" in _mail_to(app, "trainee@example.com")[-1][0]
    profile = trainee.get("/profile/competencies").get_data(as_text=True)
    assert "real project" in profile


def test_grades_far_apart_go_to_reconciliation_and_the_agreed_grade_is_final(app, people, final_reason_migration):
    trainee, project = ready_for_grading(app, people)
    grade(app, people["lecturer"], project, {"policy": 90, "law": 88})
    grade(app, people["practitioner"], project, {"policy": 55, "law": 60})
    db.session.refresh(project)
    assert project.status == "reconciliation" and project.final_score is None
    lect = _as(app, people["lecturer"])
    page = lect.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "Record the agreed grade" in page
    # both grades are visible to the examiners now, and the form starts from their mean
    form = lect.get(f"/projects/{project.public_id}/grade?agreed=1").get_data(as_text=True)
    assert "89.2" in form and "57" in form
    _, resp = grade(app, people["lecturer"], project, {"policy": 72, "law": 74}, agreed=True, reason="")
    assert "Give the reason" in resp.get_data(as_text=True)
    grade(app, people["lecturer"], project, {"policy": 72, "law": 74}, agreed=True,
          reason="The practitioner's reading of the market section prevails; policy analysis is sound.")
    db.session.refresh(project)
    assert project.final_scores == {"policy": 72.0, "law": 74.0}
    reason = "The practitioner's reading of the market section prevails; policy analysis is sound."
    assert project.final_basis == {"rule": "agreed", "examiner_id": people["lecturer"].id, "reason": reason}
    lect.post(f"/projects/{project.public_id}/defence", data={"held_on": "2026-11-20", "panel": "Li Hua, Zhao Gang",
                                                               "outcome": "passed", "notes": ""})
    page = lect.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert f"agreed by {people['lecturer'].display_name} after reconciliation: The practitioner&#39;s reading" in page
    # a sentence stored before revision 0019 becomes the same facts (the agreed grade's examiner and reason)
    sentence = f"agreed by {people['lecturer'].display_name} after reconciliation: {reason}"
    conn = db.session.connection()
    assert final_reason_migration.basis_from_sentence(conn, project.id, sentence) == project.final_basis
    assert final_reason_migration.sentence_from_basis(conn, project.final_basis) == sentence
    assert len([g for g in project.grades if g.submitted_at]) == 3     # every grade stays on record


def test_how_the_final_grade_was_reached_is_told_in_the_readers_language(app, people):
    """Graded during English requests, the basis is stored as facts: a Chinese reader reads it in Chinese."""
    trainee, project = ready_for_grading(app, people)
    grade(app, people["lecturer"], project, {"policy": 80, "law": 70})           # 76
    grade(app, people["practitioner"], project, {"policy": 76, "law": 72})       # 74.4
    lect = _as(app, people["lecturer"])
    lect.post(f"/projects/{project.public_id}/defence", data={"held_on": "2026-11-20", "panel": "Li Hua, Zhao Gang",
                                                               "outcome": "passed", "notes": ""})
    db.session.refresh(project)
    assert project.status == "ready"
    assert project.final_basis == {"rule": "mean", "totals": [76.0, 74.4], "limit": 15.0}
    english = lect.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "mean of the two examiners' grades (76 and 74.4; difference 1.6 ≤ 15, same pass/fail)" in english
    people["lecturer"].locale = "zh_Hans"
    db.session.commit()
    chinese = _as(app, people["lecturer"]).get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "两位考官评分的平均值（76 分和 74.4 分；相差 1.6 分 ≤ 15 分，通过与否一致）" in chinese
    assert "mean of the two examiners" not in chinese


def test_a_third_examiner_decides_with_the_two_closest_grades(app, people):
    trainee, project = ready_for_grading(app, people)
    grade(app, people["lecturer"], project, {"policy": 90, "law": 90})
    grade(app, people["practitioner"], project, {"policy": 40, "law": 40})   # fails the minimum too
    db.session.refresh(project)
    assert project.status == "reconciliation"
    resp = staff(app, people, project, lecturer="lecturer", practitioner="practitioner", third="third")
    assert "Assignments saved" in resp.get_data(as_text=True)
    grade(app, people["third"], project, {"policy": 80, "law": 80})
    db.session.refresh(project)
    assert project.final_scores == {"policy": 85.0, "law": 85.0}
    assert project.final_basis == {"rule": "third", "closest": [90.0, 80.0], "totals": [90.0, 40.0, 80.0]}


def test_a_score_below_a_criterion_minimum_fails_whatever_the_total(app, people):
    trainee, project = ready_for_grading(app, people)
    # 0.6*45 + 0.4*100 = 67 >= 60 but policy < 50
    grade(app, people["lecturer"], project, {"policy": 45, "law": 100})
    grade(app, people["practitioner"], project, {"policy": 45, "law": 100})
    db.session.refresh(project)
    assert project.final_score == 67.0 and project.passed is False


def test_band_and_score_must_agree_and_submitted_grades_are_final(app, people):
    trainee, project = ready_for_grading(app, people)
    c = _as(app, people["lecturer"])
    brief = _brief()
    policy, law = brief.criteria
    data = {f"band-{policy.id}": "excellent", f"score-{policy.id}": "60", f"band-{law.id}": "proficient",
            f"score-{law.id}": "75", "overall": "x", "action": "submit"}
    page = c.post(f"/projects/{project.public_id}/grade", data=data).get_data(as_text=True)
    assert "outside the band you chose (85–100)" in page
    # a draft keeps partial work
    c.post(f"/projects/{project.public_id}/grade", data={f"band-{law.id}": "proficient", f"score-{law.id}": "75",
                                                         "overall": "", "action": "draft"})
    assert 'value="75"' in c.get(f"/projects/{project.public_id}/grade").get_data(as_text=True)
    grade(app, people["lecturer"], project, {"policy": 80, "law": 80})
    _, again = grade(app, people["lecturer"], project, {"policy": 10, "law": 10})
    assert "can no longer change" in again.get_data(as_text=True)


def test_examiner_rules(app, people):
    trainee, project = register(app, people)
    resp = staff(app, people, project, lecturer="practitioner").get_data(as_text=True)
    assert "must be an instructor of the course" in resp
    resp = staff(app, people, project, lecturer="lecturer", practitioner="lecturer").get_data(as_text=True)
    assert "must be independent" in resp
    resp = staff(app, people, project, coach="practitioner", lecturer="lecturer", practitioner="practitioner")
    assert "must be independent" in resp.get_data(as_text=True)
    resp = staff(app, people, project, coach="lecturer", lecturer="lecturer", practitioner="practitioner")
    assert "Assignments saved" in resp.get_data(as_text=True)
    assert any("examiner" in s for s, _ in _mail_to(app, "practitioner@example.com"))
    # a third examiner only in reconciliation
    resp = staff(app, people, project, lecturer="lecturer", practitioner="practitioner", third="third")
    assert "only when the two grades must be reconciled" in resp.get_data(as_text=True)


def test_failed_project_can_be_resubmitted_once(app, people):
    trainee, project = ready_for_grading(app, people)
    grade(app, people["lecturer"], project, {"policy": 40, "law": 40})
    grade(app, people["practitioner"], project, {"policy": 42, "law": 45})
    lect = _as(app, people["lecturer"])
    lect.post(f"/projects/{project.public_id}/defence", data={"held_on": "2026-11-20", "panel": "Panel",
                                                               "outcome": "failed", "notes": "weak"})
    lect.post(f"/projects/{project.public_id}/release")
    page = trainee.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "not passed" in page and "Resubmit" in page
    resp = trainee.post(f"/projects/{project.public_id}/resubmit", follow_redirects=True)
    assert "Second round opened" in resp.get_data(as_text=True)
    second = db.session.scalar(select(Project).where(Project.previous_id == project.id))
    assert second.round == 2 and second.is_confirmed and len(second.examiners) == 2 and second.status == "confirmed"
    assert "Resubmit" not in trainee.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "cannot be resubmitted" in trainee.post(f"/projects/{project.public_id}/resubmit",
                                                   follow_redirects=True).get_data(as_text=True)


def test_worksheet_computes_the_weighted_rating_and_checks_trl_evidence(app, people):
    from lms.projects import worksheets
    trainee, project = register(app, people)
    data = {f"w-{i.key}": str(i.default_weight) for i in worksheets.INDICATORS}
    data.update({f"r-{i.key}": "B" for i in worksheets.INDICATORS})
    data.update({"r-t1": "A", "trl_scale": "nasa", "trl": "4", "trl-1": "paper", "trl-2": "concept",
                 "trl-3": "lab test"})
    page = trainee.post(f"/projects/{project.public_id}/worksheet", data=data).get_data(as_text=True)
    assert "missing for TRL 4" in page and "give the evidence for the rating" in page
    assert "Complete the plan for reaching TRL 5" in page
    data.update({f"e-{i.key}": f"evidence for {i.key}" for i in worksheets.INDICATORS})
    data.update({"plan-activities": "breadboard test in a customer's plant", "plan-evidence": "test report",
                 "plan-resources": "a pilot line and 40万元", "plan-time": "6 months, by June 2027"})
    data["trl-4"] = "validated in the lab, report 2026-03"
    data["w-t1"] = "0.5"
    page = trainee.post(f"/projects/{project.public_id}/worksheet", data=data).get_data(as_text=True)
    assert "add up to 1.400" in page
    data["w-t1"] = "0.10"
    trainee.post(f"/projects/{project.public_id}/worksheet", data=data)
    db.session.refresh(project)
    # all B (4 points) except t1 A (5): mean 4.1 points, (4.1 - 1) / 4 * 100 = 77.5
    sheet = project.assessment
    assert sheet.score == 77.5 and sheet.grade == "A" and sheet.trl == 4 and sheet.trl_scale == "nasa"
    assert sheet.rating_evidence["m3"] == "evidence for m3" and sheet.trl_plan["time"] == "6 months, by June 2027"
    examiner_view = _as(app, people["admin"]).get(f"/projects/{project.public_id}/worksheet").get_data(as_text=True)
    assert "77.5" in examiner_view and "validated in the lab" in examiner_view and "evidence for g2" in examiner_view
    assert "breadboard validation in laboratory environment" in examiner_view and "by June 2027" in examiner_view
    people["admin"].locale = "zh_Hans"
    db.session.commit()
    chinese = _as(app, people["admin"]).get(f"/projects/{project.public_id}/worksheet").get_data(as_text=True)
    assert "技术等级 A" in chinese and "不是信用评级" in chinese and "评级依据" in chinese
    assert "部件和/或实验板在实验室环境中完成验证" in chinese and "迈向下一等级的计划" in chinese


def test_confidential_projects_hide_details_from_course_staff_who_are_not_examiners(app, people):
    trainee, project = register(app, people, confidential="y")
    lect = _as(app, people["lecturer"])
    page = lect.get(f"/projects/{project.public_id}").get_data(as_text=True)
    assert "Confidential project" in page and "Acme Batteries" not in page
    overview = lect.get(f"/projects/briefs/{_brief().public_id}/overview").get_data(as_text=True)
    assert "Acme Batteries" not in overview and "Evaluating a solid-state" not in overview
    staff(app, people, project, lecturer="lecturer")
    assert "Acme Batteries" in lect.get(f"/projects/{project.public_id}").get_data(as_text=True)


def test_overview_shows_rubric_statistics(app, people):
    trainee, project = ready_for_grading(app, people)
    grade(app, people["lecturer"], project, {"policy": 80, "law": 55})
    grade(app, people["practitioner"], project, {"policy": 90, "law": 86})
    page = _as(app, people["lecturer"]).get(f"/projects/briefs/{_brief().public_id}/overview").get_data(as_text=True)
    # policy: proficient vs excellent (adjacent bands); law: developing vs excellent (two apart)
    assert re.search(r"Policy context</th><td>60%</td><td>85</td><td>2</td>\s*<td>0%</td><td>100%</td>", page)
    assert re.search(r"Legal basis</th><td>40%</td><td>70.5</td><td>2</td>\s*<td>0%</td><td>0%</td>", page)


def test_a_trainee_cannot_register_twice_for_the_same_brief(app, people):
    trainee, project = register(app, people)
    resp = trainee.post(f"/projects/briefs/{_brief().public_id}/register", data={
        "title": "Again", "description": "d", "trainee_role": "r", "sponsor_org": "o", "sponsor_kind": "company",
        "sponsor_name": "n", "sponsor_email": "n@o.example"}, follow_redirects=True)
    assert "already have a project for this brief" in resp.get_data(as_text=True)

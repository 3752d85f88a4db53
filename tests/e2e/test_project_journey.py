"""Journey 4: a real project from registration to released results, with the sponsor answering from the
e-mailed link (in Chinese) and two examiners far apart, so that reconciliation runs."""
import email
import email.policy
import re

import pytest
from playwright.sync_api import expect

from tests.factories.journeys import confirm_registration

pytestmark = pytest.mark.e2e
SHOTS = "e2e-screenshots"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def login(browser, base_url, address, password):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def last_link_to(outbox, address):
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == address:
            return re.search(r"https?://\S+", msg.get_content()).group(0)
    raise AssertionError(f"no mail to {address}")


def choose(page, label, address):
    select = page.get_by_label(label)
    select.select_option(select.locator("option", has_text=address).get_attribute("value"))


def grade(page, scores, overall):
    for i, score in enumerate(scores):
        box = page.locator("fieldset.criterion").nth(i)
        band = 0 if score < 50 else 1 if score < 70 else 2 if score < 85 else 3
        box.locator("input[type=radio]").nth(band).check()
        box.get_by_label("Score (0–100)").fill(str(score))
        box.get_by_label("Comment").fill(f"criterion {i + 1}: see the margin notes")
    page.get_by_label("Overall comment to the trainee").fill(overall)


def _enrol(app, address, slug):
    from lms.accounts.models import User
    from lms.catalog.models import Course, Enrolment
    from lms.extensions import db
    with app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == slug))
        course.status = "published"
        user = db.session.scalar(db.select(User).where(User.email == address))
        db.session.add(Enrolment(user_id=user.id, course_id=course.id))
        db.session.commit()


def test_project_from_registration_to_feedback_and_evidence(browser, base_url, live_server, check_a11y):
    outbox = live_server.config["LMS_OUTBOX"]
    trainee = browser.new_context(bypass_csp=True).new_page()
    trainee.goto(base_url + "/register")
    trainee.get_by_label("E-mail").fill("project.trainee@example.com")
    trainee.get_by_label("Name in Latin script").fill("Zhang Wei")
    trainee.get_by_label("Password", exact=True).fill("a-good-password")
    trainee.get_by_label("Repeat the password").fill("a-good-password")
    trainee.get_by_role("button", name="Create account").click()
    confirm_registration(trainee, outbox, "project.trainee@example.com")
    # real projects are for trainees enrolled in the brief's published course: P1 is an outline in the shipped
    # content and needs F3 first, so the journey publishes it and enrols the trainee as an administrator would
    _enrol(live_server, "project.trainee@example.com", "p1-technology-evaluation-dd")
    trainee.get_by_role("link", name="Projects").first.click()
    check_a11y(trainee, "projects")
    trainee.get_by_role("link", name="Technology Evaluation Report").click()
    check_a11y(trainee, "brief")
    trainee.screenshot(path=f"{SHOTS}/journey4-brief.png", full_page=True)
    trainee.get_by_role("link", name="Register a project for this brief").click()
    trainee.get_by_label("Project title").fill("Evaluation of a solid-state electrolyte for Acme Batteries")
    trainee.get_by_label("What the project is about").fill("A university lab's sulfide electrolyte; Acme considers a licence.")
    trainee.get_by_label("Your role in the project").fill("I led the evaluation and wrote the report.")
    trainee.get_by_label("Sponsor organisation").fill("Acme Batteries Ltd")
    trainee.get_by_label("Kind of organisation").select_option("company")
    trainee.get_by_label("Sponsor contact's name").fill("Wang Fang")
    trainee.get_by_label("Sponsor contact's e-mail").fill("wang.fang@acme.example")
    check_a11y(trainee, "register project")
    trainee.get_by_role("button", name="Register the project and ask the sponsor to confirm").click()
    expect(trainee.get_by_text("We have e-mailed Wang Fang a link")).to_be_visible()
    project_url = trainee.url

    # the sponsor, without an account, answers in Chinese
    sponsor = browser.new_context(bypass_csp=True, locale="zh-CN").new_page()
    sponsor.goto(last_link_to(outbox, "wang.fang@acme.example"))
    expect(sponsor.get_by_role("heading", name="确认项目")).to_be_visible()
    check_a11y(sponsor, "sponsor page")
    sponsor.get_by_label("我确认这是本单位的真实项目").check()
    sponsor.get_by_label("学员在项目中承担的工作和贡献").fill("张伟负责技术评估，报告已用于许可谈判。")
    sponsor.get_by_label("您的姓名").fill("王芳")
    sponsor.screenshot(path=f"{SHOTS}/journey4-sponsor-zh.png", full_page=True)
    sponsor.get_by_role("button", name="提交答复").click()
    expect(sponsor.get_by_text("您的答复已记录")).to_be_visible()

    trainee.goto(project_url)
    expect(trainee.get_by_text("by 王芳")).to_be_visible()
    expect(trainee.get_by_text("Version 1 of at most 10; up to 10 files, each at most 25.0 MB.")).to_be_visible()
    trainee.get_by_label("Files (PDF, DOCX, XLSX, PPTX, PNG or JPEG)").set_input_files(
        files=[{"name": "技术评估报告.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    trainee.get_by_role("button", name="Submit this version").click()
    expect(trainee.get_by_text("Version 1 submitted with 1 files")).to_be_visible()

    # the course's lecturer assigns the examiners: themself and an independent practitioner
    teacher = login(browser, base_url, "teacher@example.com", "teacher-password")
    teacher.goto(project_url)
    choose(teacher, "Lecturer examiner", "teacher@example.com")
    choose(teacher, "Independent practitioner examiner", "practitioner@example.com")
    teacher.get_by_role("button", name="Save the assignments").click()
    expect(teacher.get_by_text("Assignments saved")).to_be_visible()
    check_a11y(teacher, "project page (lecturer)")
    teacher.get_by_role("link", name="Grade this project").click()
    check_a11y(teacher, "grading form")
    grade(teacher, [90, 88, 90, 85, 86, 90, 88], "A thorough, well-evidenced evaluation.")
    teacher.screenshot(path=f"{SHOTS}/journey4-grading.png", full_page=True)
    teacher.get_by_role("button", name="Submit grade").click()
    expect(teacher.get_by_text("Grade submitted")).to_be_visible()

    practitioner = login(browser, base_url, "practitioner@example.com", "practitioner-password")
    practitioner.goto(base_url + "/projects/grading")
    practitioner.get_by_role("link", name="Evaluation of a solid-state electrolyte for Acme Batteries").click()
    expect(practitioner.get_by_text("A thorough, well-evidenced evaluation.")).to_have_count(0)   # not before own grade
    practitioner.get_by_role("link", name="Grade this project").click()
    grade(practitioner, [60, 55, 62, 58, 60, 65, 60], "The market analysis rests on two interviews only.")
    practitioner.get_by_role("button", name="Submit grade").click()
    expect(practitioner.get_by_text("grades being reconciled")).to_be_visible()

    # reconciliation: the lecturer records the grade both agreed, with the reason
    teacher.goto(project_url)
    teacher.get_by_role("link", name="Record the agreed grade").click()
    grade(teacher, [78, 72, 74, 75, 78, 80, 76], "Sound evaluation; strengthen the customer validation.")
    teacher.get_by_label("Why this grade (kept on the record)").fill(
        "Agreed after a call: the market section needs more interviews, the rest is proficient.")
    teacher.get_by_role("button", name="Submit grade").click()
    expect(teacher.get_by_text("waiting for the oral defence")).to_be_visible()
    teacher.get_by_label("Date of the defence").fill("2026-11-24")
    teacher.get_by_label("Panel members").fill("Li Hua, Zhao Gang")
    teacher.get_by_label("Outcome").select_option("passed")
    teacher.get_by_role("button", name="Record the defence").click()
    teacher.get_by_role("button", name="Release grade and feedback to the trainee").click()
    expect(teacher.get_by_text("Results released to the trainee")).to_be_visible()

    trainee.goto(project_url)
    expect(trainee.get_by_role("heading", name=re.compile(r"Result: \d+(\.\d)? \/ 100 — passed"))).to_be_visible()
    expect(trainee.get_by_text("Sound evaluation; strengthen the customer validation.")).to_be_visible()
    check_a11y(trainee, "released result")
    trainee.screenshot(path=f"{SHOTS}/journey4-result.png", full_page=True)
    trainee.get_by_role("link", name="See the evidence in your competency profile").click()
    trainee.locator("summary").first.click()
    expect(trainee.get_by_text("real project").first).to_be_visible()
    trainee.screenshot(path=f"{SHOTS}/journey4-profile.png", full_page=True)

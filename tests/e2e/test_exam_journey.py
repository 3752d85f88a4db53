import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.assessment import overrides
from lms.assessment.models import Attempt, Quiz
from lms.db import utcnow
from lms.extensions import db
from tests.factories.journeys import confirm_registration

pytestmark = pytest.mark.e2e
F1 = "f1-system-policy-ethics"

BROKEN = """$CATEGORY: $course$/top/TTM/D1/D1.3

// [id:E2E-1] [tag:level-F]
::Gift::May you accept a gift from a licensee during negotiations? {=No, decline and record it ~Yes

// [id:E2E-2] [tag:level-F]
::Disclosure::Whom do you tell about a conflict of interest? {=Your manager ~Nobody}
"""


def register(page, base_url, outbox, email):
    page.goto(base_url + "/register")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Name in Latin script").fill("Exam Sitter")
    page.get_by_label("Password", exact=True).fill("a-good-password")
    page.get_by_label("Repeat the password").fill("a-good-password")
    page.get_by_role("button", name="Create account").click()
    confirm_registration(page, outbox, email)


def _move_deadline(app, email, seconds):
    """The server's deadline of the person's open attempt, moved to `seconds` from now (as if time had passed)."""
    with app.app_context():
        att = db.session.scalar(select(Attempt).join(User, User.id == Attempt.user_id)
                                .where(User.email == email, Attempt.state == "open"))
        att.deadline = utcnow() + timedelta(seconds=seconds)
        db.session.commit()


def test_the_countdown_follows_the_servers_clock_warns_before_the_end_and_learns_of_extra_time(
        browser, base_url, live_server, check_a11y):
    page = browser.new_context(bypass_csp=True).new_page()
    # this computer's clock is three hours fast: the countdown must not believe it
    page.clock.install(time=datetime.now(UTC) + timedelta(hours=3))
    register(page, base_url, live_server.config["LMS_OUTBOX"], "clock@example.com")
    page.goto(base_url + f"/courses/{F1}")
    page.get_by_role("button", name="Enrol").click()
    page.goto(base_url + f"/courses/{F1}")
    page.get_by_role("link", name="Timed practice exam").click()
    page.get_by_role("button", name="Start the exam").click()
    countdown, alert = page.locator("#countdown"), page.locator("#time-alert")
    expect(countdown).to_have_text(re.compile(r"^(9|10):\d\d$"))
    expect(alert).to_have_text("")
    expect(alert).to_have_attribute("role", "alert")          # read out when it changes
    shown_again = "document.dispatchEvent(new Event('visibilitychange'))"      # as after the laptop slept

    _move_deadline(live_server, "clock@example.com", 290)
    page.evaluate(shown_again)
    expect(countdown).to_have_text(re.compile(r"^4:\d\d$"))
    expect(alert).to_have_text("Less than five minutes left.")
    expect(countdown).to_have_class(re.compile(r"\btime-low\b"))
    check_a11y(page, "attempt, five minutes left")
    _move_deadline(live_server, "clock@example.com", 50)
    page.evaluate(shown_again)
    expect(alert).to_have_text("Less than one minute left.")
    page.reload()                                  # said once: not again on a page loaded anew
    expect(countdown).to_have_text(re.compile(r"^0:[0-5]\d$"))
    expect(countdown).to_have_class(re.compile(r"\btime-low\b"))
    expect(alert).to_have_text("")

    # the instructor gives 15 minutes of extra time: the open page learns it without a reload
    with live_server.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "e2e-timed"))
        trainee = db.session.scalar(select(User).where(User.email == "clock@example.com"))
        teacher = db.session.scalar(select(User).where(User.email == "teacher@example.com"))
        overrides.set_override(quiz, trainee, 15, 0, "accessibility plan", teacher)
        db.session.commit()
    page.evaluate(shown_again)
    expect(countdown).to_have_text(re.compile(r"^2[45]:\d\d$"))
    expect(countdown).not_to_have_class(re.compile(r"\btime-low\b"))
    expect(alert).to_have_text("")


def test_timed_exam_survives_closing_the_page_and_an_instructor_grades_the_essay(browser, base_url, live_server,
                                                                                  check_a11y):
    ctx = browser.new_context(bypass_csp=True)
    page = ctx.new_page()
    register(page, base_url, live_server.config["LMS_OUTBOX"], "sitter@example.com")
    page.goto(base_url + f"/courses/{F1}")
    page.get_by_role("button", name="Enrol").click()
    page.goto(base_url + f"/courses/{F1}")
    page.get_by_role("link", name="Timed practice exam").click()
    check_a11y(page, "quiz page")
    page.get_by_role("button", name="Start the exam").click()
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^(9|10):\d\d$"))
    check_a11y(page, "attempt")
    # a keyboard user skips the navigation panel: the next Tab lands in the questions
    skip = page.get_by_role("link", name="Skip to the questions")
    skip.focus()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#attempt-form fieldset.question') !== null")
    questions = page.locator("fieldset.question")
    questions.nth(0).locator("input[type=radio]").nth(1).check()
    expect(questions.nth(0).locator(".saved-at")).to_have_text("Saved")
    questions.nth(1).locator("input[type=radio]").nth(2).check()
    expect(questions.nth(1).locator(".saved-at")).to_have_text("Saved")
    nav = page.get_by_role("navigation", name="Questions").get_by_role("link")
    expect(nav.nth(0)).to_have_class(re.compile(r"\banswered\b"))
    expect(nav.nth(2)).not_to_have_class(re.compile(r"\banswered\b"))
    questions.nth(2).get_by_label("Flag for review").check()          # the essay, to come back to
    expect(nav.nth(2)).to_have_class(re.compile(r"\bflagged\b"))
    expect(nav.nth(2)).to_contain_text("not yet answered, flagged for review")   # what a screen reader hears
    expect(questions.nth(2).locator(".saved-at")).to_have_text("")                # a flag is not an answer
    page.close()                                   # half-way: the browser tab is gone

    page = ctx.new_page()
    page.goto(base_url + f"/courses/{F1}")
    page.get_by_role("link", name="Timed practice exam").click()
    page.get_by_role("link", name="Continue your attempt").click()
    questions = page.locator("fieldset.question")
    expect(questions.nth(0).locator("input[type=radio]").nth(1)).to_be_checked()
    expect(questions.nth(1).locator("input[type=radio]").nth(2)).to_be_checked()
    expect(questions.nth(2).get_by_label("Flag for review")).to_be_checked()
    nav = page.get_by_role("navigation", name="Questions").get_by_role("link")
    expect(nav.nth(1)).to_have_class(re.compile(r"\banswered\b"))
    expect(nav.nth(2)).to_have_class(re.compile(r"\bflagged\b"))
    nav.nth(2).click()
    questions.nth(2).locator("textarea").fill("I would declare my shares in the licensee, step out of the deal, "
                                               "and let a colleague lead the negotiation.")
    page.get_by_role("navigation", name="Questions").get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_role("heading", name="Summary of attempt")).to_be_visible()
    expect(page.get_by_text("Flagged", exact=True)).to_have_count(1)
    check_a11y(page, "summary")
    page.get_by_role("button", name="Submit all and finish").click()
    expect(page.get_by_text("waiting for an instructor's grading")).to_be_visible()
    expect(page.locator(".general-feedback").first).to_be_visible()
    check_a11y(page, "review")
    page.screenshot(path="e2e-screenshots/journey3-review-before-grading.png", full_page=True)

    teacher = browser.new_context(bypass_csp=True).new_page()
    teacher.goto(base_url + "/login")
    teacher.get_by_label("E-mail").fill("teacher@example.com")
    teacher.get_by_label("Password").fill("teacher-password")
    teacher.get_by_role("button", name="Log in").click()
    teacher.get_by_role("link", name="Question bank").first.click()
    check_a11y(teacher, "question bank")
    teacher.get_by_role("link", name="Import questions").click()
    check_a11y(teacher, "import")
    teacher.get_by_label("Question file (GIFT, Moodle XML or Aiken, UTF-8)").set_input_files(
        files=[{"name": "ethics.gift", "mimeType": "text/plain", "buffer": BROKEN.encode()}])
    teacher.get_by_label("Bank (existing or new address name)").fill("ethics-extra")
    teacher.get_by_role("button", name="Import").click()
    expect(teacher.locator(".import-errors")).to_contain_text("ethics.gift:4:")
    fixed = BROKEN.replace("~Yes\n", "~Yes}\n")
    teacher.get_by_label("Question file (GIFT, Moodle XML or Aiken, UTF-8)").set_input_files(
        files=[{"name": "ethics.gift", "mimeType": "text/plain", "buffer": fixed.encode()}])
    teacher.get_by_label("Bank (existing or new address name)").fill("ethics-extra")
    teacher.get_by_role("button", name="Import").click()
    expect(teacher.get_by_text("Imported into ethics-extra: 2 new")).to_be_visible()

    # the shipped rubric of this essay: one level per criterion, the grade is the points chosen over 10
    teacher.get_by_role("link", name="Essay rubrics").click()
    expect(teacher.get_by_role("heading", name="Ethics analysis of a case")).to_be_visible()
    check_a11y(teacher, "essay rubrics")
    teacher.screenshot(path="e2e-screenshots/journey3-rubrics.png", full_page=True)
    teacher.goto(base_url + "/teach/grading")
    check_a11y(teacher, "grading queue")
    expect(teacher.get_by_text("step out of the deal")).to_be_visible()
    expect(teacher.locator("table.essay-rubric caption")).to_contain_text("Rubric: Ethics analysis of a case")
    expect(teacher.get_by_label(re.compile("Points"))).to_have_count(0)
    for level in ("2 of 3 · Identification of the ethical issues", "3 of 3 · Course of action",
                  "1 of 3 · Analysis and argument", "1 of 1 · Structure and clarity"):
        teacher.get_by_role("radio", name=re.compile(level)).check()
    teacher.get_by_label("Comment").first.fill("Clear disclosure and recusal.")
    teacher.screenshot(path="e2e-screenshots/journey3-grading-rubric.png", full_page=True)
    teacher.get_by_role("button", name="Save grade").first.click()
    expect(teacher.get_by_text("Grade saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_text(re.compile(r"Result: \d+(\.\d+)?%"))).to_be_visible()
    expect(page.get_by_text("Clear disclosure and recusal.")).to_be_visible()
    levels = page.locator("table.rubric-result")
    expect(levels).to_contain_text("Most situations' issues are identified")
    expect(levels).to_contain_text("A sound, practical action for every situation")
    expect(levels.locator("tfoot")).to_contain_text("7 / 10")
    expect(page.get_by_text("0.7 / 1")).to_be_visible()
    check_a11y(page, "review with rubric levels")
    page.screenshot(path="e2e-screenshots/journey3-review-graded.png", full_page=True)
    page.goto(base_url + "/profile/competencies")
    check_a11y(page, "profile")
    expect(page.locator("svg")).to_be_visible()

    # the instructor's results: the sitter's graded attempt and the grade that counts
    teacher.goto(base_url + f"/courses/{F1}")
    teacher.get_by_role("link", name="Timed practice exam").click()
    teacher.get_by_role("link", name="Results").click()
    expect(teacher.get_by_role("heading", name="Results: Timed practice exam")).to_be_visible()
    sitter = teacher.get_by_role("rowheader", name=re.compile("sitter@example.com"))
    expect(sitter).to_be_visible()
    expect(teacher.locator("table.results")).to_contain_text("graded")
    check_a11y(teacher, "exam results")
    teacher.screenshot(path="e2e-screenshots/journey3-results.png", full_page=True)

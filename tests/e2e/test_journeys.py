import re

import pytest
from playwright.sync_api import expect

from tests.factories.journeys import confirm_registration, last_link_to

pytestmark = pytest.mark.e2e
F1 = "f1-system-policy-ethics"


def test_trainee_registers_switches_to_chinese_finds_course_through_framework_and_learns(page, base_url, live_server,
                                                                                        check_a11y):
    page.goto(base_url + "/")
    check_a11y(page, "home")
    page.get_by_role("link", name="Register").click()
    check_a11y(page, "register")
    page.get_by_label("E-mail").fill("wang.fang@example.com")
    page.get_by_label("Name in Chinese").fill("王芳")
    page.get_by_label("Name in Latin script").fill("Wang Fang")
    page.get_by_label("Password", exact=True).fill("a-good-password")
    page.get_by_label("Repeat the password").fill("a-good-password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check_a11y(page, "check your e-mail")
    page.goto(last_link_to(live_server.config["LMS_OUTBOX"], "wang.fang@example.com"))
    check_a11y(page, "confirm registration")
    page.get_by_label("The password you chose when you registered").fill("a-good-password")
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", name="Welcome, 王芳")).to_be_visible()
    check_a11y(page, "dashboard")

    # switch to Chinese from the header
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="欢迎，王芳")).to_be_visible()

    # find a Foundation course through the competency framework
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="能力框架").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("技术经理人能力框架")
    check_a11y(page, "framework")
    page.locator("details.competency summary", has_text="D1.1").click()
    page.get_by_role("link", name=re.compile("D1.1 的对标")).click()
    check_a11y(page, "competency")
    page.get_by_role("link", name="技术转移体系、政策法规与职业伦理").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("技术转移体系、政策法规与职业伦理")
    check_a11y(page, "course")

    page.get_by_role("button", name="报名").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("什么是.*技术转移"))
    check_a11y(page, "lesson 1")
    page.get_by_role("button", name="标记为已完成并继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("参与者|生态"))
    check_a11y(page, "lesson 2")
    page.get_by_role("button", name="标记为已完成并继续").click()

    page.get_by_role("link", name="工作台").click()
    expect(page.locator(".progress-text").first).to_contain_text("2/8")
    page.goto(base_url + f"/courses/{F1}")
    expect(page.locator(".progress-text").first).to_contain_text("25%")
    page.screenshot(path="e2e-screenshots/journey1-course-progress-zh.png", full_page=True)


def test_instructor_edits_lesson_and_publishes_and_trainee_sees_it(browser, base_url, live_server, check_a11y):
    trainee_ctx = browser.new_context(bypass_csp=True)
    trainee = trainee_ctx.new_page()
    trainee.goto(base_url + "/register")
    trainee.get_by_label("E-mail").fill("reader@example.com")
    trainee.get_by_label("Name in Latin script").fill("Reader One")
    trainee.get_by_label("Password", exact=True).fill("a-good-password")
    trainee.get_by_label("Repeat the password").fill("a-good-password")
    trainee.get_by_role("button", name="Create account").click()
    confirm_registration(trainee, live_server.config["LMS_OUTBOX"], "reader@example.com")
    trainee.goto(base_url + f"/courses/{F1}")
    trainee.get_by_role("button", name="Enrol").click()

    teacher_ctx = browser.new_context(bypass_csp=True)
    teacher = teacher_ctx.new_page()
    teacher.goto(base_url + "/login")
    teacher.get_by_label("E-mail").fill("teacher@example.com")
    teacher.get_by_label("Password").fill("teacher-password")
    teacher.get_by_role("button", name="Log in").click()
    expect(teacher.get_by_role("heading", name="Courses I teach")).to_be_visible()
    check_a11y(teacher, "instructor dashboard")
    teacher.goto(base_url + f"/teach/courses/{F1}")
    check_a11y(teacher, "course editor")
    teacher.get_by_role("button", name="Unpublish").click()
    expect(teacher.get_by_text("The course is unpublished.")).to_be_visible()

    teacher.get_by_role("link", name="What technology transfer is").first.click()
    check_a11y(teacher, "lesson editor")
    body = teacher.get_by_label("Text (English, Markdown)")
    body.fill("## Updated for the 2026 cohort\n\nThis paragraph was added by the instructor.\n\n" + body.input_value())
    # the live preview renders on the server as the instructor types
    expect(teacher.locator("#preview-en h2").first).to_have_text("Updated for the 2026 cohort")
    teacher.get_by_role("button", name="Save lesson").click()
    expect(teacher.get_by_text("Lesson saved.")).to_be_visible()
    teacher.goto(base_url + f"/teach/courses/{F1}")
    teacher.get_by_role("button", name="Publish").click()
    expect(teacher.get_by_text("The course is published.")).to_be_visible()
    teacher.screenshot(path="e2e-screenshots/journey2-editor.png", full_page=True)

    trainee.goto(base_url + f"/courses/{F1}/lessons/01-what-is-technology-transfer")
    expect(trainee.get_by_role("heading", name="Updated for the 2026 cohort")).to_be_visible()
    expect(trainee.get_by_text("This paragraph was added by the instructor.")).to_be_visible()
    trainee.screenshot(path="e2e-screenshots/journey2-trainee-sees-change.png", full_page=True)
    trainee_ctx.close()
    teacher_ctx.close()

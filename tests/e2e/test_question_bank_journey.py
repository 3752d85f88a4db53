"""An instructor writes a question in the browser from an example, previews it, adds it as a draft, marks it
ready, and looks at the bank's categories; every page is checked with axe."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_an_instructor_writes_a_question_from_an_example_and_marks_it_ready(browser, base_url, check_a11y):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill("teacher@example.com")
    page.get_by_label("Password").fill("teacher-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Question bank").first.click()
    page.get_by_role("link", name="New question").click()
    page.get_by_role("link", name="True/false").click()
    source = page.get_by_label("Question (GIFT)")
    expect(source).to_have_value(re.compile(r"\{TRUE"))
    check_a11y(page, "new question")
    page.get_by_label("Bank").select_option("f1-system-policy-ethics-en")
    page.get_by_label("Competency it evidences").select_option("D1.3")
    page.get_by_label("Status").select_option("draft")
    source.fill(source.input_value().replace("NEW-TF-1", "E2E-TF-1"))
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview").or_(page.locator("section.card[aria-live]"))
    expect(preview).to_contain_text("can no longer be patented")
    page.get_by_role("button", name="Add to the bank").click()
    expect(page.get_by_text("Question added to f1-system-policy-ethics-en.")).to_be_visible()
    meta = page.locator("p.meta").first
    expect(meta).to_contain_text("E2E-TF-1")
    expect(meta).to_contain_text("Draft")
    expect(meta).to_contain_text("D1.3")
    check_a11y(page, "question page, draft")
    page.get_by_role("button", name="Mark as ready").click()
    expect(page.get_by_text("Marked as ready: random sections may draw it.")).to_be_visible()
    expect(meta).to_contain_text("Ready")
    # the same example again: the bank already has its id, and the page says so with the line
    page.goto(base_url + "/teach/questions/new?type=truefalse&bank=f1-system-policy-ethics-en")
    page.get_by_label("Question (GIFT)").fill(
        "// [id:E2E-TF-1]\n::Again::A licence transfers ownership. {F}")
    page.get_by_role("button", name="Add to the bank").click()
    expect(page.get_by_role("alert")).to_contain_text("already has a question with [id:E2E-TF-1]")
    # the bank's categories: the new question's category is there, aligned to D1.3
    page.get_by_role("link", name="Question bank").first.click()
    page.goto(base_url + "/teach/questions/banks/f1-system-policy-ethics-en/categories")
    row = page.get_by_role("row").filter(has_text="TTM/D1/D1.3")
    expect(row.first).to_contain_text("D1.3")
    check_a11y(page, "categories")

"""A trainee opens the CE-point transcript from My certificates, reads it in both languages and at phone
width, downloads the CSV and the signed transcript, and an employer's upload of the latter to /verify says it
is authentic."""
import codecs
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_trainee_downloads_the_transcript_and_it_verifies(browser, base_url, check_a11y, tmp_path):
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill("almost@example.com")
    page.get_by_label("Password").fill("almost-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(base_url + "/certificates")
    page.get_by_role("link", name="CE-point transcript").click()
    expect(page.get_by_role("heading", name="CE-point transcript")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("F1"))).to_be_visible()
    check_a11y(page, "transcript")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download for a spreadsheet (CSV)").click()
    assert (raw := open(dl.value.path(), "rb").read()).startswith(codecs.BOM_UTF8) and b"F1" in raw
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the signed transcript (CLR 2.0 JSON)").click()
    signed = tmp_path / "transcript.json"
    dl.value.save_as(signed)
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="继续教育学时成绩单")).to_be_visible()
    check_a11y(page, "transcript (zh, 390 px)")
    employer = browser.new_context(bypass_csp=True).new_page()
    employer.goto(base_url + "/verify")
    employer.get_by_label("Certificate file (PDF or JSON)").set_input_files(str(signed))
    employer.get_by_role("button", name="Verify", exact=True).click()
    expect(employer.get_by_role("heading", name=re.compile("Authentic and valid"))).to_be_visible()
    ctx.close()
    employer.context.close()

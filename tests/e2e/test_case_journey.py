"""An administrator checks a partner's CASE 1.1 package, sees what it holds, imports it, and downloads our
framework's package from the framework page; in both languages, with axe on each page."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.factories.case import foreign_package

pytestmark = pytest.mark.e2e


def test_admin_checks_and_imports_a_case_package(browser, base_url, check_a11y, tmp_path):
    package = tmp_path / "partner.json"
    package.write_text(json.dumps(foreign_package()), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"CFDocument": {"title": "x"}}), encoding="utf-8")
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill("admin@example.com")
    page.get_by_label("Password").fill("admin-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(base_url + "/framework")
    page.get_by_role("link", name="Import a framework (CASE 1.1)").click()
    check_a11y(page, "CASE import")
    page.get_by_label("CASE 1.1 package").set_input_files(str(broken))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("CFDocument: 'uri' is a required property")
    page.get_by_label("CASE 1.1 package").set_input_files(str(package))
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("A new framework, CASE-6f1d1b1e, kept beside ours.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Competencies\s+3"))).to_be_visible()
    check_a11y(page, "CASE import check")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="导入能力框架（CASE 1.1）")).to_be_visible()
    page.get_by_label("CASE 1.1 数据包").set_input_files(str(package))
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_text("已导入：CASE-6f1d1b1e 第 1 版。")).to_be_visible()
    check_a11y(page, "CASE import done (zh)")
    with page.expect_download() as download:
        page.get_by_role("listitem").filter(has_text="TTM-CF").get_by_role("link", name="下载 CASE 数据包").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert data["CFDocument"]["title"] == "Technology-Transfer Manager Competency Framework"
    page.get_by_role("button", name="English").click()

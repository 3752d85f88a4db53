"""Issue 18's journey: an administrator registers a partner body with a key generated in the test (read from its
DID document file) and a recognition rule; a trainee submits a credential signed by an unregistered issuer, which is
refused with the reason in their language, and one signed by the partner's key (eddsa-rdfc-2022); the
administrator confirms it; the trainee's eligibility page shows the course as met by recognition."""
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.credentials import signing
from tests.factories import partners as pf

pytestmark = pytest.mark.e2e
SHOTS = Path("e2e-screenshots")
F1 = "f1-system-policy-ethics"


def login(browser, base_url, address, password, width=1280):
    page = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def shots(page, name: str) -> None:
    """The page at 1280 and 390 px wide."""
    SHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows at {width} px"
        page.screenshot(path=str(SHOTS / f"recognition-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_partner_credential_recognised(browser, base_url, live_server, check_a11y, tmp_path):
    with live_server.app_context():
        from lms.accounts.services import register
        from lms.extensions import db
        register("recognised@example.com", "recognised-password", roles=("trainee",), name_latin="Chen Jing",
                 name_zh="陈静")
        db.session.commit()
    key = signing.generate_key()
    did_file = tmp_path / "did.json"
    did_file.write_text(json.dumps({"@context": ["https://www.w3.org/ns/did/v1"], "id": pf.PARTNER_DID,
                                    "verificationMethod": [{"id": "#key-1", "type": "Multikey",
                                                            "controller": pf.PARTNER_DID,
                                                            "publicKeyMultibase": signing.public_multibase(
                                                                key.public_key())}]}))

    admin = login(browser, base_url, "admin@example.com", "admin-password")
    admin.goto(base_url + "/admin/partners")
    admin.get_by_label("Name in English").fill("Partner Body")
    admin.get_by_label("Name in Chinese").fill("合作机构")
    admin.get_by_label("Country (ISO code, such as GB)").fill("GB")
    admin.get_by_label("Website").fill("https://partner.example.org")
    admin.get_by_role("button", name="Add the partner").click()
    admin.get_by_label(re.compile("Or read the keys")).set_input_files(str(did_file))
    admin.get_by_role("button", name="Read the DID document").click()
    expect(admin.get_by_text(pf.METHOD)).to_be_visible()
    admin.get_by_label("Their achievement, matched by").select_option("achievement_id")
    admin.get_by_label("Value to match").fill(pf.ACHIEVEMENT)
    admin.get_by_label("Counts here as").select_option("course")
    admin.get_by_label("Our competency, course, exam or programme").fill(F1)
    admin.get_by_role("button", name="Add the rule").click()
    expect(admin.get_by_text(f"exemption from the course {F1}")).to_be_visible()
    check_a11y(admin, "partner page")
    shots(admin, "partner")

    trainee = login(browser, base_url, "recognised@example.com", "recognised-password")
    trainee.goto(base_url + "/certificates")
    course = trainee.locator("li", has_text="Course completed").first
    expect(course).to_contain_text("not enrolled")
    trainee.goto(base_url + "/recognition")
    stranger = pf.signed(pf.credential(issuer="did:web:stranger.example.com"), signing.generate_key(),
                         "did:web:stranger.example.com#key-1")
    trainee.get_by_label("or paste it (JSON or VC-JWT)").fill(json.dumps(stranger))
    trainee.get_by_role("button", name="Check and send").click()
    expect(trainee.get_by_text("Its issuer is not one of our registered partners.")).to_be_visible()

    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(pf.signed(pf.credential(), key)))
    trainee.get_by_label(re.compile("The credential's file")).set_input_files(str(badge))
    trainee.get_by_role("button", name="Check and send").click()
    expect(trainee.get_by_text("Checked and sent to an administrator for confirmation.")).to_be_visible()
    expect(trainee.get_by_text("waiting for an administrator")).to_be_visible()
    check_a11y(trainee, "recognition page")
    shots(trainee, "submit-en")
    trainee.get_by_role("button", name="简体中文").click()
    trainee.goto(base_url + "/recognition")
    expect(trainee.get_by_text("其颁发者不是本平台登记的合作机构。")).to_be_visible()
    shots(trainee, "submit-zh")

    admin.goto(base_url + "/admin/recognition")
    request = admin.locator("article", has_text="recognised@example.com").first
    expect(request).to_contain_text("exemption from the course F1 Technology-transfer system, policy and ethics")
    check_a11y(admin, "recognition queue")
    shots(admin, "queue")
    request.get_by_role("button", name="Confirm").click()
    expect(admin.get_by_text("Decision saved.")).to_be_visible()

    trainee.goto(base_url + "/certificates")
    expect(trainee.get_by_text("已通过认可合作机构的“Licensing Fundamentals”满足")).to_be_visible()
    shots(trainee, "eligibility-zh")
    trainee.get_by_role("button", name="English").click()
    trainee.goto(base_url + "/certificates")
    expect(trainee.get_by_text("met by recognition of Partner Body's Licensing Fundamentals").first).to_be_visible()
    check_a11y(trainee, "eligibility with a recognition")
    shots(trainee, "eligibility-en")

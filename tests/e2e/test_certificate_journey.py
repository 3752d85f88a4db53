"""Journey 5: a trainee completes the Foundation requirements and receives the certificate, downloads the
PDF; an employer opens the verification URL, uploads the PDF and sees it valid; an administrator revokes
it; the employer checks again and sees it revoked, with the reason."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.factories.presentations import presentation

pytestmark = pytest.mark.e2e
SHOTS = "e2e-screenshots"
F1 = "f1-system-policy-ethics"


def login(browser, base_url, address, password):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def test_certificate_issued_verified_and_revoked(browser, base_url, check_a11y, tmp_path):
    trainee = login(browser, base_url, "almost@example.com", "almost-password")
    trainee.goto(base_url + "/certificates")
    expect(trainee.get_by_text("1 of 3 requirements met")).to_be_visible()
    check_a11y(trainee, "certificates (requirements)")
    # the last lesson completes the course, and with it the Foundation requirements
    trainee.goto(base_url + f"/courses/{F1}/lessons/08-ethics-coi-confidentiality")
    trainee.get_by_role("button", name="Mark as done").click()
    trainee.goto(base_url + "/certificates")
    expect(trainee.get_by_text("3 of 3 requirements met")).to_be_visible()
    expect(trainee.locator("article.cert-row .badge.ok")).to_have_text("valid")
    trainee.screenshot(path=f"{SHOTS}/journey5-certificates.png", full_page=True)
    with trainee.expect_download() as dl:
        trainee.get_by_role("link", name="Download the PDF").click()
    pdf_path = tmp_path / "certificate.pdf"
    dl.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    verify_url = trainee.get_by_role("link", name="Public verification page").get_attribute("href")

    employer = browser.new_context(bypass_csp=True).new_page()
    employer.goto(base_url + verify_url)                      # what the QR code on the PDF opens
    expect(employer.get_by_role("heading", name=re.compile("This certificate is valid"))).to_be_visible()
    check_a11y(employer, "verification page")
    employer.get_by_role("link", name="Verify a file").click()
    employer.get_by_label("Certificate file (PDF or JSON)").set_input_files(str(pdf_path))
    employer.get_by_role("button", name="Verify", exact=True).click()
    expect(employer.get_by_role("heading", name=re.compile("Authentic and valid"))).to_be_visible()
    expect(employer.get_by_text("It is identical to the credential in our register.")).to_be_visible()
    check_a11y(employer, "upload result")
    employer.screenshot(path=f"{SHOTS}/journey5-employer-valid.png", full_page=True)
    # the holder's wallet presents it: a verifiable presentation signed by the holder's did:key, pasted
    credential = trainee.request.get(base_url + verify_url + "/credential.json").json()   # the holder downloads it
    employer.get_by_label("Or paste the credential or presentation (JSON)").fill(json.dumps(presentation([credential])))
    employer.get_by_role("button", name="Verify", exact=True).click()
    expect(employer.get_by_text("The holder's signature on the presentation verifies.")).to_be_visible()
    expect(employer.get_by_role("heading", name=re.compile("Authentic and valid"))).to_be_visible()
    check_a11y(employer, "presentation result")
    employer.screenshot(path=f"{SHOTS}/journey5-employer-presentation.png", full_page=True)

    admin = login(browser, base_url, "admin@example.com", "admin-password")
    admin.goto(base_url + "/admin/credentials")
    check_a11y(admin, "certificate register")
    row = admin.locator("tr", has_text="almost@example.com")
    row.get_by_label("Reason").fill("Identity fraud established by the exam board")
    row.get_by_role("button", name="Revoke").click()
    # a confirmation names the holder, the programme and the reason before anything is done
    expect(admin.get_by_role("heading", name="Revoke this certificate?")).to_be_visible()
    expect(admin.get_by_text("almost@example.com")).to_be_visible()
    expect(admin.get_by_text("Identity fraud established by the exam board")).to_be_visible()
    check_a11y(admin, "revocation confirmation")
    admin.get_by_role("button", name="Yes, revoke it").click()
    expect(admin.get_by_text("Certificate revoked; the holder has been told.")).to_be_visible()

    employer.goto(base_url + verify_url)
    expect(employer.get_by_role("heading", name=re.compile("This certificate has been revoked"))).to_be_visible()
    expect(employer.get_by_text("Identity fraud established by the exam board")).to_be_visible()
    employer.screenshot(path=f"{SHOTS}/journey5-employer-revoked.png", full_page=True)
    employer.goto(base_url + "/verify")
    employer.get_by_label("Certificate file (PDF or JSON)").set_input_files(str(pdf_path))
    employer.get_by_role("button", name="Verify", exact=True).click()
    expect(employer.get_by_role("heading", name=re.compile("Authentic, but revoked"))).to_be_visible()

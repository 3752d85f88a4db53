"""A holder adds the certificate to a wallet: the wallet page makes an offer (QR code, link, PIN) in English at
1280 px and in Chinese at 390 px; the independent OID4VCI client (tests/wallet/wallet.mjs) redeems the very
offer the page shows, against the live server; the page then lists the wallet's copy."""
import re

import pytest
from playwright.sync_api import expect

from tests.factories.wallets import run_wallet_client, wallet_client_missing

pytestmark = pytest.mark.e2e
SHOTS = "e2e-screenshots"
F1 = "f1-system-policy-ethics"


@pytest.fixture(scope="module")
def wallet_holder(live_server):
    from lms.accounts.models import User
    from lms.accounts.services import register
    from lms.catalog import services as catalog
    from lms.demo import certified_holder
    from lms.extensions import db
    with live_server.app_context():
        teacher = db.session.scalar(db.select(User).where(User.email == "teacher@example.com"))
        holder = register("wallet@example.com", "wallet-password", roles=("trainee",), name_latin="Chen Jing",
                          name_zh="陈静")
        certified_holder(holder, teacher, catalog.course_by_slug(F1))
        db.session.commit()
    return "wallet@example.com", "wallet-password"


def _login(browser, base_url, address, password, width, lang):
    page = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    page.goto(base_url + "/login")
    page.get_by_label("E-mail").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if lang == "zh_Hans":
        page.get_by_role("button", name="简体中文").click()
    return page


@pytest.mark.skipif(wallet_client_missing() is not None, reason=wallet_client_missing() or "")
def test_a_holder_adds_the_certificate_to_a_wallet(browser, base_url, wallet_holder, check_a11y):
    page = _login(browser, base_url, *wallet_holder, 1280, "en")
    page.goto(base_url + "/certificates")
    page.get_by_role("link", name="Add to a wallet").click()
    check_a11y(page, "wallet page")
    page.get_by_role("button", name="Make a wallet offer").click()
    expect(page.locator(".wallet-qr svg")).to_be_visible()
    pin = page.locator(".pin").inner_text().strip()
    assert re.fullmatch(r"\d{6}", pin)
    offer = page.get_by_role("link", name="Open in a wallet on this device").get_attribute("href")
    assert offer.startswith("openid-credential-offer://?credential_offer_uri=")
    check_a11y(page, "wallet offer")
    page.screenshot(path=f"{SHOTS}/wallet-offer-en-1280.png", full_page=True)
    got = run_wallet_client(offer, pin)
    assert got["credential"]["credentialSubject"]["id"] == got["did"]
    assert "invalid_grant" in got["reuse"] and "invalid_grant" in got["wrongPin"]
    page.goto(page.url)     # the wallet page again: it lists the copy the wallet received
    expect(page.locator(".wallet-did")).to_contain_text(got["did"][:40])
    # the same in Chinese, on a phone
    phone = _login(browser, base_url, *wallet_holder, 390, "zh_Hans")
    phone.goto(base_url + "/certificates")
    phone.get_by_role("link", name="添加到数字钱包").click()
    phone.get_by_role("button", name="生成钱包领取码").click()
    expect(phone.locator(".wallet-qr svg")).to_be_visible()
    expect(phone.get_by_text("在钱包中输入的 PIN 码")).to_be_visible()
    box = phone.locator(".wallet-qr svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390         # the QR code fits the phone's screen
    check_a11y(phone, "wallet offer (zh, 390 px)")
    phone.screenshot(path=f"{SHOTS}/wallet-offer-zh-390.png", full_page=True)

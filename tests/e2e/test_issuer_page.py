"""The issuer's page in both languages at desktop and phone widths: the logo and the programmes' badges load
(as images a browser can draw), the name is in the reader's language, and axe-core finds nothing serious."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
SHOTS = "e2e-screenshots"


@pytest.mark.parametrize("lang, heading", [("en", "TTM Academy — Technology Transfer Manager Certification"),
                                           ("zh-CN", "技术经理人学院 · 技术经理人资格认证")])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_issuer_page(browser, base_url, check_a11y, lang, heading, width):
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(base_url + "/issuer")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    images = page.locator("main img")
    expect(images).to_have_count(4)                     # the logo and three programme badges
    for i in range(4):                                  # each decoded and drawn at its size
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth === 512")
    assert page.evaluate("document.documentElement.scrollWidth") <= width      # nothing overflows on a phone
    check_a11y(page, f"issuer {lang} {width}")
    page.screenshot(path=f"{SHOTS}/issuer-{lang}-{width}.png", full_page=True)
    context.close()

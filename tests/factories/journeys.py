"""The browser journeys' helpers: the mail the live server sent, a registration confirmed through it."""
from __future__ import annotations

import re
from pathlib import Path


def last_link_to(outbox: Path, address: str) -> str:
    """The link in the newest mail to ``address`` in the live server's outbox."""
    import email
    import email.policy
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == address:
            return re.search(r"https?://\S+", msg.get_content()).group(0)
    raise AssertionError(f"no mail to {address}")


def confirm_registration(page, outbox: Path, address: str, password: str = "a-good-password") -> None:
    """After registering: the "check your e-mail" page, then the e-mailed link followed and confirmed with the
    password chosen at registration."""
    from playwright.sync_api import expect
    expect(page.get_by_role("heading", name=re.compile("Check your e-mail|请查收电子邮件"))).to_be_visible()
    page.goto(last_link_to(outbox, address))
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name=re.compile("Confirm and sign in|确认并登录")).click()

"""The certificate register: paginated, filtered, and a fixed number of queries whatever its size."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from lms.credentials import services as svc
from lms.credentials.models import CpdActivity, Credential, ExperienceClaim, Programme
from lms.db import utcnow
from lms.extensions import db
from tests.factories import login, make_user


@pytest.fixture
def admin_client(app):
    admin = make_user(("admin",), "admin@example.com")
    c = app.test_client()
    assert login(c, admin.email).status_code == 302
    return c


def _programme() -> Programme:
    prog = db.session.scalar(select(Programme).where(Programme.key == "foundation"))
    if prog is None:
        prog = Programme(key="foundation", title_en="Foundation", title_zh="初级", level="F", requirements={})
        db.session.add(prog)
        db.session.flush()
    return prog


def _credentials(n: int, state: str = "active", **kw) -> list[Credential]:
    prog, now = _programme(), utcnow()
    out = []
    for _ in range(n):
        holder = make_user(("trainee",))
        cred = Credential(holder=holder, programme=prog, state=state, valid_from=now, **kw)
        db.session.add(cred)
        out.append(cred)
    db.session.commit()
    return out


def _rows(page: str) -> int:
    return len(re.findall(r"<tr><td>", page))


def test_the_register_is_paginated_and_its_page_links_keep_the_filters(app, admin_client):
    _credentials(svc.REGISTER_PAGE + 5)
    page = admin_client.get("/admin/credentials").get_data(as_text=True)
    assert _rows(page) == svc.REGISTER_PAGE and "Page 1 of 2" in page
    assert f"{svc.REGISTER_PAGE + 5} credentials" in page
    second = admin_client.get("/admin/credentials?page=2").get_data(as_text=True)
    assert _rows(second) == 5 and "Page 2 of 2" in second
    # a filter: its page links carry it
    revoked = _credentials(svc.REGISTER_PAGE + 1, state="revoked")
    page = admin_client.get("/admin/credentials?status=revoked").get_data(as_text=True)
    assert _rows(page) == svc.REGISTER_PAGE and "Page 1 of 2" in page
    nxt = re.search(r'href="([^"]*page=2[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "status=revoked" in nxt
    assert _rows(admin_client.get(nxt).get_data(as_text=True)) == 1
    # a search by the holder's e-mail
    email = revoked[0].holder.email
    page = admin_client.get(f"/admin/credentials?q={email}").get_data(as_text=True)
    assert _rows(page) == 1 and email in page


def test_the_register_reissue_button_knows_live_credentials_beyond_its_page(app, admin_client):
    (revoked,) = _credentials(1, state="revoked")
    db.session.add(Credential(holder_id=revoked.holder_id, programme_id=revoked.programme_id, state="pending"))
    db.session.commit()
    page = admin_client.get("/admin/credentials?status=revoked").get_data(as_text=True)
    assert _rows(page) == 1 and "Re-issue" not in page                  # the holder waits for a new one


def _to_review(creds: list[Credential]) -> None:
    """For each credential, a CPD activity and an experience declaration waiting for an administrator."""
    for cred in creds:
        db.session.add(CpdActivity(credential=cred, kind="course", quantity=2, done_on=date(2026, 1, 5),
                                   description="A course"))
        db.session.add(ExperienceClaim(user_id=cred.holder_id, years=3, evidence="Three years at a TTO"))
    db.session.commit()


def test_the_register_runs_the_same_number_of_queries_for_3_and_33_rows(app, admin_client, count_queries):
    counts = []
    for n, rows, waiting in ((1, 3, 1), (10, 33, 11)):
        for state in ("active", "revoked", "pending"):         # each with its own holder
            creds = _credentials(n, state=state)
        _to_review(creds)
        with count_queries() as queries:
            page = admin_client.get("/admin/credentials").get_data(as_text=True)
        assert _rows(page) == rows and page.count("Three years at a TTO") == waiting == page.count("A course")
        counts.append(queries[0])
    assert counts[0] == counts[1], counts

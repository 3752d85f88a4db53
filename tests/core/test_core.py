import re

import pytest

from tests.factories import login


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["status"] == "ok" and resp.json["database"]["status"] == "ok"
    assert resp.json["database"]["dialect"] in ("sqlite", "postgresql")


def test_security_headers(client):
    resp = client.get("/")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_in_pages(client, loaded, users):
    login(client, "admin@example.com")
    for url in ("/", "/framework", "/courses", "/courses/f1-system-policy-ethics", "/dashboard", "/admin/users",
                "/projects"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url


def test_language_from_accept_language_then_switch_then_preference(client, loaded, users):
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "技术经理人学院" in page
    page = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    client.post("/lang", data={"lang": "zh_Hans", "next": "/courses"})
    page = client.get("/courses", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "课程" in page
    # a signed-in user's choice is saved as their preference and follows them to a new session
    login(client, "trainee@example.com")
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    fresh = client.application.test_client()
    login(fresh, "trainee@example.com")
    assert '<html lang="zh-Hans">' in fresh.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_language_switch_only_redirects_within_the_site(client):
    resp = client.post("/lang", data={"lang": "en", "next": "https://evil.example.com/"})
    assert resp.headers["Location"] == "/"
    resp = client.post("/lang", data={"lang": "en", "next": "//evil.example.com/"})
    assert resp.headers["Location"] == "/"


def test_login_next_only_follows_local_paths(client, users):
    resp = client.post("/login?next=https://evil.example.com/", data={"email": "trainee@example.com",
                                                                     "password": "correct-horse-battery"})
    assert resp.headers["Location"] == "/dashboard"


def test_error_pages_are_translated(client):
    resp = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 404 and "页面" in resp.get_data(as_text=True)


def test_the_readme_configuration_table_lists_every_setting():
    from lms.config import REPO_ROOT, SETTINGS
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, default, what in SETTINGS:
        assert f"| `{name}` | {default} | {what} |" in readme, name


def test_the_api_ignores_the_session_cookie(app, client, users):
    """Without CSRF protection the API must not act on a browser's session: a signed-in admin's cookie gives
    no more than anonymous use (which is rate-limited) and cannot change anything."""
    login(client, "admin@example.com")
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post("/api/v1/verify", json={"ids": ["0" * 32]})
    assert resp.status_code == 200 and resp.get_json()["results"] == [{"id": "0" * 32, "status": "unknown"}]


def test_a_content_schema_reports_unknown_malformed_and_repeated_item_keys_all_at_once():
    from typing import Annotated

    from lms.catalog.files import KEY_RE
    from lms.content import ContentInvalid, parse_yaml
    from lms.content_schema import ContentModel, distinct, matching, validate

    class Item(ContentModel):
        where = "item {n}"
        key: matching(KEY_RE, "'key' must be lower-case letters, digits and '-'")

    class File(ContentModel):
        items: Annotated[list[Item], distinct("key")]

    data = parse_yaml("items:\n  - {key: a, colour: red}\n  - {key: A}\n  - {key: a}\n  - {key: b}\n", "x.yaml")
    with pytest.raises(ContentInvalid) as exc:
        validate(File, data, "x.yaml")
    assert [str(e) for e in exc.value.errors] == [
        "x.yaml:2: item 1: unknown key 'colour'",
        "x.yaml:3: item 2: 'key' must be lower-case letters, digits and '-'",
        "x.yaml:4: item 3: the key 'a' is used twice"]


def test_a_pooled_connection_is_pinged_only_after_sitting_idle_and_replaced_when_dead(tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import QueuePool

    from lms.db import ping_when_idle

    def connection_used(engine):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return conn.connection.dbapi_connection

    for idle, expect_ping in ((0.0, True), (3600.0, False)):
        engine = create_engine(f"sqlite:///{tmp_path}/pool-{idle}.sqlite3", poolclass=QueuePool)
        ping_when_idle(engine, idle_seconds=idle)
        pinged, dead = [], set()

        def ping(dbapi_connection, pinged=pinged, dead=dead):
            pinged.append(dbapi_connection)
            if dbapi_connection in dead:
                raise OSError("server closed the connection")
            return True
        monkeypatch.setattr(engine.dialect, "do_ping", ping)
        first = connection_used(engine)
        assert pinged == []                           # a fresh connection needs no ping
        dead.add(first)                               # the server went away while it sat in the pool
        second = connection_used(engine)
        if expect_ping:
            assert pinged == [first] and second is not first
        else:
            assert pinged == [] and second is first
        engine.dispose()


def test_many_rows_are_inserted_with_their_defaults_and_updated_by_key(app):
    """``insert_rows``/``update_rows`` (one statement on PostgreSQL, an executemany elsewhere) fill the Python-side
    defaults per row, as the ORM would, and change only the rows and columns named."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.db import insert_rows, update_rows
    from lms.extensions import db
    users = User.__table__
    insert_rows(db.session, users, [{"email": f"bulk{i}@example.com", "password_hash": "x", "name_zh": None}
                                    for i in range(3)])
    db.session.commit()
    rows = db.session.execute(select(users).where(users.c.email.like("bulk%")).order_by(users.c.email)).all()
    assert [r.email for r in rows] == ["bulk0@example.com", "bulk1@example.com", "bulk2@example.com"]
    assert len({r.public_id for r in rows}) == 3 and all(len(r.public_id) == 32 for r in rows)
    assert all(r.locale == "en" and r.active and r.session_version == 1 and r.created_at for r in rows)
    update_rows(db.session, users, [{"id": rows[0].id, "name_zh": "张三", "locale": "zh"},
                                    {"id": rows[2].id, "name_zh": None, "locale": "en"}])
    db.session.commit()
    after = {r.email: r for r in db.session.execute(select(users).where(users.c.email.like("bulk%"))).all()}
    assert (after["bulk0@example.com"].name_zh, after["bulk0@example.com"].locale) == ("张三", "zh")
    assert after["bulk1@example.com"].locale == "en" and after["bulk2@example.com"].name_zh is None


def _key_of(folder: str, barrier, out) -> None:
    from pathlib import Path

    from lms.config import _secret_key
    barrier.wait()
    out.put(_secret_key(Path(folder)))


def test_workers_starting_at_once_on_a_new_instance_folder_share_one_secret_key(tmp_path, monkeypatch):
    """gunicorn starts its workers together; on a fresh instance folder each one used to race to create the
    key, and the losers failed to boot."""
    import multiprocessing
    import stat

    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(6), ctx.Queue()
    folder = tmp_path / "instance"
    procs = [ctx.Process(target=_key_of, args=(str(folder), barrier, out)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * 6
    keys = {out.get(timeout=5) for _ in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert sorted(f.name for f in folder.iterdir()) == ["secret_key"]      # no draft left behind
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600


def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text_and_numbers_are_left_alone():
    from lms.core.spreadsheet import cells
    assert cells(["=1+1", "+86 10 1234", "-x", "@SUM(A1)", "\tx", "\rx", "Zhang Wei", "张伟", -20.5, 0, None, ""]) == [
        "'=1+1", "'+86 10 1234", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "Zhang Wei", "张伟", -20.5, 0, None, ""]


def test_the_secret_key_is_made_without_hard_links_where_the_file_system_has_none(tmp_path, monkeypatch):
    import stat

    from lms import config
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)

    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(config.os, "link", no_links)
    folder = tmp_path / "instance"
    key = config._secret_key(folder)
    assert len(key) == 64 and config._secret_key(folder) == key                 # made once, then read
    assert sorted(f.name for f in folder.iterdir()) == ["secret_key"]
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600



def test_a_number_too_large_for_the_database_in_any_route_is_a_404_not_a_500(app, client, users):
    """Every route with an ``<int:>`` part, signed in as an administrator (who passes every role check): a number
    past 32 bits is not found, whatever the route does with it (before, a row id past 64 bits was a 500)."""
    login(client, "admin@example.com")
    huge = "9" * 30
    seen = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<[^>]+>", "x", re.sub(r"<int:\w+>", huge, rule.rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(path, method=method)
            assert resp.status_code in (404, 405), (rule.rule, method, resp.status_code)
            seen += 1
    assert seen >= 6

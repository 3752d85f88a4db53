"""Browsers keep the stylesheet and the script for a year, and fetch the new ones as soon as they change
(lms/core/assets.py): each page is then one request, not three."""
import hashlib
import re

from lms.config import REPO_ROOT

STATIC = REPO_ROOT / "lms" / "static"


def _asset_links(html: str) -> list[str]:
    return [a or b for a, b in re.findall(r'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html)]


def test_pages_link_assets_by_their_content_and_browsers_may_keep_them(client):
    links = _asset_links(client.get("/courses").get_data(as_text=True))
    assert sorted(link.split("?")[0] for link in links) == ["/static/css/app.css", "/static/js/app.js"]
    for link in links:
        path, _, query = link.partition("?")
        content = (STATIC / path.removeprefix("/static/")).read_bytes()
        # the address changes whenever the content does, so a kept copy is never stale
        assert query == "v=" + hashlib.sha256(content).hexdigest()[:16]
        resp = client.get(link)
        assert resp.status_code == 200 and resp.data == content
        cache = resp.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "no-cache" not in cache


def test_an_asset_asked_for_without_its_fingerprint_or_with_a_stale_one_must_be_checked_again(client):
    for link in ("/static/css/app.css", "/static/css/app.css?v=0123456789abcdef"):
        resp = client.get(link)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "no-cache"
        assert client.get(link, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
    assert client.get("/static/css/missing.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_a_static_response_never_varies_on_or_sets_the_session_cookie(client, users):
    from tests.factories import login
    login(client, users["trainee"].email)
    page = client.get("/dashboard").get_data(as_text=True)
    for link in _asset_links(page):
        resp = client.get(link)
        # a browser keeps its copy across sign-ins, messages and language switches, which change the cookie
        assert "Cookie" not in resp.headers.get("Vary", "") and "Set-Cookie" not in resp.headers
    assert "Cookie" in client.get("/dashboard").headers.get("Vary", "")       # pages still do


def test_a_file_changed_since_start_up_is_not_cached_under_its_old_fingerprint(client):
    import os
    link = next(link for link in _asset_links(client.get("/courses").get_data(as_text=True)) if ".css" in link)
    path = STATIC / "css" / "app.css"
    before = os.stat(path)
    try:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        assert client.get(link).headers["Cache-Control"] == "no-cache"
    finally:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "immutable" in client.get(link).headers["Cache-Control"]


def test_in_debug_mode_nothing_is_fingerprinted_or_kept(tmp_path):
    from lms import create_app
    from tests.factories import settings_for
    app = create_app(settings_for(tmp_path, DEBUG=True))
    client = app.test_client()
    links = _asset_links(client.get("/login").get_data(as_text=True))
    assert links and all("?v=" not in link for link in links)
    assert client.get(links[0]).headers["Cache-Control"] == "no-cache"


def test_lms_serve_dev_runs_the_app_in_debug_mode(monkeypatch, runner):
    """The development server must not hand out year-long cached files that the developer is editing."""
    import werkzeug.serving
    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, app, **kw: served.update(app=app))
    result = runner.invoke(args=["serve", "--dev", "--port", "5999"])
    assert result.exit_code == 0, result.output
    app = served["app"]
    assert app.debug
    links = _asset_links(app.test_client().get("/login").get_data(as_text=True))
    assert links and all("?v=" not in link for link in links)

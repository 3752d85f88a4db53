"""The site header (templates/layout/header.html, included by base.html on every page) shows each person what is
theirs: their name, the links their roles allow, a working language switch."""
import re

from tests.factories import login, make_user

NAV = re.compile(r'<nav aria-label="[^"]*" class="main-nav">(.*?)</nav>', re.S)


def _nav(html: str) -> str:
    return NAV.search(html).group(1)


def _who(html: str) -> str:
    return re.search(r'class="who">([^<]*)</a>', html).group(1)


def test_each_person_sees_their_own_name_and_the_links_their_roles_allow(app, users):
    admin, trainee = app.test_client(), app.test_client()
    login(admin, users["admin"].email)
    login(trainee, users["trainee"].email)
    for _ in range(2):                 # the two people's pages, one after the other, twice
        page = admin.get("/dashboard").get_data(as_text=True)
        assert _who(page) == users["admin"].display_name
        assert '<a href="/admin/users">Users</a>' in _nav(page)
        assert "Certificate register" in _nav(page)
        page = trainee.get("/dashboard").get_data(as_text=True)
        assert _who(page) == users["trainee"].display_name
        assert "Users</a>" not in _nav(page) and "Certificate register" not in _nav(page)
        assert "Question bank" not in _nav(page) and "Certificates</a>" in _nav(page)
    employer = app.test_client()
    login(employer, users["employer"].email)
    nav = _nav(employer.get("/dashboard").get_data(as_text=True))
    assert "Check certificates" in nav and "API keys" in nav and "Projects" not in nav


def test_a_name_is_escaped_in_the_header(app, client):
    user = make_user(name_latin='<b>Eve & "Co"</b>')
    login(client, user.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert _who(page) == "&lt;b&gt;Eve &amp; &#34;Co&#34;&lt;/b&gt;"
    assert "<b>Eve" not in page


def test_signed_out_visitors_see_log_in_and_register(client, users):
    page = client.get("/courses").get_data(as_text=True)
    assert ">Log in</a>" in page and ">Register</a>" in page and 'class="who"' not in page
    assert "Dashboard" not in _nav(page) and "Verify a certificate" in _nav(page)
    login(client, users["trainee"].email)
    page = client.get("/courses").get_data(as_text=True)
    assert ">Log in</a>" not in page and _who(page) == users["trainee"].display_name


def test_the_language_switch_returns_to_the_page_it_was_pressed_on(app, client, users):
    login(client, users["trainee"].email)
    app.config["WTF_CSRF_ENABLED"] = True          # the header's token must be this session's
    for path in ("/courses?level=F&q=x", "/dashboard"):
        page = client.get(path).get_data(as_text=True)
        form = re.search(r'<form method="post" action="/lang" class="lang-switch">(.*?)</form>', page, re.S).group(1)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        nxt = re.search(r'name="next" value="([^"]*)"', form).group(1)
        assert nxt == path.replace("&", "&amp;")
        resp = client.post("/lang", data={"csrf_token": token, "lang": "zh_Hans", "next": path})
        assert resp.status_code == 302 and resp.headers["Location"].endswith(path)
        page = client.get(path).get_data(as_text=True)
        assert ">课程</a>" in _nav(page) and 'value="zh_Hans" lang="zh-Hans"\n                  aria-pressed="true"' in page
        resp = client.post("/lang", data={"csrf_token": token, "lang": "en", "next": path})
        assert ">Courses</a>" in _nav(client.get(path).get_data(as_text=True))


def test_the_log_out_button_carries_this_sessions_token(app, client, users):
    login(client, users["trainee"].email)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    page = client.get("/dashboard").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout" class="inline">(.*?)</form>', page, re.S).group(1)
    token = re.search(r'value="([^"]+)"', form).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert 'class="who"' not in client.get("/courses").get_data(as_text=True)

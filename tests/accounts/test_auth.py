import os
import stat
from datetime import timedelta

from sqlalchemy import select

from lms.accounts.models import PasswordResetToken, User
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import PASSWORD, link_in, login, make_user, outbox_messages


def test_register_creates_trainee_and_signs_in(client):
    resp = client.post("/register", data={"email": "New@Example.com", "name_zh": "张三", "name_latin": "Zhang San",
                                          "password": "long-enough-pw", "confirm": "long-enough-pw"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dashboard")
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.role_names == ["trainee"]
    assert user.password_hash.startswith("$argon2id$")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "张三" in page and "My courses" in page


def test_register_refuses_duplicate_and_short_password(client, users):
    resp = client.post("/register", data={"email": "trainee@example.com", "name_latin": "X",
                                          "password": "long-enough-pw", "confirm": "long-enough-pw"})
    assert "already exists" in resp.get_data(as_text=True)
    resp = client.post("/register", data={"email": "x@example.com", "name_latin": "X",
                                          "password": "short", "confirm": "short"})
    assert resp.status_code == 200 and db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_login_logout(client, users):
    resp = login(client, "trainee@example.com")
    assert resp.status_code == 302
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert client.get("/dashboard").status_code == 302


def test_wrong_password_is_refused_with_message(client, users):
    resp = login(client, "trainee@example.com", "wrong-password")
    assert resp.status_code == 401
    assert "not correct" in resp.get_data(as_text=True)


def test_login_failures_are_limited_per_account(app, client, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "trainee@example.com", "wrong-password").status_code == 401
    # even the right password is refused while the account is locked
    resp = login(client, "trainee@example.com")
    assert resp.status_code == 429 and "Too many failed attempts" in resp.get_data(as_text=True)
    # another account from another address is not affected
    other = app.test_client()
    assert other.post("/login", data={"email": "other@example.com", "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302


def test_login_failures_are_limited_per_address(app, client, users):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for i in range(3):
        login(client, f"nobody{i}@example.com", "wrong-password")
    assert login(client, "trainee@example.com").status_code == 429


def test_change_password_signs_out_other_sessions(app, client, users):
    other_session = app.test_client()
    login(other_session, "trainee@example.com")
    login(client, "trainee@example.com")
    resp = client.post("/account/password", data={"current": PASSWORD, "password": "a-new-password-1",
                                                   "confirm": "a-new-password-1"})
    assert resp.status_code == 302
    assert client.get("/dashboard").status_code == 200          # this session stays
    assert other_session.get("/dashboard").status_code == 302   # the other one is signed out
    client.post("/logout")
    assert login(client, "trainee@example.com", "a-new-password-1").status_code == 302


def test_change_password_needs_current(client, users):
    login(client, "trainee@example.com")
    resp = client.post("/account/password", data={"current": "nope-nope-nope", "password": "a-new-password-1",
                                                   "confirm": "a-new-password-1"})
    assert "current password is not correct" in resp.get_data(as_text=True)


def test_password_reset_by_mailed_one_time_link(app, client, users):
    resp = client.post("/account/forgot", data={"email": "trainee@example.com"})
    assert resp.status_code == 302
    mails = outbox_messages(app)
    assert len(mails) == 1
    link = link_in(mails[0])
    path = link.replace("http://lms.example.com", "")
    assert client.get(path).status_code == 200
    resp = client.post(path, data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert resp.status_code == 302
    assert login(client, "trainee@example.com", "brand-new-pass").status_code == 302
    # the link works once
    client.post("/logout")
    resp = client.get(path)
    assert resp.status_code == 302 and "/account/forgot" in resp.headers["Location"]


def test_reset_link_expires(app, client, users):
    client.post("/account/forgot", data={"email": "trainee@example.com"})
    path = link_in(outbox_messages(app)[0]).replace("http://lms.example.com", "")
    for row in db.session.scalars(select(PasswordResetToken)):
        row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    resp = client.post(path, data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert resp.status_code == 302 and "/account/forgot" in resp.headers["Location"]
    assert login(client, "trainee@example.com", "brand-new-pass").status_code == 401


def test_forgot_does_not_reveal_unknown_addresses(app, client):
    resp = client.post("/account/forgot", data={"email": "ghost@example.com"}, follow_redirects=True)
    assert "If an account exists" in resp.get_data(as_text=True)
    assert outbox_messages(app) == []


def test_deactivated_account_cannot_log_in(client, users):
    users["trainee"].active = False
    db.session.commit()
    assert login(client, "trainee@example.com").status_code == 401


def test_profile_saves_names_and_preferences(client, users):
    login(client, "trainee@example.com")
    resp = client.post("/account/profile", data={"name_zh": "李四", "name_latin": "Li Si", "employer_name": "Tsinghua TTO",
                                                 "job_title": "Licensing officer", "years_experience": "3",
                                                 "locale": "zh_Hans"})
    assert resp.status_code == 302
    user = users["trainee"]
    db.session.refresh(user)
    assert (user.name_zh, user.name_latin, user.employer_name, user.years_experience, user.locale) == \
        ("李四", "Li Si", "Tsinghua TTO", 3, "zh_Hans")
    assert "<html lang=\"zh-Hans\"" in client.get("/dashboard").get_data(as_text=True)


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path, monkeypatch):
    from lms.config import Settings
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = Settings.from_env().flask_config()["SECRET_KEY"]
    second = Settings.from_env().flask_config()["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "inst" / "secret_key").st_mode)
    assert mode == 0o600


def test_session_cookie_is_httponly_and_samesite(client, users):
    resp = login(client, "trainee@example.com")
    cookie = resp.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_when_base_url_is_https(monkeypatch, tmp_path):
    from lms.config import Settings
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_BASE_URL", "https://academy.example.cn")
    assert Settings.from_env().flask_config()["SESSION_COOKIE_SECURE"] is True


def test_make_user_factory_sets_roles(app):
    u = make_user(("instructor", "admin"))
    assert u.has_role("admin") and u.has_role("instructor") and not u.has_role("trainee")

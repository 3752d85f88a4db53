import os
import re
import stat
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.models import PasswordResetToken, User
from lms.db import utcnow
from lms.extensions import db
from tests.factories import PASSWORD, PG_URL, link_in, login, make_user, outbox_messages


def _register(client, email, password="long-enough-pw", **extra):
    return client.post("/register", data={"email": email, "name_zh": "张三", "name_latin": "Zhang San",
                                          "password": password, "confirm": password, **extra})


def _path(link: str) -> str:
    return link.replace("http://lms.example.com", "")


def _mails_to(app, address):
    import email
    found = []
    for path in outbox_messages(app):
        msg = email.message_from_bytes(path.read_bytes())
        if msg["To"] == address:
            found.append((msg["Subject"], msg.get_payload(decode=True).decode(), path))
    return found


def test_register_is_confirmed_by_the_emailed_link_before_the_account_signs_in(app, client):
    resp = _register(client, "New@Example.com")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Check your e-mail" in page and "new@example.com" in page
    assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None
    assert login(client, "new@example.com", "long-enough-pw").status_code == 401   # not before the link
    [(subject, body, path)] = _mails_to(app, "new@example.com")
    assert subject == "Confirm your registration"
    link = _path(link_in(path))
    assert "Confirm and sign in" in client.get(link).get_data(as_text=True)  # following the link alone changes nothing
    assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None
    resp = client.post(link, data={"password": "long-enough-pw"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dashboard")
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.role_names == ["trainee"] and user.name_zh == "张三"
    assert user.password_hash.startswith("$argon2id$")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "张三" in page and "My courses" in page
    client.post("/logout")
    resp = client.get(link)                                       # the link works once
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/register")
    assert login(client, "new@example.com", "long-enough-pw").status_code == 302


def test_registering_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner_by_mail(app, client, users,
                                                                                        monkeypatch):
    from lms.accounts import services
    hashed = []
    real_hash = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda pw: hashed.append(pw) or real_hash(pw))
    taken = _register(client, "Trainee@Example.com", "someone-elses-pw")
    fresh = _register(app.test_client(), "fresh@example.com", "someone-elses-pw")
    assert taken.status_code == fresh.status_code == 200
    def same(resp, address):       # the page but for the address and the (per-session) CSRF token
        return re.sub(r'"[\w-]+\.[\w-]+\.[\w-]+"', '"token"', resp.get_data(as_text=True).replace(address, "@"))
    assert same(taken, "trainee@example.com") == same(fresh, "fresh@example.com")
    assert len(hashed) == 2                                       # a password is hashed either way (same time)
    [(subject, body, _)] = _mails_to(app, "trainee@example.com")
    assert "already has an account" in body and "/account/forgot" in body and "/register/confirm" not in body
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.email == "trainee@example.com")) == 1
    assert login(client, "trainee@example.com").status_code == 302            # the account is unchanged
    assert login(app.test_client(), "trainee@example.com", "someone-elses-pw").status_code == 401


def test_new_passwords_need_ten_characters_and_not_a_common_one(app, client, users):
    from lms.accounts import services
    for password, error in (("short", "at least 10 characters"), ("password123", "most common passwords"),
                            ("Qwertyuiop", "most common passwords")):
        page = _register(client, "x@example.com", password).get_data(as_text=True)
        assert error in page and "Check your e-mail" not in page
    assert outbox_messages(app) == []
    register_page = client.get("/register").get_data(as_text=True)
    assert "not one of the common passwords" in register_page                 # the form says what is required
    try:
        services.register("admin2@example.com", "1234567890", roles=("admin",))    # admin-made and demo accounts
    except services.AccountError as exc:
        assert "most common passwords" in str(exc)
    else:
        raise AssertionError("a common password was accepted")
    login(client, "trainee@example.com")
    page = client.post("/account/password", data={"current": PASSWORD, "password": "iloveyou12",
                                                  "confirm": "iloveyou12"}).get_data(as_text=True)
    assert "most common passwords" in page
    client.post("/logout")
    client.post("/account/forgot", data={"email": "other@example.com"})
    path = _path(link_in(outbox_messages(app)[-1]))
    assert "most common passwords" in client.post(path, data={"password": "1q2w3e4r5t",
                                                             "confirm": "1q2w3e4r5t"}).get_data(as_text=True)
    assert login(client, "other@example.com").status_code == 302               # nothing changed
    # the demo's and the tests' passwords pass
    assert services.password_refusal("demo-password-2026") is None and services.password_refusal(PASSWORD) is None


def test_a_new_registration_replaces_the_older_waiting_one(app, client):
    _register(client, "twice@example.com", "first-password")
    _register(app.test_client(), "twice@example.com", "second-password")
    first, second = (_path(link_in(p)) for _, _, p in _mails_to(app, "twice@example.com"))
    resp = app.test_client().post(first, data={"password": "first-password"}, follow_redirects=True)
    assert "confirmation link is invalid" in resp.get_data(as_text=True)          # only the newest link works
    resp = client.post(second, data={"password": "second-password"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dashboard")
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "twice@example.com")) == 1
    assert login(app.test_client(), "twice@example.com", "second-password").status_code == 302


def test_a_strangers_registrations_of_an_address_neither_block_its_owner_nor_make_the_account(app):
    """Someone registers the victim's address (many times): the victim's own registration still gets a working
    link, and following the stranger's link does not create an account with the stranger's password."""
    stranger = app.test_client()
    for _ in range(4):
        assert _register(stranger, "victim@example.com", "strangers-password").status_code == 200
    strangers_link = _path(link_in(_mails_to(app, "victim@example.com")[-1][2]))
    victim = app.test_client()
    page = victim.get(strangers_link).get_data(as_text=True)                     # the victim opens that mail
    assert "The password you chose when you registered" in page
    resp = victim.post(strangers_link, data={"password": "victims-password"})
    assert resp.status_code == 400 and "not the password chosen" in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "victim@example.com")) is None
    assert victim.get("/dashboard").status_code == 302                           # not signed in
    assert _register(victim, "victim@example.com", "victims-password").status_code == 200
    mails = _mails_to(app, "victim@example.com")
    assert len(mails) == 5                                                        # the victim's mail went out
    victims_link = _path(link_in(mails[-1][2]))
    assert stranger.post(strangers_link, data={"password": "strangers-password"}).status_code == 302
    assert db.session.scalar(select(User).where(User.email == "victim@example.com")) is None   # replaced
    assert victim.post(victims_link, data={"password": "victims-password"}).status_code == 302
    assert victim.get("/dashboard").status_code == 200
    assert login(app.test_client(), "victim@example.com", "victims-password").status_code == 302


def test_mail_to_one_address_from_registration_and_reset_is_limited_alike_for_known_and_unknown(app, users):
    for n, address in enumerate(("trainee@example.com", "unknown@example.com")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.3.0.{n}"       # each from its own client address
        assert [_register(client, address).status_code for _ in range(6)] == [200] * 5 + [429]
        assert [client.post("/account/forgot", data={"email": address}).status_code
                for _ in range(6)] == [302] * 5 + [429]
    sent = {a: len(_mails_to(app, a)) for a in ("trainee@example.com", "unknown@example.com")}
    # five resets and five registrations answered by mail each, known address or not
    assert sent == {"trainee@example.com": 10, "unknown@example.com": 10}
    assert _register(app.test_client(), "other@example.com").status_code == 200  # other addresses are not held up


def test_one_client_address_cannot_mail_many_addresses_through_registration_and_reset(app):
    """Registration and reset mail whatever address they are given: one client gets 20 such mails an hour in
    all, whichever addresses it names; other clients are not held up."""
    bulk = app.test_client()
    bulk.environ_base["REMOTE_ADDR"] = "10.4.0.1"
    answers = [_register(bulk, f"list{i}@example.com").status_code for i in range(12)]
    answers += [bulk.post("/account/forgot", data={"email": f"list{i}@example.com"}).status_code for i in range(12)]
    assert answers == [200] * 12 + [302] * 8 + [429] * 4
    assert len(outbox_messages(app)) == 20
    assert bulk.get("/register").status_code == 200                              # the pages still open
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.4.0.2"
    assert _register(other, "someone@example.com").status_code == 200
    assert other.post("/account/forgot", data={"email": "list1@example.com"}).status_code == 302


def test_an_account_made_at_the_same_moment_by_another_request_is_refused_without_an_error(app, users, monkeypatch):
    """The check for an existing address and the insert are two steps; when another request creates the account
    between them, the unique address decides and the person gets the ordinary refusal, not a 500."""
    from lms.accounts import services
    monkeypatch.setattr(services, "user_by_email", lambda email: None)         # as if not yet committed
    try:
        services.register("trainee@example.com", "long-enough-pw")
    except services.AccountError as exc:
        assert "already exists" in str(exc)
    else:
        raise AssertionError("a second account was created")
    db.session.commit()                                                         # the session is still usable
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.email == "trainee@example.com")) == 1


@pytest.mark.own_database
@pytest.mark.skipif(not PG_URL, reason="two requests at once need a database server")
def test_parallel_confirmations_of_one_address_make_one_account(app):
    import threading
    _register(app.test_client(), "race@example.com", "race-password")
    links = [_path(link_in(p)) for _, _, p in _mails_to(app, "race@example.com")] * 3   # followed thrice at once
    barrier, statuses = threading.Barrier(len(links)), []

    def confirm(link):
        with app.app_context():                       # each request runs in its own context and connection
            c = app.test_client()
            barrier.wait()
            statuses.append(c.post(link, data={"password": "race-password"}).status_code)
    threads = [threading.Thread(target=confirm, args=(link,)) for link in links]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [302] * len(links)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "race@example.com")) == 1


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


def _login_from(app, address, email, password=PASSWORD):
    return app.test_client().post("/login", data={"email": email, "password": password},
                                  environ_base={"REMOTE_ADDR": address})


def test_failures_from_one_address_do_not_lock_accounts_it_never_failed_on(app, users):
    """An exam room behind one NAT address: many failed logins with unknown e-mails lock nobody else out."""
    room = "10.1.1.1"
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] + 5):
        assert _login_from(app, room, f"nobody{i}@example.com", "wrong-password").status_code in (401, 429)
    assert _login_from(app, room, "trainee@example.com").status_code == 302
    assert _login_from(app, room, "other@example.com").status_code == 302
    # but the busy address gets only a few tries on each account, known or not (the same answer)
    for _ in range(2):                                  # nobody1 failed once in the loop above
        assert _login_from(app, room, "nobody1@example.com", "wrong-password").status_code == 401
    for _ in range(3):
        assert _login_from(app, room, "teacher@example.com", "wrong-password").status_code == 401
    assert _login_from(app, room, "nobody1@example.com", "wrong-password").status_code == 429
    assert _login_from(app, room, "teacher@example.com").status_code == 429


def test_a_trainee_behind_a_busy_address_who_mistypes_once_still_signs_in(app, users):
    """Twenty ordinary typos and unknown e-mails in one room: a trainee there who mistypes once (or twice) then
    types the right password is not locked out."""
    room = "10.1.1.2"
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        assert _login_from(app, room, f"nobody{i}@example.com", "wrong-password").status_code == 401
    assert _login_from(app, room, "trainee@example.com", "wrong-password").status_code == 401
    assert _login_from(app, room, "trainee@example.com").status_code == 302
    for _ in range(2):
        assert _login_from(app, room, "other@example.com", "wrong-password").status_code == 401
    assert _login_from(app, room, "other@example.com").status_code == 302


def test_the_right_password_from_a_new_address_works_after_another_address_failed_on_the_account(app, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login_from(app, "10.6.6.6", "trainee@example.com", "wrong-password").status_code == 401
    assert _login_from(app, "10.6.6.6", "trainee@example.com").status_code == 429     # that address is locked out
    assert _login_from(app, "10.2.2.2", "trainee@example.com").status_code == 302     # the person is not


def test_the_owners_password_from_a_new_address_works_while_others_guess_from_many_addresses(app, users):
    """Six wrong tries from each of four addresses: the owner's correct password from a fifth address signs in."""
    for i in range(4):
        for _ in range(6):
            assert _login_from(app, f"10.7.0.{i}", "trainee@example.com", "wrong-password").status_code in (401, 429)
    assert _login_from(app, "10.7.0.9", "trainee@example.com").status_code == 302


def test_many_addresses_cannot_guess_one_account_without_limit(app, users):
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert _login_from(app, f"10.9.0.{i}", "trainee@example.com", "wrong-password").status_code == 401
    # past the account's limit, every address that failed on it is locked out of it, even with the right password
    resp = _login_from(app, "10.9.0.3", "trainee@example.com")
    assert resp.status_code == 429 and "reset your password" in resp.get_data(as_text=True)
    # and each new address gets one try: a guess costs a fresh address
    assert _login_from(app, "10.9.1.1", "trainee@example.com", "wrong-password").status_code == 401
    assert _login_from(app, "10.9.1.1", "trainee@example.com", "another-guess").status_code == 429
    assert _login_from(app, "10.9.1.1", "trainee@example.com").status_code == 429
    assert _login_from(app, "10.9.1.1", "other@example.com").status_code == 302        # other accounts are open
    assert _login_from(app, "10.9.1.2", "trainee@example.com").status_code == 302      # the owner, from a new address
    # the owner's sign-in does not forgive the guessers
    assert _login_from(app, "10.9.0.4", "trainee@example.com", "wrong-password").status_code == 429


def test_a_password_reset_lifts_the_persons_lock(app, client, users):
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        _login_from(app, f"10.9.0.{i % 4}", "trainee@example.com", "wrong-password")
    assert _login_from(app, "10.9.0.1", "trainee@example.com").status_code == 429
    client.post("/account/forgot", data={"email": "trainee@example.com"})
    path = _path(link_in(outbox_messages(app)[-1]))
    assert client.post(path, data={"password": "brand-new-pass", "confirm": "brand-new-pass"}).status_code == 302
    assert _login_from(app, "10.9.0.1", "trainee@example.com", "brand-new-pass").status_code == 302


def test_a_copied_session_cookie_is_refused_after_logout(app, client, users):
    login(client, "trainee@example.com")
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/dashboard").status_code == 200                    # the copy works while signed in
    resp = client.post("/logout", follow_redirects=True)
    assert "logged out" in resp.get_data(as_text=True)
    resp = thief.get("/dashboard")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert login(client, "trainee@example.com").status_code == 302       # a new sign-in works


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


def test_forgot_answers_alike_for_known_and_unknown_addresses_and_the_mail_says_the_rest(app, client, users):
    import email
    pages = []
    for address in ("trainee@example.com", "ghost@example.com"):
        resp = client.post("/account/forgot", data={"email": address}, follow_redirects=True)
        # the form token carries the second it was made: the two pages may differ there and nowhere else
        pages.append(re.sub(r'name="csrf_token"[^>]*>', "", resp.get_data(as_text=True)))
    assert pages[0] == pages[1] and "If an account exists" in pages[0]
    # both requests send a mail (the same work either way): a link to the account, a word to the stranger
    mails = {}
    for path in outbox_messages(app):
        msg = email.message_from_bytes(path.read_bytes())
        mails[msg["To"]] = msg.get_payload(decode=True).decode()
    assert set(mails) == {"trainee@example.com", "ghost@example.com"}
    assert "/account/reset/" in mails["trainee@example.com"]
    assert "/account/reset/" not in mails["ghost@example.com"] and "no active account" in mails["ghost@example.com"]


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

"""Profiles: the employer a person declares grants nothing (only an administrator links an account to an
organisation); the profile form survives missing fields; names are checked at entry against what the
certificate can print."""
import pytest
from sqlalchemy import select

from lms.accounts.models import AuditEvent, User
from lms.extensions import db
from tests.factories import login, make_user, settings_for

PROFILE = {"name_zh": "李四", "name_latin": "Li Si", "employer_name": "Acme Materials", "job_title": "Officer",
           "years_experience": "3", "locale": "en"}


def test_declaring_another_organisation_shows_none_of_its_people(client, users):
    # the employer fixture is linked to Acme Materials; a colleague is linked there by an administrator
    colleague = make_user(("trainee",), "colleague@example.com", name_latin="Colleague Zhang",
                          organisation="Acme Materials")
    intruder = make_user(("employer",), "intruder@example.com")
    login(client, intruder.email)
    resp = client.post("/account/profile", data={**PROFILE, "organisation": "Acme Materials"})
    assert resp.status_code == 302
    db.session.refresh(intruder)
    assert intruder.organisation is None and intruder.employer_name == "Acme Materials"
    page = client.get("/dashboard").get_data(as_text=True)
    assert colleague.name_latin not in page and "employer@example.com" not in page
    assert "not linked to an organisation yet" in page
    profile = client.get("/account/profile").get_data(as_text=True)
    assert 'value="Acme Materials"' in profile and "Organisation linked by an administrator:" in profile
    # an administrator finds who declares an employer, to link them if right
    client.post("/logout")
    login(client, "admin@example.com")
    assert intruder.email in client.get("/admin/users?q=acme").get_data(as_text=True)


def test_only_an_administrator_links_an_account_with_an_audit_entry(app, client, users):
    colleague = make_user(("trainee",), "colleague@example.com", name_latin="Colleague Zhang",
                          organisation="Acme Materials")
    intruder = make_user(("employer",), "intruder@example.com")
    login(client, "admin@example.com")
    client.post(f"/admin/users/{intruder.public_id}/organisation", data={"organisation": "Acme Materials"})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.organisation"))
    assert (event.target, event.detail) == ("intruder@example.com", "Acme Materials")
    other = app.test_client()
    login(other, intruder.email)
    assert colleague.name_latin in other.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("missing", list(PROFILE) + ["everything"])
def test_profile_form_posted_without_a_field_is_not_a_server_error(client, users, missing):
    login(client, "employer@example.com")   # an account linked to an organisation
    data = {} if missing == "everything" else {k: v for k, v in PROFILE.items() if k != missing}
    resp = client.post("/account/profile", data=data)
    assert resp.status_code in (200, 302)
    assert db.session.get(User, users["employer"].id).organisation.name == "Acme Materials"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name_zh", "Li Si", "Use Chinese characters only"),
    ("name_zh", "张 三", "(not allowed: \u2423)"),
    ("name_zh", "<b>李</b>", "cannot contain markup characters"),
    ("name_zh", "李😀", "cannot contain emoji"),
    ("name_zh", "·娜娜", "only between the parts of a name"),
    ("name_zh", "吉\U00020BB7", "font cannot print \U00020BB7"),      # outside the BMP and not in the font
    ("name_latin", "李四", "letters, spaces, hyphens and apostrophes only"),
    ("name_latin", "Li <script>", "cannot contain markup characters"),
    ("name_latin", "Li 🎓", "cannot contain emoji"),
    ("name_latin", "Li Si 2", "letters, spaces, hyphens and apostrophes only"),
    ("name_latin", "Łukasz Nowak", "font cannot print Ł"),
])
def test_names_that_are_refused_at_entry(client, users, field, value, message):
    login(client, "trainee@example.com")
    resp = client.post("/account/profile", data={**PROFILE, field: value})
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    user = db.session.get(User, users["trainee"].id)
    assert user.name_zh is None and user.name_latin.startswith("User ")      # nothing saved


@pytest.mark.parametrize(("zh", "latin", "saved"), [
    ("欧阳·娜娜", "Zoë O'Brien-Müller", ("欧阳·娜娜", "Zoë O'Brien-Müller")),
    ("迪丽热巴・迪力木拉提", "Jean\u2019Luc  Pérez", ("迪丽热巴·迪力木拉提", "Jean\u2019Luc Pérez")),   # look-alike dot
    ("", "Jose\u0301", ("", "José")),                                       # e + combining accent → é
    ("", "Ｌｉ Ｓｉ", ("", "Li Si")),                          # full-width letters from a Chinese input method
    ("王\U00020087", "Wang", ("王\U00020087", "Wang")),        # a rare character outside the BMP the font has
])
def test_names_that_are_accepted(client, users, zh, latin, saved):
    login(client, "trainee@example.com")
    assert client.post("/account/profile", data={**PROFILE, "name_zh": zh, "name_latin": latin}).status_code == 302
    user = db.session.get(User, users["trainee"].id)
    assert (user.name_zh or "", user.name_latin) == saved


def test_registration_refuses_a_name_the_certificate_cannot_print(client):
    resp = client.post("/register", data={"email": "new@example.com", "name_zh": "李😀", "name_latin": "Li",
                                          "password": "long-enough-pw", "confirm": "long-enough-pw"})
    assert resp.status_code == 200 and "cannot contain emoji" in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None


def test_administrator_corrects_names_with_the_same_rules(client, users):
    login(client, "admin@example.com")
    trainee = users["trainee"]
    resp = client.post(f"/admin/users/{trainee.public_id}/names", data={"name_zh": "<i>", "name_latin": "Li"})
    assert resp.status_code == 400 and "cannot contain markup characters" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/users/{trainee.public_id}/names", data={"name_zh": "李四", "name_latin": "Li Si"})
    assert resp.status_code == 302
    db.session.refresh(trainee)
    assert (trainee.name_zh, trainee.name_latin) == ("李四", "Li Si")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.names")) == "user.names"


def test_migration_keeps_only_the_links_an_administrator_made(empty_database, tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from lms import create_app
    app = create_app(settings_for(tmp_path, empty_database))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="7e4b1a9c2d55")
        with db.engine.begin() as conn:
            for oid, name in ((1, "Acme Materials"), (2, "Other Labs")):
                conn.execute(text("INSERT INTO organisations (id, public_id, name, kind, created_at) "
                                  "VALUES (:id, :pid, :name, 'company', CURRENT_TIMESTAMP)"),
                             {"id": oid, "pid": f"o{oid}", "name": name})
            for uid, email, org in ((1, "linked@example.com", 1), (2, "declared@example.com", 1),
                                    (3, "moved@example.com", 2), (4, "spaced@example.com", 1)):
                conn.execute(text(
                    "INSERT INTO users (id, public_id, email, password_hash, organisation_id, locale, active, "
                    "session_version, created_at) VALUES (:id, :pid, :email, 'x', :org, 'en', true, 1, "
                    "CURRENT_TIMESTAMP)"), {"id": uid, "pid": f"p{uid}", "email": email, "org": org})
            # an administrator linked the first and the third; the third then declared another organisation
            # (the fourth's audit detail was recorded with surrounding spaces)
            for email, detail in (("linked@example.com", "acme materials"), ("moved@example.com", "acme materials"),
                                  ("spaced@example.com", " Acme Materials ")):
                conn.execute(text("INSERT INTO audit_events (action, target, detail, created_at) VALUES "
                                  "('user.organisation', :email, :detail, CURRENT_TIMESTAMP)"),
                             {"email": email, "detail": detail})
        upgrade(directory=directory, revision="59296868be56")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT email, organisation_id, employer_name FROM users ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [("linked@example.com", 1, "Acme Materials"),
                                        ("declared@example.com", None, "Acme Materials"),
                                        ("moved@example.com", None, "Other Labs"),
                                        ("spaced@example.com", 1, "Acme Materials")]

"""API keys die with the owner's employer role or account; administrators list and revoke every key."""
from sqlalchemy import select

from lms.accounts.models import AuditEvent
from lms.employers.models import ApiKey
from lms.employers.services import create_key
from lms.extensions import db
from tests.factories import login

IDS = {"ids": ["0" * 32]}


def _key(users, name="HR system"):
    key, secret = create_key(users["employer"], name)
    db.session.commit()
    return key, secret


def _call(app, secret):
    return app.test_client().post("/api/v1/verify", json=IDS, headers={"Authorization": f"Bearer {secret}"})


def test_a_key_stops_working_when_its_owner_loses_the_employer_role(app, client, users):
    _key_row, secret = _key(users)
    assert _call(app, secret).status_code == 200
    login(client, "admin@example.com")
    client.post(f"/admin/users/{users['employer'].public_id}/roles/remove", data={"role": "employer"})
    resp = _call(app, secret)
    assert resp.status_code == 401 and resp.get_json()["error"] == "invalid or revoked API key"


def test_a_key_stops_working_when_its_owners_account_is_deactivated(app, client, users):
    _key_row, secret = _key(users)
    login(client, "admin@example.com")
    client.post(f"/admin/users/{users['employer'].public_id}/active/0")
    assert _call(app, secret).status_code == 401


def test_administrators_list_every_key_and_revoke_one_after_confirming(app, client, users):
    key, secret = _key(users)
    _other_key, _ = _key(users, "Payroll")
    login(client, "admin@example.com")
    page = client.get("/admin/api-keys").get_data(as_text=True)
    assert "HR system" in page and "Payroll" in page and key.prefix in page and secret not in page
    assert "employer@example.com" in page and "Acme Materials" in page and page.count(">Active<") == 2
    confirm = client.get(f"/admin/api-keys/{key.public_id}/revoke").get_data(as_text=True)
    assert "Revoke the key" in confirm and "HR system" in confirm
    assert _call(app, secret).status_code == 200          # asking to revoke is not revoking
    resp = client.post(f"/admin/api-keys/{key.public_id}/revoke")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/api-keys")
    assert _call(app, secret).status_code == 401
    page = client.get("/admin/api-keys").get_data(as_text=True)
    assert page.count(">Active<") == 1 and ">Revoked<" in page
    events = [(e.action, e.actor_id, e.target) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("apikey.%")).order_by(AuditEvent.id))]
    assert events == [("apikey.create", users["employer"].id, "employer@example.com"),
                      ("apikey.create", users["employer"].id, "employer@example.com"),
                      ("apikey.revoke", users["admin"].id, "employer@example.com")]


def test_the_admin_list_says_why_a_key_does_not_work(client, users):
    _key(users)
    login(client, "admin@example.com")
    client.post(f"/admin/users/{users['employer'].public_id}/roles/remove", data={"role": "employer"})
    page = client.get("/admin/api-keys").get_data(as_text=True)
    assert "the owner is no longer an employer" in page
    client.post(f"/admin/users/{users['employer'].public_id}/active/0")
    assert "account is deactivated" in client.get("/admin/api-keys").get_data(as_text=True)
    assert db.session.scalar(select(ApiKey)).revoked_at is None

from sqlalchemy import select

from lms.accounts.models import AuditEvent
from lms.extensions import db
from tests.factories import login


def test_admin_lists_searches_and_filters_users(client, users):
    login(client, "admin@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "trainee@example.com" in page and "employer@example.com" in page
    page = client.get("/admin/users?q=acme").get_data(as_text=True)
    assert "employer@example.com" in page and "trainee@example.com" not in page
    page = client.get("/admin/users?role=instructor").get_data(as_text=True)
    assert "teacher@example.com" in page and "trainee@example.com" not in page


def test_admin_grants_and_removes_roles_with_audit(client, users):
    login(client, "admin@example.com")
    trainee = users["trainee"]
    client.post(f"/admin/users/{trainee.public_id}/roles/grant", data={"role": "instructor"})
    db.session.refresh(trainee)
    assert trainee.role_names == ["instructor", "trainee"]
    client.post(f"/admin/users/{trainee.public_id}/roles/remove", data={"role": "trainee"})
    db.session.refresh(trainee)
    assert trainee.role_names == ["instructor"]
    actions = [a.action for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["role.grant", "role.remove"]


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(client, users):
    login(client, "admin@example.com")
    admin = users["admin"]
    resp = client.post(f"/admin/users/{admin.public_id}/roles/remove", data={"role": "admin"}, follow_redirects=True)
    assert "cannot remove your own administrator role" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/users/{admin.public_id}/active/0", follow_redirects=True)
    assert "cannot deactivate your own account" in resp.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active and admin.has_role("admin")


def test_deactivation_ends_the_users_sessions(app, client, users):
    trainee_client = app.test_client()
    login(trainee_client, "trainee@example.com")
    login(client, "admin@example.com")
    client.post(f"/admin/users/{users['trainee'].public_id}/active/0")
    assert trainee_client.get("/dashboard").status_code == 302
    page = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "trainee@example.com" in page and "other@example.com" not in page


def test_employer_dashboard_shows_their_organisation(client, users):
    login(client, "admin@example.com")
    client.post(f"/admin/users/{users['other'].public_id}/organisation", data={"organisation": "Acme Materials"})
    client.post("/logout")
    login(client, "employer@example.com")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Acme Materials" in page and "User " in page and "2 members" in page


def test_user_urls_use_unguessable_ids(client, users):
    login(client, "admin@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{users['trainee'].public_id}" in page
    assert len(users["trainee"].public_id) == 32
    assert client.get(f"/admin/users/{users['trainee'].id}").status_code == 404

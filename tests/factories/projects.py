"""The projects' helpers: a trainee registers a real project, the sponsor confirms it, examiners grade it,
through the pages a person uses."""
import email
import email.policy
import io
import re

from sqlalchemy import select

from lms.extensions import db
from lms.projects.models import Brief, Project
from tests.factories import login, outbox_messages
from tests.factories.content import PDF


def _mail_to(app, address):
    out = []
    for path in outbox_messages(app):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == address:
            out.append((str(msg["Subject"]), msg.get_content()))
    return out


def _as(app, user):
    c = app.test_client()
    assert login(c, user.email).status_code == 302
    return c


def _brief():
    return db.session.scalar(select(Brief))


def register(app, people, **extra):
    c = _as(app, people["trainee"])
    data = {"title": "Evaluating a solid-state electrolyte", "description": "A lab's electrolyte for a licensee.",
            "trainee_role": "I wrote the evaluation.", "sponsor_org": "Acme Batteries", "sponsor_kind": "company",
            "sponsor_name": "Ms Sponsor", "sponsor_email": "sponsor@acme.example", **extra}
    resp = c.post(f"/projects/briefs/{_brief().public_id}/register", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    project = db.session.scalar(select(Project).order_by(Project.id.desc()))
    return c, project


def sponsor_link(app):
    body = _mail_to(app, "sponsor@acme.example")[-1][1]
    return re.search(r"http://lms\.example\.com(/projects/sponsor/\S+)", body).group(1)


def confirm(app, link, name="Ms Sponsor"):
    anon = app.test_client()
    page = anon.get(link)
    assert page.status_code == 200 and "Evaluating a solid-state electrolyte" in page.get_data(as_text=True)
    resp = anon.post(link, data={"decision": "confirm", "statement": "She led the evaluation.", "signed_name": name})
    assert "Your answer is recorded" in resp.get_data(as_text=True)
    return anon


def staff(app, people, project, **roles):
    admin = _as(app, people["admin"])
    data = {role: people[who].public_id for role, who in roles.items()}
    return admin.post(f"/projects/{project.public_id}/staff", data=data, follow_redirects=True)


def upload(client, project, files):
    data = {"files": files, "note": "first version"}
    return client.post(f"/projects/{project.public_id}/submit", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def grade(app, user, project, scores, overall="Clear report.", action="submit", agreed=False, reason=""):
    c = _as(app, user)
    brief = _brief()
    data = {"overall": overall, "action": action, "reason": reason}
    for cr in brief.criteria:
        score = scores[cr.key]
        band = brief.band_for(score)["key"]
        data.update({f"band-{cr.id}": band, f"score-{cr.id}": str(score), f"comment-{cr.id}": f"{cr.key} note"})
    url = f"/projects/{project.public_id}/grade" + ("?agreed=1" if agreed else "")
    return c, c.post(url, data=data, follow_redirects=True)


def ready_for_grading(app, people):
    trainee, project = register(app, people)
    confirm(app, sponsor_link(app))
    assert "Assignments saved" in staff(app, people, project, lecturer="lecturer", practitioner="practitioner") \
        .get_data(as_text=True)
    page = upload(trainee, project, [(io.BytesIO(PDF), "技术评估报告.pdf")]).get_data(as_text=True)
    assert "Version 1 submitted with 1 files" in page
    return trainee, project


def confirmed(app, people):
    """A registered project whose sponsor has confirmed it: the trainee may submit."""
    client, project = register(app, people)
    confirm(app, sponsor_link(app))
    return client, project

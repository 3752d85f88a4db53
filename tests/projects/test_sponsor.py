"""Mail to a sponsor's outside address: the platform's words and the project's title only, a few per project
per day; and the sponsor's link records one answer, even when two arrive at once."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lms.extensions import db
from lms.projects import services as svc
from lms.projects.models import Project, SponsorMail
from tests.factories.projects import _mail_to, register, sponsor_link

SPAM = {"title": "Win a prize at http://spam.example/win or www.spam.example, mail win@spam.example now",
        "sponsor_name": "Visit https://spam.example/offer", "sponsor_org": "spam.example Ltd"}


def test_the_sponsor_mail_carries_only_the_platform_s_words_and_a_title_that_is_no_link(app, people):
    register(app, people, **SPAM)
    (_subject, body), = _mail_to(app, "sponsor@acme.example")
    link = "http://lms.example.com" + sponsor_link(app)
    assert re.findall(r"https?://\S+", body) == [link, link]          # the platform's link, in each language
    assert "spam.example" not in body and "www.spam" not in body and "@spam" not in body
    assert "Visit" not in body and "Ltd" not in body and "Zhang Wei" not in body
    assert "Win a prize at http[:]//spam[.]example/win or www[.]spam[.]example, mail win[at]spam[.]example now" in body


def test_a_long_title_is_cut_in_the_mail():
    title = svc.mail_title("Evaluation " * 40 + "\n\x07tail")
    assert len(title) == svc.MAIL_TITLE_MAX and title.endswith("…") and "\n" not in title


def test_a_project_sends_its_sponsor_a_few_mails_a_day(app, people):
    trainee, project = register(app, people)
    for _ in range(2):
        page = trainee.post(f"/projects/{project.public_id}/sponsor-link", follow_redirects=True)
        assert "A new link has been sent" in page.get_data(as_text=True)
    third = sponsor_link(app)
    page = trainee.post(f"/projects/{project.public_id}/sponsor-link", follow_redirects=True).get_data(as_text=True)
    assert "already been sent 3 e-mails about this project in the last 24 hours" in page
    assert len(_mail_to(app, "sponsor@acme.example")) == 3
    assert db.session.scalar(select(func.count()).select_from(SponsorMail)) == 3
    # the refused request changed nothing: the last link sent still works
    assert app.test_client().get(third).status_code == 200
    # a day later, one more
    db.session.execute(update(SponsorMail).values(sent_at=SponsorMail.sent_at - timedelta(hours=25)))
    db.session.commit()
    page = trainee.post(f"/projects/{project.public_id}/sponsor-link", follow_redirects=True).get_data(as_text=True)
    assert "A new link has been sent" in page and len(_mail_to(app, "sponsor@acme.example")) == 4


def _answers(app):
    return [s for s, _ in _mail_to(app, "trainee@example.com") if "answered" in s]


@pytest.mark.own_database         # the answers commit in transactions of their own
def test_two_answers_sent_at_once_record_one_decision_and_one_mail(app, people, monkeypatch):
    """The second answer's request has read the project (no answer yet) when the first one is recorded and
    committed; it must then record nothing, send nothing, and say the link has been used."""
    register(app, people)
    link = sponsor_link(app)
    first, second = app.test_client(), app.test_client()
    real, calls, replies = svc.project_for_token, [], {}

    def meanwhile(token):
        project = real(token)
        calls.append(token)
        if len(calls) == 2:          # the second request is past its checks: the first one answers now
            replies["first"] = first.post(link, data={"decision": "confirm", "statement": "She led it.",
                                                       "signed_name": "First Click"})
        return project
    monkeypatch.setattr(svc, "project_for_token", meanwhile)
    late = second.post(link, data={"decision": "decline", "statement": "", "signed_name": "Second Click"})
    assert "Your answer is recorded" in replies["first"].get_data(as_text=True)
    assert late.status_code == 410 and "has been used" in late.get_data(as_text=True)
    project = db.session.scalar(select(Project))
    assert project.sponsor_decision == "confirmed" and project.sponsor_signed_name == "First Click"
    assert project.status == "confirmed" and len(_answers(app)) == 1

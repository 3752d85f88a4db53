"""Two sponsors' clicks in two threads at the same moment, each with its own database connection (PostgreSQL,
or a SQLite file: the in-memory test database has one connection for all)."""
import threading

import pytest

from lms import create_app
from lms.extensions import db
from lms.projects import services as svc
from tests.factories import PG_URL, IsolatedClient, settings_for
from tests.factories.projects import _mail_to, register, sponsor_link

pytestmark = pytest.mark.own_database          # two connections at once, each in a transaction of its own


@pytest.fixture
def app(app, tmp_path):
    if PG_URL:
        yield app
        return
    file_app = create_app(settings_for(tmp_path, f"sqlite:///{tmp_path / 'threads.sqlite3'}"))
    file_app.test_client_class = IsolatedClient
    with file_app.app_context():
        db.create_all()
        yield file_app
        db.session.remove()
        db.engine.dispose()


def _answers(app):
    return [s for s, _ in _mail_to(app, "trainee@example.com") if "answered" in s]


def test_two_threads_answering_at_once_record_one_decision(app, people, monkeypatch):
    register(app, people)
    token = sponsor_link(app).rsplit("/", 1)[1]
    real, barrier, outcome = svc.project_for_token, threading.Barrier(2), []

    def together(t):
        project = real(t)
        barrier.wait(timeout=20)       # both have read the project, no answer yet
        return project
    monkeypatch.setattr(svc, "project_for_token", together)

    def answer(name):
        with app.app_context():
            try:
                svc.sponsor_decide(token, confirm=True, statement="Real work.", signed_name=name, address=None)
                db.session.commit()
                outcome.append("recorded")
            except svc.SponsorLinkUnusable as exc:
                db.session.rollback()
                outcome.append(str(exc))
            finally:
                db.session.remove()
    threads = [threading.Thread(target=answer, args=(n,)) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcome) == ["This link has been used: the answer is recorded.", "recorded"]
    assert len(_answers(app)) == 1

"""Signals, jobs after the commit, mail from templates, issuance as a job, and the loader registry."""
import email
import email.policy
import logging
import socket

import pytest
from sqlalchemy import select

from lms import create_app, signals
from lms.catalog.models import LessonProgress
from lms.extensions import db
from lms.jobs import after_commit
from lms.mail import queue_mail
from tests.factories import login, make_user, outbox_messages

F1 = "f1-system-policy-ethics"
CALLS: list = []


def record(*args):
    """A job for these tests: notes its arguments."""
    CALLS.append(args)


def fail(*args):
    raise RuntimeError("this job fails")


@pytest.fixture(autouse=True)
def _no_calls():
    # a migration test earlier in the session runs Alembic's fileConfig, which disables existing loggers
    for name in ("lms.jobs", "lms.mail"):
        logging.getLogger(name).disabled = False
    CALLS.clear()
    yield
    CALLS.clear()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]       # nothing listens on it once the socket is closed


# ---------------------------------------------------------------- jobs after the commit

def test_a_job_runs_once_after_the_commit_and_never_after_a_rollback(app):
    after_commit(f"{__name__}.record", "kept")
    after_commit(f"{__name__}.record", "kept")         # the same job twice in one transaction runs once
    assert CALLS == []                                  # not before the commit
    db.session.commit()
    assert CALLS == [("kept",)]
    after_commit(f"{__name__}.record", "dropped")
    db.session.rollback()
    db.session.commit()
    assert CALLS == [("kept",)]


def test_a_savepoint_does_not_run_the_outer_transactions_jobs(app):
    make_user(("trainee",), "someone@example.com")
    after_commit(f"{__name__}.record", "outer")
    with db.session.begin_nested():
        after_commit(f"{__name__}.record", "inner")
    assert CALLS == []
    db.session.commit()
    assert CALLS == [("outer",), ("inner",)]


def test_a_failing_job_is_logged_and_fails_nothing(app, caplog):
    after_commit(f"{__name__}.fail")
    after_commit(f"{__name__}.record", "after the failure")
    with caplog.at_level(logging.ERROR, logger="lms.jobs"):
        db.session.commit()
    assert "job tests.core.test_signals_jobs_mail.fail failed" in caplog.text
    assert CALLS == [("after the failure",)]


# ---------------------------------------------------------------- mail

def test_mail_is_rendered_from_its_template_and_sent_after_the_commit(app):
    queue_mail("holder@example.com", "examiner_assigned", role="lecturer",
               project=type("P", (), {"title": "A <b>bold</b> licence"}),
               brief=type("B", (), {"title_en": "Licensing", "title_zh": ""}), url="http://lms.example.com/p/1")
    assert outbox_messages(app) == []
    db.session.commit()
    [path] = outbox_messages(app)
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "holder@example.com" and msg["Subject"] == "You are an examiner / 您被指定为项目考官"
    assert 'the lecturer examiner of "A <b>bold</b> licence" (Licensing)' in msg.get_content()    # plain text, not escaped


def test_a_password_reset_answers_even_when_the_mail_server_fails(app, users, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    c = app.test_client()
    with caplog.at_level(logging.ERROR, logger="lms.jobs"):
        resp = c.post("/account/forgot", data={"email": "trainee@example.com"}, follow_redirects=True)
    assert resp.status_code == 200 and "If an account exists for that address" in resp.get_data(as_text=True)
    assert "job lms.mail.send_mail failed" in caplog.text
    assert outbox_messages(app) == []


def test_a_request_that_rolls_back_sends_no_mail(app, users, monkeypatch):
    from lms.accounts import views

    def queue_then_fail(*args, **kwargs):
        queue_mail(*args, **kwargs)
        raise RuntimeError("the request fails after asking for the mail")
    monkeypatch.setattr(views, "queue_mail", queue_then_fail)
    with pytest.raises(RuntimeError):
        app.test_client().post("/account/forgot", data={"email": "trainee@example.com"})
    assert outbox_messages(app) == []


def test_the_outbox_log_names_recipient_subject_and_file_never_the_body(app, users, caplog):
    with caplog.at_level(logging.INFO, logger="lms.mail"):
        app.test_client().post("/account/forgot", data={"email": "trainee@example.com"})
    [path] = outbox_messages(app)
    assert "/account/reset/" in path.read_text(errors="ignore")
    assert "trainee@example.com" in caplog.text and "Reset your password" in caplog.text and path.name in caplog.text
    assert "/account/reset/" not in caplog.text and "Open this link" not in caplog.text


# ---------------------------------------------------------------- issuance as a job

def test_a_failing_issuance_never_fails_the_lesson(app, loaded, monkeypatch, caplog):
    from lms.catalog import services as catalog
    from lms.credentials import services as credentials
    trainee = make_user(("trainee",), "learner@example.com")
    catalog.enrol(trainee, catalog.course_by_slug(F1))
    db.session.commit()

    def broken(user):
        raise RuntimeError("signing failed")
    monkeypatch.setattr(credentials, "check_and_issue", broken)
    c = app.test_client()
    login(c, trainee.email)
    with caplog.at_level(logging.ERROR, logger="lms.jobs"):
        resp = c.post(f"/courses/{F1}/lessons/01-what-is-technology-transfer/done", data={"done": "1"})
    assert resp.status_code == 302
    assert db.session.scalar(select(LessonProgress).where(LessonProgress.user_id == trainee.id)) is not None
    assert "job lms.credentials.services.check_and_issue_for failed" in caplog.text
    assert "signing failed" in caplog.text


# ---------------------------------------------------------------- signals and loaders

def test_a_second_app_connects_no_receiver_twice(app):
    counts = {name: len(sig.receivers) for name, sig in signals.lms_signals.items()}
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    assert {name: len(sig.receivers) for name, sig in signals.lms_signals.items()} == counts
    assert counts["progress-changed"] == 1 and counts["editor-links"] == 2 and counts["storage-usage"] == 2


def test_query_answers_come_in_the_order_the_features_connected(app):
    receivers = [r.__module__ for r in signals.editor_links.receivers.values()]
    assert receivers == ["lms.assessment.hooks", "lms.projects.views"]


def test_every_feature_registers_its_loaders_in_dependency_order(app):
    from lms.loading import loaders
    kinds = [ld.kind for ld in loaders()]
    assert kinds == ["framework", "courses", "banks", "rubrics", "quizzes", "briefs", "programmes"]
    for i, ld in enumerate(loaders()):
        assert all(k in kinds[:i] for k in ld.after), ld.kind


def test_an_account_mail_is_in_the_language_of_the_request(app, users):
    app.test_client().post("/account/forgot", data={"email": "trainee@example.com"},
                           headers={"Accept-Language": "zh-CN"})
    [path] = outbox_messages(app)
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] != "Reset your password" and "/account/reset/" in msg.get_content()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in msg["Subject"])

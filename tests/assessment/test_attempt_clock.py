"""The attempt page's clock: the countdown counts the seconds the server gives, never to the deadline by the
computer's own clock, and the page can ask the server again (extra time given meanwhile, a sleeping laptop)."""
import re
from datetime import timedelta

from sqlalchemy import select

from lms.assessment.models import Attempt
from lms.db import utcnow
from lms.extensions import db
from tests.factories import login


def _start(client, quiz):
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    return db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))


def _countdown(html: str) -> dict[str, str]:
    tag = re.search(r'<strong id="countdown"([^>]*)>', html).group(1)
    return dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', tag))


def test_the_page_counts_down_the_servers_seconds_and_the_clock_says_the_same(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    page = client.get(f"/attempts/{att.public_id}")
    assert page.headers["Cache-Control"] == "no-store"        # never shown again from a cache, old clock and all
    countdown = _countdown(page.get_data(as_text=True))
    assert 20 * 60 - 5 <= int(countdown["data-left"]) <= 20 * 60            # the quiz's 20 minutes
    resp = client.get(countdown["data-clock-url"])
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.json["open"] is True and 20 * 60 - 5 <= resp.json["left"] <= 20 * 60
    assert resp.json["deadline"] == countdown["data-deadline"]              # the page sees no change


def test_extra_time_given_during_the_attempt_reaches_the_clock(app, client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    before = client.get(f"/attempts/{att.public_id}/clock").json
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    teacher.post(f"/teach/quizzes/{quiz.public_id}/overrides",
                 data={"email": "trainee@example.com", "extra_minutes": "15", "extra_attempts": "0", "reason": "plan"})
    after = client.get(f"/attempts/{att.public_id}/clock").json
    assert after["open"] is True and after["deadline"] != before["deadline"]
    assert 35 * 60 - 5 <= after["left"] <= 35 * 60


def test_the_clock_says_when_time_is_up_or_the_attempt_is_over_and_is_only_the_owners(app, client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    other = app.test_client()
    login(other, "other@example.com")
    assert other.get(f"/attempts/{att.public_id}/clock").status_code == 404
    assert client.get("/attempts/no-such-attempt/clock").status_code == 404
    att.deadline = utcnow() - timedelta(seconds=30)
    db.session.commit()
    overdue = client.get(f"/attempts/{att.public_id}/clock").json
    assert overdue["open"] is True and overdue["left"] == 0     # the page then reloads, and the attempt closes
    assert client.get(f"/attempts/{att.public_id}").status_code == 302
    assert client.get(f"/attempts/{att.public_id}/clock").json == {"open": False, "left": None, "deadline": None}


def test_seconds_left_round_up_so_the_page_never_reloads_before_the_server_says_time_is_up():
    from lms.assessment.exams import seconds_left
    now = utcnow()
    assert seconds_left(now + timedelta(milliseconds=300), now) == 1
    assert seconds_left(now, now) == 0 and seconds_left(now - timedelta(seconds=5), now) == 0
    assert seconds_left(None, now) is None

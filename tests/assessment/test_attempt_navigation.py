"""The attempt page's question navigation and the "flag for review" marks: what a trainee sees, what survives
leaving the page, and who may change a flag."""
import re
from datetime import timedelta

from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptItem
from lms.db import utcnow
from lms.extensions import db
from tests.factories import login


def _start(client, quiz):
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    return db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))


def _nav(html: str) -> dict[int, set[str]]:
    """{position: the link's state classes} of the navigation panel."""
    nav = html.split('id="qnav"', 1)[1].split("</nav>", 1)[0]
    return {int(pos): set(classes.split()) - {"qnav-link"}
            for classes, pos in re.findall(r'class="([^"]*)" data-nav="(\d+)"', nav)}


def _flags(att) -> dict[int, bool]:
    rows = db.session.execute(select(AttemptItem.position, AttemptItem.flagged)
                              .where(AttemptItem.attempt_id == att.id)).all()
    return dict(rows)


def _fieldset(html: str, pos: int) -> str:
    return html.split(f'id="q{pos}"', 1)[1].split("</fieldset>", 1)[0]


def test_the_navigation_lists_every_question_and_shows_which_are_answered(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    positions = sorted(i.position for i in att.items if i.mark)
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert _nav(html) == {pos: set() for pos in positions}
    assert html.count('href="#q') >= len(positions)
    essay = next(i.position for i in att.items if i.version.spec["qtype"] == "essay")
    other = next(p for p in positions if p != essay)
    client.post(f"/attempts/{att.public_id}/answer", json={"position": essay, "response": "My draft"})
    client.post(f"/attempts/{att.public_id}/answer", json={"position": other, "response": ""})   # emptied
    nav = _nav(client.get(f"/attempts/{att.public_id}").get_data(as_text=True))
    assert nav[essay] == {"answered"}
    assert nav[other] == set()                  # a saved empty answer is not an answer
    # screen readers hear the state with the number
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert re.search(rf'data-nav="{essay}">{essay}<span class="sr-only">, answered</span>', html)


def test_a_flag_set_by_the_page_script_is_kept_and_shown_after_leaving_the_page(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    pos = min(i.position for i in att.items if i.mark)
    resp = client.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": True})
    assert resp.status_code == 200 and resp.json == {"saved": True, "position": pos, "flagged": True}
    assert _flags(att)[pos] is True and sum(_flags(att).values()) == 1
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert _nav(html)[pos] == {"flagged"}
    assert re.search(rf'name="flag{pos}" value="1" data-flag checked', _fieldset(html, pos))
    summary = client.get(f"/attempts/{att.public_id}/summary").get_data(as_text=True)
    assert summary.count(">Flagged<") == 1
    client.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": False})
    assert not any(_flags(att).values())
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    assert _nav(html)[pos] == set() and "checked" not in _fieldset(html, pos)


def test_without_javascript_the_save_button_sends_the_flags_with_the_answers(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    first, second = sorted(i.position for i in att.items if i.mark)[:2]
    client.post(f"/attempts/{att.public_id}/save", data={"flags-present": "1", f"flag{first}": "1",
                                                          f"flag{second}": "1", "finish": "0"})
    assert {p for p, f in _flags(att).items() if f} == {first, second}
    # the next Save sends only the boxes still ticked: the other one is cleared
    client.post(f"/attempts/{att.public_id}/save", data={"flags-present": "1", f"flag{second}": "1", "finish": "0"})
    assert {p for p, f in _flags(att).items() if f} == {second}
    # a form without the boxes leaves them alone, and so does the summary's Submit
    client.post(f"/attempts/{att.public_id}/save", data={"finish": "0"})
    assert {p for p, f in _flags(att).items() if f} == {second}
    client.post(f"/attempts/{att.public_id}/submit")
    assert {p for p, f in _flags(att).items() if f} == {second}


def test_a_malformed_flag_or_body_gets_a_clear_answer_not_an_error_page(client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    pos = min(i.position for i in att.items if i.mark)
    resp = client.post(f"/attempts/{att.public_id}/save", data={"flags-present": "1", "flag²": "1",
                                                                 f"flag{pos}": "1", "finish": "0"})
    assert resp.status_code == 302 and {p for p, f in _flags(att).items() if f} == {pos}
    for url in (f"/attempts/{att.public_id}/flag", f"/attempts/{att.public_id}/answer"):
        resp = client.post(url, json=[1, 2])
        assert resp.status_code == 400 and resp.json["saved"] is False and resp.json["error"] == "Unknown question."


def test_flags_are_refused_for_another_persons_or_a_closed_attempt_and_for_an_unknown_question(app, client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    pos = min(i.position for i in att.items if i.mark)
    other = app.test_client()
    login(other, "other@example.com")
    assert other.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": True}).status_code == 404
    resp = client.post(f"/attempts/{att.public_id}/flag", json={"position": 999, "flagged": True})
    assert resp.status_code == 409 and "Unknown question" in resp.json["error"]
    assert client.post(f"/attempts/{att.public_id}/flag", json={"position": "x"}).status_code == 400
    assert not any(_flags(att).values())
    att.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": True})
    assert resp.status_code == 409 and resp.json["closed"] is True and "Time is up" in resp.json["error"]
    db.session.refresh(att)
    assert att.state in ("submitted", "graded") and not any(_flags(att).values())


def test_a_prepared_or_submitted_attempt_takes_no_flag(client, quiz):
    login(client, "trainee@example.com")
    client.get(f"/quizzes/{quiz.public_id}")                # the quiz page draws the next attempt, unstarted
    prepared = db.session.scalar(select(Attempt).where(Attempt.state == "prepared"))
    assert prepared is not None
    assert client.post(f"/attempts/{prepared.public_id}/flag", json={"position": 1, "flagged": True}).status_code == 404
    att = _start(client, quiz)
    client.post(f"/attempts/{att.public_id}/submit")
    pos = min(i.position for i in att.items if i.mark)
    resp = client.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": True})
    assert resp.status_code == 409 and resp.json["closed"] is True and "submitted" in resp.json["error"]
    assert not any(_flags(att).values())


def test_a_flagged_question_is_never_shown_from_the_cache_of_unanswered_questions(app, client, quiz):
    """The HTML of an unanswered question is kept per process; a flagged one is rendered as it is."""
    from dataclasses import replace

    from lms.assessment import exams
    from lms.assessment.exam_views import _question_fields
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    with app.test_request_context("/"):
        items = exams.page_items(att)
        plain = [str(h) for h in _question_fields(items)]               # fills the cache
        flagged = [str(h) for h in _question_fields([replace(i, flagged=True) for i in items])]
        again = [str(h) for h in _question_fields(items)]
    graded = [n for n, i in enumerate(items) if i.mark]
    assert all("data-flag checked" in flagged[n] and 'class="card question flagged"' in flagged[n] for n in graded)
    assert not any("checked" in h for h in plain + again) and again == plain


def test_a_flag_needs_the_pages_form_token(app, client, quiz):
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    pos = min(i.position for i in att.items if i.mark)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": True})
        assert resp.status_code == 400
        html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        resp = client.post(f"/attempts/{att.public_id}/flag", json={"position": pos, "flagged": True},
                           headers={"X-CSRFToken": token})
        assert resp.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _flags(att)[pos] is True


def test_the_navigation_and_the_flag_box_are_in_chinese_for_a_chinese_reader(client, quiz):
    login(client, "trainee@example.com")
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    att = _start(client, quiz)
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    nav = html.split('id="qnav"', 1)[1].split("</nav>", 1)[0]
    links = nav.split('<ol class="qnav-list">', 1)[1].split("</ol>", 1)[0]
    key = nav.split('<ul class="qnav-key', 1)[1].split("</ul>", 1)[0]
    graded = sum(1 for i in att.items if i.mark)
    assert links.count('<span class="sr-only">，尚未作答</span>') == graded and "answered" not in links.replace(
        'class="qnav-link"', "")
    assert "已作答" in key and "尚未作答" in key and "已标记" in key and "Flagged" not in key
    assert '<h2 id="qnav-title">题目</h2>' in nav
    assert html.count("> 标记待复查<span") == graded and "Flag for review" not in html


def test_an_answered_matching_question_shows_its_choices_when_the_page_is_opened_again(client, quiz):
    quiz.sections[1].idnumbers = ["X-4", "X-6"]          # the matching question in every attempt
    db.session.commit()
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    match = next(i for i in att.items if i.version.spec["qtype"] == "match")
    resp = client.post(f"/attempts/{att.public_id}/answer",
                       json={"position": match.position, "response": {"0": "use", "1": "ownership"}})
    assert resp.status_code == 200
    page = client.get(f"/attempts/{att.public_id}")
    assert page.status_code == 200
    field = _fieldset(page.get_data(as_text=True), match.position)
    assert re.search(r'<option value="use"\s+selected>use</option>', field)
    assert re.search(r'<option value="ownership"\s+selected>ownership</option>', field)
    assert not re.search(r'<option value="shares"\s+selected>', field)

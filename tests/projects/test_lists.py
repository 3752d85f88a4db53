"""A brief's overview and the project grading queue: the overview is paginated, and both run a fixed
number of queries whatever the number of projects they show."""
import re

from sqlalchemy import select

from lms.extensions import db
from lms.projects.models import Brief, ExaminerAssignment, Project
from tests.factories import login, make_user


def _projects(people, n: int) -> None:
    brief = db.session.scalar(select(Brief))
    for i in range(n):
        trainee = make_user(("trainee",))
        db.session.add(Project(
            brief_id=brief.id, trainee_id=trainee.id, title=f"Project {i}", description="d", trainee_role="r",
            confidential=bool(i % 3 == 0), sponsor_org="Acme", sponsor_kind="company", sponsor_name="S",
            sponsor_email="s@example.com", status="grading",
            examiners=[ExaminerAssignment(user_id=people["lecturer"].id, role="lecturer"),
                       ExaminerAssignment(user_id=people["practitioner"].id, role="practitioner")]))
    db.session.commit()


def _count(app, count_queries, who, url) -> tuple[int, str]:
    client = app.test_client()
    assert login(client, who.email).status_code == 302
    with count_queries() as queries:
        resp = client.get(url)
    assert resp.status_code == 200
    return queries[0], resp.get_data(as_text=True)


def _rows(page: str) -> int:
    return len(re.findall(r'href="/projects/[0-9a-f]{32}"', page))


def test_the_overview_and_the_queue_are_flat_at_3_and_30_projects(app, people, count_queries):
    brief = db.session.scalar(select(Brief))
    overview, queue = [], []
    for n, shown in ((3, 3), (27, 30)):
        _projects(people, n)
        count, page = _count(app, count_queries, people["lecturer"], f"/projects/briefs/{brief.public_id}/overview")
        assert _rows(page) == shown
        overview.append(count)
        count, page = _count(app, count_queries, people["practitioner"], "/projects/grading")
        assert _rows(page) == shown
        queue.append(count)
    assert overview[0] == overview[1] and queue[0] == queue[1], (overview, queue)


def test_the_overview_is_paginated(app, people):
    _projects(people, 55)
    brief = db.session.scalar(select(Brief))
    client = app.test_client()
    login(client, people["lecturer"].email)
    page = client.get(f"/projects/briefs/{brief.public_id}/overview").get_data(as_text=True)
    assert _rows(page) == 50 and "Page 1 of 2" in page
    page = client.get(f"/projects/briefs/{brief.public_id}/overview?page=2").get_data(as_text=True)
    assert _rows(page) == 5 and "Page 2 of 2" in page

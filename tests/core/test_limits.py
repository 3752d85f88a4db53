"""Request bodies have a limit per route, set before the body is read, and a POST that needs a signed-in person
is refused before its body is read when it names nobody."""
import io
import json

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptItem
from lms.extensions import db
from tests.factories import login
from tests.factories.content import PDF
from tests.factories.projects import confirmed

MB100 = 100_000_000


class Body:
    """A request body of ``size`` bytes made as it is read; counts what the app read of it."""

    def __init__(self, size: int, head: bytes = b'{"position": 1, "response": "', fill: bytes = b"x"):
        self.size, self.head, self.fill, self.pos, self.read_bytes = size, head, fill, 0, 0

    def tell(self) -> int:          # the test client measures the stream by seeking to its end and back
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = self.size + offset if whence == 2 else offset
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        out = (self.head[self.pos:] + self.fill * n)[:n]
        self.pos += n
        self.read_bytes += n
        return out

    def readline(self, limit: int = -1) -> bytes:
        return self.read(65536 if limit is None or limit < 0 else min(limit, 65536))


def _attempt(client, quiz):  # noqa: F811
    login(client, "trainee@example.com")
    assert client.post(f"/quizzes/{quiz.public_id}/start").status_code == 302
    return db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))


def _post(client, url, body, content_type="application/json", chunked=False, **kw):
    extra = {"environ_overrides": {"wsgi.input_terminated": True},
             "headers": {"Transfer-Encoding": "chunked"}} if chunked else {}
    return client.post(url, input_stream=body, content_type=content_type, **extra, **kw)


@pytest.mark.parametrize("path,content_type", [("answer", "application/json"),
                                               ("save", "application/x-www-form-urlencoded"),
                                               ("save", "multipart/form-data; boundary=x")])
def test_an_anonymous_100_mb_post_to_the_autosave_is_refused_without_reading_it(app, client, quiz, path,  # noqa: F811
                                                                                  content_type):
    att = _attempt(app.test_client(), quiz)
    app.config["WTF_CSRF_ENABLED"] = True           # as in production: the CSRF check reads the form
    body = Body(MB100, head=b"" if "form" in content_type else b'{"position": 1, "response": "')
    resp = _post(client, f"/attempts/{att.public_id}/{path}", body, content_type)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert body.read_bytes == 0
    # streamed without a length, the same
    body = Body(MB100)
    resp = _post(client, f"/attempts/{att.public_id}/{path}", body, content_type, chunked=True)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert body.read_bytes == 0


def test_a_signed_in_autosave_above_its_limit_gets_413_and_a_normal_one_is_saved(client, quiz):  # noqa: F811
    att = _attempt(client, quiz)
    essay = next(i.position for i in att.items if i.version.spec["qtype"] == "essay")
    url = f"/attempts/{att.public_id}/answer"
    body = Body(MB100)
    resp = _post(client, url, body)
    assert resp.status_code == 413 and resp.is_json and resp.get_json()["error"]
    assert body.read_bytes == 0                         # refused from its Content-Length, unread
    body = Body(MB100)
    resp = _post(client, url, body, chunked=True)      # streamed: read up to the limit, no further, and refused
    assert resp.status_code in (400, 413) and resp.is_json and not resp.get_json().get("saved")
    assert body.read_bytes <= 256 * 1024
    # a long essay (50,000 Chinese characters, the most the server keeps) still saves; the page's script
    # sends UTF-8 (JSON.stringify escapes no Chinese character)
    essay_json = json.dumps({"position": essay, "response": "技术" * 25_000}, ensure_ascii=False).encode()
    resp = client.post(url, data=essay_json, content_type="application/json")
    assert resp.status_code == 200 and resp.get_json()["saved"] is True
    saved = db.session.scalar(select(AttemptItem.response).where(AttemptItem.attempt_id == att.id,
                                                                 AttemptItem.position == essay))
    assert saved == "技术" * 25_000


def test_a_form_above_its_limit_gets_the_error_page_in_the_readers_language(client, quiz):  # noqa: F811
    att = _attempt(client, quiz)
    data = {"q1": "x" * 1_100_000}
    resp = client.post(f"/attempts/{att.public_id}/save", data=data, headers={"Accept-Language": "en"})
    assert resp.status_code == 413 and "What you sent is too large" in resp.get_data(as_text=True)
    client.post("/lang", data={"lang": "zh_Hans", "next": "/"})
    resp = client.post(f"/attempts/{att.public_id}/save", data=data)
    assert resp.status_code == 413 and "您发送的内容过大" in resp.get_data(as_text=True)


def test_an_upload_above_the_default_limit_but_within_its_own_is_accepted(app, people):  # noqa: F811
    client, project = confirmed(app, people)          # deliverables need the sponsor's confirmation
    big = PDF + b"0" * 3_000_000                     # 3 MB: above a form's 1 MB, within the upload limit
    resp = client.post(f"/projects/{project.public_id}/submit", content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(big), "report.pdf")]}, follow_redirects=True)
    assert resp.status_code == 200 and "Version 1 submitted with 1 files" in resp.get_data(as_text=True)
    # and a request beyond the upload limit is refused before it is read
    app.config["UPLOAD_REQUEST_MAX_BYTES"] = 2_000_000
    resp = client.post(f"/projects/{project.public_id}/submit", content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(big), "report.pdf")]})
    assert resp.status_code == 413


def test_the_anonymous_certificate_checks_take_files_up_to_their_own_limits(client):
    resp = client.post("/verify", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"{" + b" " * 5_000_100 + b"}"), "big.json")})
    assert resp.status_code == 200 and "larger than 5 MB" in resp.get_data(as_text=True)
    ids = "\n".join(f"{n:032x}" for n in range(40_000)).encode()        # 1.3 MB: more than a form's 1 MB
    resp = client.post("/verify/bulk", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(ids), "ids.csv")})
    assert resp.status_code == 200
    resp = client.post("/verify", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b" " * 6_100_000), "huge.json")})
    assert resp.status_code == 413 and "What you sent is too large" in resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/courses/any-course/enrol", "/certificates/experience",
                                 f"/projects/{'0' * 32}/submit"])
def test_an_anonymous_post_to_a_login_required_route_is_refused_unread(app, client, url):
    app.config["WTF_CSRF_ENABLED"] = True
    body = Body(MB100, head=b"", fill=b"a")
    resp = _post(client, url, body, "application/x-www-form-urlencoded")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert body.read_bytes == 0

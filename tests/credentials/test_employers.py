"""Employers check many certificates at once (browser CSV, API with keys); anonymous use is rate-limited;
holders are reminded before expiry."""
import io
from datetime import timedelta

from sqlalchemy import select

from lms.db import utcnow
from lms.extensions import db
from tests.factories import login, make_user


def _csv(*rows):
    return ("credential_id\n" + "\n".join(rows) + "\n").encode()


def test_bulk_csv_gives_a_table_and_a_csv(app, world):  # noqa: F811
    cred = world["cred"]
    employer = make_user(("employer",), "hr@example.com")
    c = app.test_client()
    login(c, employer.email)
    rows = [cred.public_id, "0" * 32, f"http://lms.example.com/v/{cred.public_id}"]
    page = c.post("/verify/bulk", data={"file": (io.BytesIO(_csv(*rows)), "ids.csv"), "format": "html"},
                  content_type="multipart/form-data").get_data(as_text=True)
    assert "3 checked" in page and page.count(cred.public_id) >= 2 and "unknown" in page
    resp = c.post("/verify/bulk", data={"ids": "\n".join(rows), "format": "csv"})
    lines = resp.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert resp.mimetype == "text/csv" and lines[0] == "id,status,programme,level,validFrom,validUntil,reason,holder,error"
    assert lines[1].startswith(f"{cred.public_id},valid,foundation,F,") and lines[2] == f"{'0' * 32},unknown,,,,,,,"


def test_each_bad_row_of_a_csv_has_its_own_error_and_the_others_are_checked(app, world):  # noqa: F811
    cred = world["cred"]
    c = app.test_client()
    login(c, make_user(("employer",), "hr@example.com").email)
    csv_bytes = _csv("not-an-id", cred.public_id, "1234", "0" * 32)
    page = c.post("/verify/bulk", data={"file": (io.BytesIO(csv_bytes), "ids.csv"), "format": "html"},
                  content_type="multipart/form-data").get_data(as_text=True)
    assert "4 checked" in page
    assert "line 2: &#39;not-an-id&#39; is not a credential ID" in page and "line 4: &#39;1234&#39; is not" in page
    assert f'<a href="/v/{cred.public_id}">' in page and "unknown" in page
    lines = c.post("/verify/bulk", data={"file": (io.BytesIO(csv_bytes), "ids.csv"), "format": "csv"},
                   content_type="multipart/form-data").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1].startswith("not-an-id,invalid,") and "line 2:" in lines[1]
    assert lines[2].startswith(f"{cred.public_id},valid,") and lines[3].startswith("1234,invalid,")
    assert lines[4] == f"{'0' * 32},unknown,,,,,,,"


def test_ten_thousand_ids_are_checked_in_a_few_queries(app, world, count_queries):  # noqa: F811
    from lms.employers.services import check_ids
    ids = [world["cred"].public_id] + [f"{i:032x}" for i in range(9_999)]
    with count_queries() as n:
        results = check_ids(ids)
    assert len(results) == 10_000 and results[0]["status"] == "valid" and results[1]["status"] == "unknown"
    assert n[0] <= 20
    from lms.employers.services import BulkError, parse_ids
    try:
        parse_ids("\n".join(f"{i:032x}" for i in range(10_001)))
    except BulkError as exc:
        assert "at most 10000" in str(exc)
    else:
        raise AssertionError("10,001 ids accepted")


def test_api_with_a_key_and_revoking_the_key(app, world):  # noqa: F811
    cred = world["cred"]
    employer = make_user(("employer",), "hr@example.com")
    c = app.test_client()
    login(c, employer.email)
    page = c.post("/employer/keys", data={"name": "HR system"}).get_data(as_text=True)
    import re
    secret = re.search(r"ttm_[A-Za-z0-9_-]{40,}", page).group(0)
    api = app.test_client()
    resp = api.post("/api/v1/verify", json={"ids": [cred.public_id, "f" * 32]},
                    headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200
    data = resp.get_json()
    assert [r["status"] for r in data["results"]] == ["valid", "unknown"] and data["counts"] == {"valid": 1, "unknown": 1}
    assert api.post("/api/v1/verify", json={"ids": ["nope"]}, headers={"Authorization": f"Bearer {secret}"}).status_code == 400
    from lms.employers.models import ApiKey
    key = db.session.scalar(select(ApiKey))
    assert key.key_hash != secret and secret not in (key.prefix * 10) and key.last_used_at is not None
    c.post(f"/employer/keys/{key.public_id}/revoke")
    resp = api.post("/api/v1/verify", json={"ids": [cred.public_id]}, headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 401


def test_anonymous_checks_are_rate_limited_but_keys_are_not(app, world):  # noqa: F811
    app.config["ANONYMOUS_CHECK_LIMIT"] = "3 per hour"
    cred = world["cred"]
    anon = app.test_client()
    codes = [anon.post("/api/v1/verify", json={"ids": [cred.public_id]}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    codes = [anon.post("/verify/bulk", data={"ids": cred.public_id}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    from lms.employers.services import create_key
    employer = make_user(("employer",), "hr@example.com")
    _key, secret = create_key(employer, "ERP")
    db.session.commit()
    codes = [anon.post("/api/v1/verify", json={"ids": [cred.public_id]},
                       headers={"Authorization": f"Bearer {secret}"}).status_code for _ in range(5)]
    assert codes == [200] * 5


def test_holders_are_reminded_once_before_expiry(app, world, runner):  # noqa: F811
    cred = world["cred"]
    cred.valid_until = utcnow() + timedelta(days=30)
    db.session.commit()
    assert "1 reminder(s) sent" in runner.invoke(args=["credentials", "remind-expiring", "--days", "60"]).output
    assert "0 reminder(s) sent" in runner.invoke(args=["credentials", "remind-expiring", "--days", "60"]).output
    mails = [p.read_bytes() for p in sorted(app.config["LMS_OUTBOX"].glob("*.eml"))]
    assert any(b"expires soon" in m and b"holder@example.com" in m for m in mails)


def test_bulk_checks_certificate_files_each_as_an_upload_is(app, world):  # noqa: F811
    import json

    from lms.credentials.views import certificate_pdf_bytes
    cred = world["cred"]
    c = app.test_client()
    login(c, make_user(("employer",), "hr@example.com").email)
    altered = json.loads(cred.signed_json)
    altered["validUntil"] = "2099-01-01T00:00:00Z"
    page = c.post("/verify/bulk", data={"format": "html", "documents": [
        (io.BytesIO(certificate_pdf_bytes(cred)), "liu.pdf"), (io.BytesIO(json.dumps(altered).encode()), "edited.json"),
        (io.BytesIO(b"hello"), "note.txt")]}, content_type="multipart/form-data").get_data(as_text=True)
    liu, edited, note = page.index("liu.pdf"), page.index("edited.json"), page.index("note.txt")
    assert liu < edited < note
    assert "Authentic and valid." in page[liu:edited] and "刘洋" in page[liu:edited]
    assert "What the signature covers" in page[liu:edited]
    assert "Not authentic" in page[edited:note] and "What the signature covers" not in page[edited:note]
    assert "note.txt: no signed credential found" in page[note:]
    assert "No credential IDs found" not in page
    files = [(io.BytesIO(b"{}"), f"{i}.json") for i in range(21)]
    page = c.post("/verify/bulk", data={"documents": files}, content_type="multipart/form-data").get_data(as_text=True)
    assert "At most 20 certificate files can be checked at once." in page

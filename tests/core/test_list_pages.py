"""Long lists run a fixed number of queries whatever the number of rows they show: each row's related
objects are loaded with the page (selectinload), not one query per row."""
import re

from sqlalchemy import select

from lms.assessment import banks
from lms.extensions import db
from lms.frameworks.models import Competency
from tests.factories import login, make_user


def _queries_for(client, url, count_queries) -> tuple[int, str]:
    with count_queries() as queries:
        resp = client.get(url)
    assert resp.status_code == 200
    return queries[0], resp.get_data(as_text=True)


def test_admin_users_list_is_flat(app, client, count_queries):
    admin = make_user(("admin",), "admin@example.com")
    login(client, admin.email)
    counts = []
    for n in (3, 30):
        for i in range(n - (3 if n == 30 else 1)):                # 3 accounts, then 30 (the admin included)
            make_user(("trainee", "employer") if i % 2 else ("instructor",), organisation=f"Org {n}-{i}")
        count, page = _queries_for(client, "/admin/users?q=example.com", count_queries)
        assert len(re.findall(r"/admin/users/[0-9a-f]{32}", page)) == min(n, 25)
        counts.append(count)
    assert counts[0] == counts[1], counts


def test_question_bank_browse_is_flat(app, loaded, client, count_queries):
    teacher = make_user(("instructor",), "teacher@example.com")
    bank = banks.get_or_create_bank("flat-en", "en")
    bank.created_by_id = teacher.id
    codes = [c for c in db.session.scalars(select(Competency.code)) if c.count(".") == 1]
    assert len(codes) >= 10
    gift = "\n\n".join(f"$CATEGORY: $course$/top/TTM/{codes[i % len(codes)].split('.')[0]}/{codes[i % len(codes)]}\n\n"
                       f"::Q{i}::Question {i}? {{T}}" for i in range(30))
    banks.import_questions(bank, banks.parse_questions(gift, "gift", "flat.gift"))
    db.session.commit()
    login(client, teacher.email)
    few, page = _queries_for(client, f"/teach/questions?bank={bank.id}&q=question 1", count_queries)
    rows_few = len(re.findall(r"<tr><td class=\"code\">", page))
    many, page = _queries_for(client, f"/teach/questions?bank={bank.id}&q=question", count_queries)
    rows_many = len(re.findall(r"<tr><td class=\"code\">", page))
    assert (rows_few, rows_many) == (11, 30) and few == many, (rows_few, rows_many, few, many)


def test_admin_api_keys_list_is_flat(app, client, count_queries):
    from lms.employers import services as employers
    admin = make_user(("admin",), "admin@example.com")
    login(client, admin.email)
    counts = []
    for n, shown in ((3, 3), (27, 30)):
        for i in range(n):
            employers.create_key(make_user(("employer",), organisation=f"Org {n}-{i}"), f"key {n}-{i}")
        db.session.commit()
        count, page = _queries_for(client, "/admin/api-keys", count_queries)
        assert page.count("Revoke…") == shown
        counts.append(count)
    assert counts[0] == counts[1], counts


def test_a_page_number_past_the_end_or_not_a_number_shows_a_page_not_an_error(app, client):
    """``?page=`` is the visitor's to write: a number larger than the database's integers (it overflowed
    there: a 500), zero, or words give a page of the list, never an error."""
    make_user(("admin",), "admin@example.com")
    login(client, "admin@example.com")
    for url in ("/admin/credentials", "/admin/users", "/admin/api-keys"):
        for page in ("9" * 30, "0", "-3", "two"):
            assert client.get(f"{url}?page={page}").status_code == 200, (url, page)

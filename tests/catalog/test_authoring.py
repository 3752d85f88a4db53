import io
import zipfile

from sqlalchemy import select

from lms.catalog import services
from lms.catalog.models import Course, CourseInstructor
from lms.extensions import db
from tests.factories import login, make_user

F1 = "f1-system-policy-ethics"


def _teach(users, slug=F1):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    course.instructors.append(CourseInstructor(user_id=users["instructor"].id))
    db.session.commit()
    return course


def test_instructor_creates_course_module_lesson_and_publishes(client, users, loaded):
    login(client, "teacher@example.com")
    resp = client.post("/teach/courses/new", data={"slug": "f7-tech-scouting", "code": "F7", "title_en": "Scouting",
                                                   "title_zh": "成果挖掘", "level": "F", "hours": "4"})
    assert resp.status_code == 302
    resp = client.post("/teach/courses/f7-tech-scouting/modules", data={"key": "m1", "title_en": "Basics"})
    assert resp.status_code == 302
    resp = client.post("/teach/courses/f7-tech-scouting/status", data={"status": "published"}, follow_redirects=True)
    assert "Add at least one lesson before publishing" in resp.get_data(as_text=True)
    resp = client.post("/teach/courses/f7-tech-scouting/modules/m1/lessons/new",
                       data={"key": "intro", "title_en": "Intro", "title_zh": "导论", "hours": "1.5",
                             "body_en": "## Why scout\nBecause.", "body_zh": "## 为什么\n因为。"})
    assert resp.status_code == 302
    resp = client.post("/teach/courses/f7-tech-scouting/status", data={"status": "published"}, follow_redirects=True)
    assert "The course is published." in resp.get_data(as_text=True)
    client.post("/logout")
    login(client, "trainee@example.com")
    assert "/courses/f7-tech-scouting" in client.get("/courses").get_data(as_text=True)
    client.post("/courses/f7-tech-scouting/enrol")
    page = client.get("/courses/f7-tech-scouting/lessons/intro").get_data(as_text=True)
    assert "<h2>Why scout</h2>" in page


def test_edit_lesson_with_preview_then_save(client, users, loaded):
    _teach(users)
    login(client, "teacher@example.com")
    url = f"/teach/courses/{F1}/lessons/01-what-is-technology-transfer"
    assert client.get(url).status_code == 200
    data = {"title_en": "What technology transfer is", "title_zh": "什么是技术转移", "hours": "1.5",
            "body_en": "## Revised heading\nNew text.", "body_zh": "## 修订\n新内容。"}
    page = client.post(url, data={**data, "preview": "1"}).get_data(as_text=True)
    assert "<h2>Revised heading</h2>" in page
    course = services.course_by_slug(F1)
    assert "Revised heading" not in course.lessons[0].body_en  # preview saves nothing
    client.post(url, data={**data, "submit": "1"})
    db.session.expire_all()
    assert services.course_by_slug(F1).lessons[0].body_en == "## Revised heading\nNew text."
    resp = client.post("/teach/preview", data={"text": "**bold** <script>x</script>"})
    assert resp.get_data(as_text=True).startswith("<p><strong>bold</strong> &lt;script&gt;")


def test_reorder_lessons_and_modules(client, users, loaded):
    _teach(users)
    login(client, "teacher@example.com")
    keys = lambda: [lesson.key for lesson in services.course_by_slug(F1).lessons]  # noqa: E731
    before = keys()
    client.post(f"/teach/courses/{F1}/lessons/02-actors-and-ecosystem/up")
    db.session.expire_all()
    assert keys()[:3] == [before[1], before[0], before[2]]
    # moving the last lesson of module 1 down puts it first in module 2
    client.post(f"/teach/courses/{F1}/lessons/03-the-technology-manager/down")
    db.session.expire_all()
    course = services.course_by_slug(F1)
    assert course.modules[1].lessons[0].key == "03-the-technology-manager"
    client.post(f"/teach/courses/{F1}/modules/m4-ethics/up")
    db.session.expire_all()
    assert [m.key for m in services.course_by_slug(F1).modules][2:] == ["m4-ethics", "m3-contracts"]


def test_unpublish_hides_the_course(client, users, loaded):
    _teach(users)
    login(client, "teacher@example.com")
    client.post(f"/teach/courses/{F1}/status", data={"status": "draft"})
    client.post("/logout")
    assert client.get(f"/courses/{F1}").status_code == 404


def test_only_the_course_instructors_and_admins_may_edit(client, users, loaded):
    _teach(users)
    stranger = make_user(("instructor",), "stranger@example.com")
    login(client, stranger.email)
    assert client.get(f"/teach/courses/{F1}").status_code == 403
    assert client.post(f"/teach/courses/{F1}/status", data={"status": "draft"}).status_code == 403
    client.post("/logout")
    login(client, "admin@example.com")
    assert client.get(f"/teach/courses/{F1}").status_code == 200
    client.post(f"/teach/courses/{F1}/instructors", data={"email": "stranger@example.com"})
    client.post("/logout")
    login(client, "stranger@example.com")
    assert client.get(f"/teach/courses/{F1}").status_code == 200


def test_edit_course_details_and_competencies(client, users, loaded):
    _teach(users)
    login(client, "teacher@example.com")
    resp = client.post(f"/teach/courses/{F1}", data={"code": "F1", "title_en": "System, policy and ethics",
                                                      "title_zh": "体系、政策与伦理", "level": "F", "hours": "12",
                                                      "languages": ["en", "zh"], "competencies": ["D1.1", "D8.2"]})
    assert resp.status_code == 302
    course = services.course_by_slug(F1)
    assert course.title_en == "System, policy and ethics"
    assert [cc.competency.code for cc in course.competencies] == ["D1.1", "D8.2"]


def test_export_zip_has_the_file_layout(client, users, loaded):
    _teach(users)
    login(client, "teacher@example.com")
    resp = client.get(f"/teach/courses/{F1}/export.zip")
    assert resp.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert f"{F1}/course.yaml" in names and f"{F1}/lessons/04-transformation-law.md" in names
    assert len(names) == 9


def test_bad_keys_are_refused(client, users, loaded):
    _teach(users)
    login(client, "teacher@example.com")
    resp = client.post(f"/teach/courses/{F1}/modules", data={"key": "m1-system", "title_en": "dup"}, follow_redirects=True)
    assert "already used" in resp.get_data(as_text=True)
    resp = client.post("/teach/courses/new", data={"slug": "Bad Slug!", "code": "X", "title_en": "x", "level": "F",
                                                   "hours": "1"})
    assert "lower-case letters" in resp.get_data(as_text=True)

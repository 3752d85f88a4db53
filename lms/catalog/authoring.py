"""Course authoring in the browser: create, edit, reorder, publish, export."""
from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import audit, user_by_email
from lms.catalog.files import KEY_RE, serialize_course
from lms.catalog.models import (
    COURSE_STATUSES,
    Course,
    CourseCompetency,
    CourseInstructor,
    CourseStatus,
    Delivery,
    Lesson,
    Module,
)
from lms.content import SLUG_RE
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import Competency


class AuthoringError(ValueError):
    pass


def create_course(user: User, *, slug: str, code: str, title_en: str, title_zh: str, level: str,
                  hours: Decimal) -> Course:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise AuthoringError(_("The address name may hold lower-case letters, digits and '-' (2 to 80 characters)."))
    if db.session.scalar(select(Course.id).where(Course.slug == slug)):
        raise AuthoringError(_("A course with this address name already exists."))
    course = Course(slug=slug, code=code.strip(), title_en=title_en or None, title_zh=title_zh or None,
                    level=level, hours=hours, status=CourseStatus.DRAFT, languages="en,zh")
    course.instructors.append(CourseInstructor(user_id=user.id))
    db.session.add(course)
    db.session.flush()
    audit(user, "course.create", slug)
    return course


def update_course(course: Course, *, code, title_en, title_zh, summary_en, summary_zh, level, hours, languages,
                  competency_codes: list[str]) -> None:
    course.code = code.strip()
    course.title_en, course.title_zh = title_en or None, title_zh or None
    course.summary_en, course.summary_zh = summary_en or None, summary_zh or None
    course.level, course.hours = level, hours
    course.languages = ",".join(lang for lang in ("en", "zh") if lang in languages) or "en,zh"
    fw = current_framework()
    keep = {cc.competency.code: cc for cc in course.competencies}
    wanted = []
    if fw is not None and competency_codes:
        comps = {c.code: c for c in db.session.scalars(select(Competency).where(
            Competency.framework_id == fw.id, Competency.code.in_(competency_codes)))}
        for i, code_ in enumerate(competency_codes):
            if code_ in keep:
                cc = keep[code_]
                cc.level, cc.position = level, i
                wanted.append(cc)
            elif code_ in comps:
                wanted.append(CourseCompetency(competency=comps[code_], level=level, position=i))
    course.competencies = wanted
    db.session.flush()


def set_status(user: User, course: Course, status: str) -> None:
    if status not in COURSE_STATUSES:
        raise AuthoringError("bad status")
    if status == CourseStatus.PUBLISHED:
        if not course.lessons:
            raise AuthoringError(_("Add at least one lesson before publishing."))
        empty = [lesson for lesson in course.lessons if not lesson.has_body]
        if empty:
            raise AuthoringError(_("Every lesson needs text before the course is published; empty: %(names)s.",
                                   names=", ".join(lesson.key for lesson in empty)))
    course.status = status
    audit(user, f"course.{status}", course.slug)


def _unique_key(existing: set[str], wanted: str) -> str:
    if not KEY_RE.match(wanted):
        raise AuthoringError(_("A key may hold lower-case letters, digits and '-'."))
    if wanted in existing:
        raise AuthoringError(_("The key %(key)s is already used in this course.", key=wanted))
    return wanted


def add_module(course: Course, *, key: str, title_en: str, title_zh: str, summary_en: str, summary_zh: str) -> Module:
    key = _unique_key({m.key for m in course.modules}, key.strip())
    m = Module(key=key, position=len(course.modules), title_en=title_en or None, title_zh=title_zh or None,
               summary_en=summary_en or None, summary_zh=summary_zh or None)
    course.modules.append(m)
    db.session.flush()
    return m


def update_module(m: Module, *, title_en, title_zh, summary_en, summary_zh) -> None:
    m.title_en, m.title_zh = title_en or None, title_zh or None
    m.summary_en, m.summary_zh = summary_en or None, summary_zh or None


def _swap(items: list, index: int, direction: str) -> bool:
    j = index - 1 if direction == "up" else index + 1
    if not 0 <= j < len(items):
        return False
    a, b = items[index], items[j]
    pa, pb = a.position, b.position
    a.position = -1  # avoid a transient clash if positions were ever made unique
    db.session.flush()
    a.position, b.position = pb, pa
    db.session.flush()
    return True


def move_module(course: Course, m: Module, direction: str) -> None:
    mods = list(course.modules)
    _swap(mods, mods.index(m), direction)
    db.session.expire(course, ["modules"])


def move_lesson(course: Course, lesson: Lesson, direction: str) -> None:
    """Up/down within the module; at a module's edge the lesson moves into the neighbouring module."""
    module = lesson.module
    lessons = list(module.lessons)
    i = lessons.index(lesson)
    if _swap(lessons, i, direction):
        return
    mods = list(course.modules)
    mi = mods.index(module)
    target_index = mi - 1 if direction == "up" else mi + 1
    if not 0 <= target_index < len(mods):
        return
    target = mods[target_index]
    if direction == "up":
        lesson.position = (max((x.position for x in target.lessons), default=-1)) + 1
    else:
        for x in target.lessons:
            x.position += 1
        lesson.position = 0
    lesson.module_id = target.id
    db.session.flush()
    db.session.expire(module, ["lessons"])
    db.session.expire(target, ["lessons"])


def delete_module(course: Course, m: Module) -> None:
    course.modules.remove(m)
    for i, x in enumerate(course.modules):
        x.position = i
    db.session.flush()


def add_lesson(course: Course, module: Module, *, key: str, title_en, title_zh, summary_en, summary_zh, hours,
               body_en, body_zh, delivery: str = Delivery.SELF_STUDY) -> Lesson:
    key = _unique_key({lesson.key for lesson in course.lessons}, key.strip())
    lesson = Lesson(key=key, course_id=course.id, position=len(module.lessons))
    module.lessons.append(lesson)
    update_lesson(lesson, title_en=title_en, title_zh=title_zh, summary_en=summary_en, summary_zh=summary_zh,
                  hours=hours, body_en=body_en, body_zh=body_zh, delivery=delivery)
    db.session.flush()
    return lesson


def update_lesson(lesson: Lesson, *, title_en, title_zh, summary_en, summary_zh, hours, body_en, body_zh,
                  delivery: str | None = None) -> None:
    lesson.title_en, lesson.title_zh = title_en or None, title_zh or None
    lesson.summary_en, lesson.summary_zh = summary_en or None, summary_zh or None
    lesson.hours = hours or 0
    lesson.delivery = Delivery(delivery or lesson.delivery or Delivery.SELF_STUDY)
    lesson.body_en = (body_en or "").replace("\r\n", "\n").strip() or None
    lesson.body_zh = (body_zh or "").replace("\r\n", "\n").strip() or None


def delete_lesson(lesson: Lesson) -> None:
    module = lesson.module
    module.lessons.remove(lesson)
    for i, x in enumerate(module.lessons):
        x.position = i
    db.session.flush()


def add_instructor(actor: User, course: Course, email: str) -> User:
    user = user_by_email(email)
    if user is None or not (user.has_role("instructor") or user.has_role("admin")):
        raise AuthoringError(_("No instructor account has this e-mail address."))
    if not any(ci.user_id == user.id for ci in course.instructors):
        course.instructors.append(CourseInstructor(user_id=user.id))
        audit(actor, "course.instructor", course.slug, user.email)
    return user


def export_zip(course: Course) -> bytes:
    """The course as ``<slug>/course.yaml`` and ``<slug>/lessons/*.md`` — the format ``lms load`` reads."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, text in sorted(serialize_course(course).items()):
            info = zipfile.ZipInfo(f"{course.slug}/{path}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()

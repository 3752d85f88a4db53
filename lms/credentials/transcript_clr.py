"""The transcript as a signed 1EdTech CLR 2.0 ``ClrCredential``.

Its ``ClrSubject`` holds one OB 3.0 ``AchievementCredential`` per course (``verifiableCredential``), each signed
on its own with our key so it can be taken out and verified alone: the course is the ``Achievement``
(``achievementType`` Course, its hours as ``creditsAvailable``, a ``resultDescription`` per kind of result),
and the trainee's ``result``s are the live and recorded hours done, the exams' grades that count and the
projects' released grades. The subject's ``achievement`` list names the certification programmes those courses
belong to, and its ``association``s say how the achievements relate (a course ``isPartOf`` a programme; a
prerequisite course ``precedes`` the course that asks for it). The whole is signed (eddsa-rdfc-2022).

The CLR 2.0 context (``contexts/clr-context-2.0.1.json``) is 1EdTech's, vendored byte-for-byte (contexts'
README). Transcripts are not kept: each download is signed afresh (a new id) from the records of the moment."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, datetime

from sqlalchemy import select

from lms.catalog.models import Course
from lms.credentials import keys, signing
from lms.credentials.models import Programme
from lms.credentials.profile import issuer_profile
from lms.credentials.services import OB_CONTEXT
from lms.credentials.signing import stamp
from lms.credentials.transcript import CourseRecord, Transcript
from lms.db import utcnow
from lms.extensions import db
from lms.urls import absolute_url

CLR_CONTEXT_URL = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_CONTEXT = [OB_CONTEXT[0], CLR_CONTEXT_URL, OB_CONTEXT[1]]
TITLE = "CE-point transcript / 继续教育学时成绩单"
HOURS_TYPE = "ext:ContactHours"         # an OB 3.0 extension value: hours (学时) of 45-50 minutes


def _pair(title: dict) -> str:
    return " / ".join(t for t in (title.get("en"), title.get("zh")) if t)


def _num(value) -> str:
    return f"{float(value):g}"


def _day_stamp(day: date) -> str:
    return stamp(datetime.combine(day, datetime.min.time()))


def _identifiers(holder, names: bool = True) -> list[dict]:
    """The holder's hashed e-mail and, with ``names``, their names as written (the transcript's subject names
    the holder; each course credential inside it carries the hashed e-mail only, fewer objects to check)."""
    salt = secrets.token_hex(8)
    digest = "sha256$" + hashlib.sha256((holder.email.strip().lower() + salt).encode()).hexdigest()
    out = [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "identityHash": digest,
            "salt": salt}]
    out += [{"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
            for name in (holder.name_zh, holder.name_latin) if name and names]
    return out


def _descriptions(course_url: str, rec: CourseRecord) -> list[dict]:
    out = [{"id": f"{course_url}#hours-live", "type": ["ResultDescription"], "resultType": HOURS_TYPE,
            "name": "Live contact hours (face-to-face or live online) / 现场学时（面授或线上直播）"},
           {"id": f"{course_url}#hours-recorded", "type": ["ResultDescription"], "resultType": HOURS_TYPE,
            "name": "Recorded or self-study hours / 录播或自学学时"}]
    out += [{"id": f"{course_url}#exam-{e.key}", "type": ["ResultDescription"], "resultType": "Percent",
             "name": _pair(e.title), "requiredValue": str(e.pass_mark)} for e in rec.exams]
    out += [{"id": f"{course_url}#project-{p.key}", "type": ["ResultDescription"], "resultType": "Percent",
             "name": _pair(p.title), "requiredValue": str(p.pass_mark)} for p in rec.projects]
    return out


def _results(course_url: str, rec: CourseRecord) -> list[dict]:
    out = [{"type": ["Result"], "resultDescription": f"{course_url}#hours-live", "value": _num(rec.hours_live)},
           {"type": ["Result"], "resultDescription": f"{course_url}#hours-recorded",
            "value": _num(rec.hours_recorded)}]
    for e in rec.exams:
        result = {"type": ["Result"], "resultDescription": f"{course_url}#exam-{e.key}",
                  "status": "Completed" if e.passed else "InProgress" if e.grade is None else "Failed"}
        if e.grade is not None:
            result["value"] = _num(e.grade)
        out.append(result)
    out += [{"type": ["Result"], "resultDescription": f"{course_url}#project-{p.key}", "value": _num(p.grade),
             "status": "Completed" if p.passed else "Failed"} for p in rec.projects]
    return out


def _course_credential(rec: CourseRecord, course: Course, holder, now: str) -> dict:
    course_url = absolute_url("catalog.course", slug=rec.slug)
    end = rec.completed or rec.last_activity
    return {
        "@context": OB_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": _pair(rec.title),
        "issuer": issuer_profile(),
        "validFrom": now,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": _identifiers(holder, names=False),
            "achievement": {
                "id": course_url, "type": ["Achievement"], "achievementType": "Course",
                "name": _pair(rec.title), "humanCode": rec.code, "fieldOfStudy": "Technology transfer",
                "description": _pair({"en": course.summary_en, "zh": course.summary_zh}) or _pair(rec.title),
                "criteria": {"id": course_url, "narrative": f"{_num(course.hours)} contact hours (学时): {_num(course.live_hours)} live, "
                                          f"{_num(course.self_study_hours)} self-study. Results as recorded."},
                "creditsAvailable": float(course.hours),
                "resultDescription": _descriptions(course_url, rec),
            },
            "activityStartDate": _day_stamp(rec.started),
            "activityEndDate": _day_stamp(end),
            "creditsEarned": float(rec.hours),
            "result": _results(course_url, rec),
        },
    }


def _programmes(courses: list[Course]) -> list[tuple[Programme, list[Course]]]:
    out = []
    for prog in db.session.scalars(select(Programme).order_by(Programme.id)):
        inside = [c for c in courses if c.slug in (prog.requirements or {}).get("courses", [])]
        if inside:
            out.append((prog, inside))
    return out


def _association(kind: str, source: str, target: str) -> dict:
    return {"type": ["Association"], "associationType": kind, "sourceId": source, "targetId": target}


def _links(courses: list[Course], programmes: list[tuple[Programme, list[Course]]]) -> tuple[list, list]:
    achievements, associations = [], []
    url = {c.slug: absolute_url("catalog.course", slug=c.slug) for c in courses}
    for prog, inside in programmes:
        prog_url = absolute_url("credentials.programme", key=prog.key)
        achievements.append({"id": prog_url, "type": ["Achievement"], "achievementType": "Certification",
                             "name": _pair({"en": prog.title_en, "zh": prog.title_zh}),
                             "criteria": {"id": prog_url}})
        associations += [_association("isPartOf", url[c.slug], prog_url) for c in inside]
    for c in courses:
        associations += [_association("precedes", url[p.required.slug], url[c.slug])
                         for p in c.prerequisites if p.required.slug in url]
    return achievements, associations


def build(transcript: Transcript, holder) -> dict:
    """The unsigned ClrCredential, its course credentials signed."""
    kid, key = keys.active_key()
    method, now = keys.verification_method(kid), stamp(utcnow())
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(
        Course.slug.in_([r.slug for r in transcript.courses])))}
    creds = [signing.sign(_course_credential(r, courses[r.slug], holder, now), key, method, now)
             for r in transcript.courses]
    achievements, associations = _links(list(courses.values()), _programmes(list(courses.values())))
    subject = {"type": ["ClrSubject"], "identifier": _identifiers(holder), "verifiableCredential": creds}
    if achievements:
        subject["achievement"] = achievements
    if associations:
        subject["association"] = associations
    return {"@context": CLR_CONTEXT, "id": f"urn:uuid:{uuid.uuid4()}", "type": ["VerifiableCredential", "ClrCredential"],
            "name": TITLE, "description": f"{_num(transcript.hours)} hours, {_num(transcript.hours_live)} of them live.",
            "issuer": issuer_profile(), "validFrom": now, "credentialSubject": subject}


def signed(transcript: Transcript, holder) -> dict:
    kid, key = keys.active_key()
    doc = build(transcript, holder)
    return signing.sign(doc, key, keys.verification_method(kid), doc["validFrom"])

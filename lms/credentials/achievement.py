"""What a credential says it certifies: the Open Badges 3.0 ``Achievement`` of a programme, in one language
edition, with its criteria narrative, alignments (our competencies, RTTP, Torch, CLP, ESCO, the EQF level),
result descriptions, image and creator; and, for one credential, the holder's ``result`` entries and the
``evidence`` of the graded real projects.

OB 3.0 wants ``name`` and ``description`` as plain strings, so a bilingual programme is two *editions*: the
English one at ``/programmes/<key>`` and the Chinese one at ``/programmes/<key>?lang=zh-Hans``. Each carries
``inLanguage`` and names the other in ``related`` ("alternate language editions", OB 3.0 §B.1.1
Achievement). A credential embeds the holder's edition (their preferred language, else English).

The words here are the credential's own data, signed once in one language: they are written in this module
for both languages (``PHRASES``), not taken from the interface's translation catalogues, so that a later
change of an interface string never changes what a certificate said. Numbers come from the programme's
requirements and from the facts stored with the credential at issue (``Credential.evidence_summary``).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.assessment.models import Quiz
from lms.catalog.models import Course
from lms.credentials.models import Credential, Programme
from lms.credentials.profile import badge_image_url, issuer_profile
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import Competency
from lms.i18n import pick
from lms.projects.models import Brief, Project
from lms.urls import absolute_url

EDITIONS = {"en": "en", "zh": "zh-Hans"}           # content language -> BCP 47 (``inLanguage``, ``?lang=``)
EQF_URL = "http://data.europa.eu/snb/eqf/{n}"
EQF_FRAMEWORK = "European Qualifications Framework"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"

PHRASES = {
    "en": {
        "criteria": "Requirements checked by the platform:",
        "prerequisite": "holds the certificate {title}",
        "course": "completed the course {code} {title}",
        "exam": "at least {min}% in the exam “{title}” of the course {code}",
        "project": "a real project for the brief {title} (course {code}) graded at least {min} out of 100 by "
                   "two examiners{defence}",
        "defence": ", with an oral defence",
        "hours": "at least {hours} learning hours",
        "experience": "at least {years} years' experience in technology transfer, checked by the centre",
        "provisional": " (provisional)",
        "eqf": "EQF level {n}: the centre's own referencing of this programme, not an official national "
               "referencing (provisional)",
        "exam_result": "Exam “{title}” of the course {code} (percent)",
        "project_result": "Real project for the brief {title}: the examiners' agreed grade (out of 100)",
        "hours_result": "Learning hours of completed courses",
        "caption": "Badge of {title}",
        "confidential": "Confidential real project",
        "genre": "Real project",
        "sponsor": "Real project for the brief {brief}; sponsor: {sponsor}.",
        "graded": "Graded {score} out of 100{band} by the examiners (their agreed grade); at least {min} was "
                  "required.",
        "sponsors": {"company": "a company", "university": "a university", "institute": "a research institute",
                     "other": "another organisation"},
    },
    "zh": {
        "criteria": "平台核验的要求：",
        "prerequisite": "持有{title}证书",
        "course": "完成课程 {code} {title}",
        "exam": "课程 {code} 的考试“{title}”成绩不低于 {min}%",
        "project": "完成项目任务书“{title}”（课程 {code}）的真实项目，经两位考官评定不低于 {min} 分（满分 100）{defence}",
        "defence": "，并通过答辩",
        "hours": "累计学习不少于 {hours} 学时",
        "experience": "具有不少于 {years} 年的技术转移从业经验，经本中心核实",
        "provisional": "（待核实）",
        "eqf": "欧洲资格框架（EQF）第 {n} 级：本中心对本项目的自行对应，并非官方的国家资格框架对应（待核实）",
        "exam_result": "课程 {code} 的考试“{title}”（百分制）",
        "project_result": "项目任务书“{title}”的真实项目：考官议定成绩（满分 100）",
        "hours_result": "已完成课程的学时",
        "caption": "{title}徽章",
        "confidential": "保密的真实项目",
        "genre": "真实项目",
        "sponsor": "项目任务书“{brief}”的真实项目；项目单位：{sponsor}。",
        "graded": "考官议定成绩 {score} 分（满分 100）{band}；要求不低于 {min} 分。",
        "sponsors": {"company": "企业", "university": "高校", "institute": "科研院所", "other": "其他机构"},
    },
}


def edition_of(value: str | None) -> str:
    """The content language ('en' or 'zh') of a ``?lang=`` value or a saved interface language."""
    return "zh" if value and value.lower().replace("_", "-").startswith("zh") else "en"


def programme_url(prog: Programme, lang: str | None = None) -> str:
    """The address of a programme's edition: English without ``lang``, Chinese with ``?lang=zh-Hans``."""
    if lang == "zh":
        return absolute_url("credentials.programme", key=prog.key, lang=EDITIONS["zh"])
    return absolute_url("credentials.programme", key=prog.key)


def _num(value) -> str:
    return f"{float(value):g}"


def _t(obj, lang: str) -> str:
    return pick(obj.title_en, obj.title_zh, lang).text


# ---------------------------------------------------------------- what the requirements name, by title

def _requirement_items(prog: Programme) -> dict:
    """The courses, exams, briefs and prerequisite the requirements name, loaded in a few queries."""
    req = prog.requirements
    slugs = set(req.get("courses", [])) | {i["course"] for i in req.get("exams", []) + req.get("projects", [])}
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))} if slugs else {}
    by_id = {c.id: c for c in courses.values()}
    ids = list(by_id)
    quizzes = {(by_id[q.course_id].slug, q.key): q for q in db.session.scalars(
        select(Quiz).where(Quiz.course_id.in_(ids)))} if ids else {}
    briefs = {(by_id[b.course_id].slug, b.key): b for b in db.session.scalars(
        select(Brief).where(Brief.course_id.in_(ids)))} if ids else {}
    pre = req.get("prerequisite")
    prerequisite = db.session.scalar(select(Programme).where(Programme.key == pre)) if pre else None
    return {"courses": courses, "quizzes": quizzes, "briefs": briefs, "prerequisite": prerequisite}


def _course_bits(items: dict, item: dict, kind: str, lang: str) -> dict | None:
    course = items["courses"].get(item["course"])
    thing = items[kind].get((item["course"], item["quiz" if kind == "quizzes" else "brief"]))
    if course is None or thing is None:
        return None
    defence = PHRASES[lang]["defence"] if getattr(thing, "defence_required", False) else ""
    return {"title": _t(thing, lang), "code": course.code, "min": item["min"], "defence": defence}


def criteria_narrative(prog: Programme, lang: str = "en", items: dict | None = None) -> str:
    """The programme's requirements as a Markdown list in ``lang``, naming courses, exams and briefs by title."""
    words, req = PHRASES[lang], prog.requirements
    items = items or _requirement_items(prog)
    lines = []
    if items["prerequisite"] is not None:
        lines.append(words["prerequisite"].format(title=_t(items["prerequisite"], lang)))
    lines += [words["course"].format(code=c.code, title=_t(c, lang))
              for c in (items["courses"].get(s) for s in req.get("courses", [])) if c is not None]
    for kind, key, name in (("quizzes", "exams", "exam"), ("briefs", "projects", "project")):
        lines += [words[name].format(**bits) for bits in (_course_bits(items, i, kind, lang) for i in req.get(key, []))
                  if bits is not None]
    if req.get("hours"):
        lines.append(words["hours"].format(hours=_num(req["hours"])))
    if req.get("experience_years"):
        lines.append(words["experience"].format(years=req["experience_years"]))
    return words["criteria"] + "\n" + "\n".join(f"- {line}" for line in lines)


# ---------------------------------------------------------------- alignments

def _level_names(framework) -> dict:
    return {lv.code: {"en": lv.name_en, "zh": lv.name_zh} for lv in framework.levels}


def _external(a, page: str, lang: str) -> dict:
    """One alignment to an external framework: its own address when the framework file gives one (an ESCO
    skill's URI), else our competency page, which shows the alignment."""
    out = {"type": ["Alignment"], "targetCode": a.code, "targetFramework": a.framework,
           "targetName": f"{a.name}{PHRASES[lang]['provisional'] if a.provisional else ''}",
           "targetUrl": a.url or f"{page}#alignments"}
    if a.url and a.url.startswith(ESCO_SKILL):
        out["targetType"] = "ext:ESCOSkill"
    return out


def alignments(prog: Programme, lang: str = "en") -> list[dict]:
    """Each certified competency, then its alignments to external frameworks (RTTP, the Torch syllabus, LES
    CLP, ESCO), provisional ones marked; last, the programme's EQF level (the centre's own referencing)."""
    framework = current_framework()
    codes = [c["code"] for c in prog.competencies]
    comps = {c.code: c for c in db.session.scalars(select(Competency).where(
        Competency.framework_id == framework.id, Competency.code.in_(codes))
        .options(selectinload(Competency.alignments)))} if framework else {}     # one query for all alignments
    levels = _level_names(framework) if framework else {}
    out = []
    for item in prog.competencies:
        comp = comps.get(item["code"])
        if comp is None:
            continue
        page = absolute_url("frameworks.competency", code=comp.code)
        level = levels.get(item["level"], {})
        out.append({"type": ["Alignment"], "targetType": "ext:Competency", "targetCode": comp.code,
                    "targetName": f"{comp.code} {pick(comp.name_en, comp.name_zh, lang).text} — "
                                  f"{pick(level.get('en'), level.get('zh'), lang).text or item['level']}",
                    "targetFramework": f"{pick(framework.title_en, framework.title_zh, lang).text or framework.code}"
                                       f" v{framework.version}",
                    "targetUrl": page})
        out += [_external(a, page, lang) for a in comp.alignments]
    if prog.eqf_level:
        out.append({"type": ["Alignment"], "targetType": "ext:EQFLevel", "targetCode": str(prog.eqf_level),
                    "targetName": PHRASES[lang]["eqf"].format(n=prog.eqf_level),
                    "targetFramework": EQF_FRAMEWORK, "targetUrl": EQF_URL.format(n=prog.eqf_level)})
    return out


# ---------------------------------------------------------------- results

def result_id(prog: Programme, name: str) -> str:
    """A result description's id: the same in both editions (``#exam-1``, ``#project-1``, ``#hours``)."""
    return f"{programme_url(prog)}#{name}"


def result_descriptions(prog: Programme, lang: str = "en", items: dict | None = None) -> list[dict]:
    """What may be asserted as a result of this programme: each exam (percent, with its pass mark), each real
    project (the examiners' agreed grade out of 100, with its minimum), the learning hours."""
    words, req = PHRASES[lang], prog.requirements
    items = items or _requirement_items(prog)
    out = []
    for kind, key, name, result_type in (("quizzes", "exams", "exam", "Percent"),
                                         ("briefs", "projects", "project", "RubricScore")):
        for n, item in enumerate(req.get(key, []), start=1):
            bits = _course_bits(items, item, kind, lang)
            if bits is not None:
                out.append({"id": result_id(prog, f"{name}-{n}"), "type": ["ResultDescription"],
                            "name": words[f"{name}_result"].format(**bits), "resultType": result_type,
                            "valueMin": "0", "valueMax": "100", "requiredValue": _num(item["min"])})
    if req.get("hours"):
        out.append({"id": result_id(prog, "hours"), "type": ["ResultDescription"], "name": words["hours_result"],
                    "resultType": "ext:LearningHours", "valueMin": "0", "requiredValue": _num(req["hours"])})
    return out


def _present(prog: Programme, items: dict) -> dict:
    """For exams and projects, the numbers (from 1) of the requirements whose exam or brief exists, in order:
    the stored facts skip the others the same way (``eligibility.evaluate``)."""
    req = prog.requirements
    return {name: [n for n, item in enumerate(req.get(key, []), start=1) if _course_bits(items, item, kind, "en")]
            for kind, key, name in (("quizzes", "exams", "exam"), ("briefs", "projects", "project"))}


def results(cred: Credential, items: dict | None = None) -> list[dict]:
    """The holder's results that counted, from the facts stored at issue: each exam's grade, each project's
    agreed grade, the hours; each points at its result description."""
    facts = (cred.evidence_summary or {}).get("requirements", [])
    numbers = _present(cred.programme, items or _requirement_items(cred.programme))
    out, seen = [], {"exam": 0, "project": 0}
    for fact in facts:
        kind = fact.get("kind")
        if kind in seen and seen[kind] < len(numbers[kind]):
            seen[kind] += 1
            name = f"{kind}-{numbers[kind][seen[kind] - 1]}"
        elif kind == "hours" and cred.programme.requirements.get("hours"):
            name = "hours"
        else:
            continue
        if fact.get("value") is not None:
            out.append({"type": ["Result"], "resultDescription": result_id(cred.programme, name),
                        "value": _num(fact["value"])})
    return out


# ---------------------------------------------------------------- evidence

def _counted_projects(cred: Credential) -> list[Project]:
    """The real projects that met the programme's requirements, as recorded at issue (their public ids); for a
    credential requested before those were recorded, the holder's released, passed projects of its briefs."""
    ids = (cred.evidence_summary or {}).get("projects")
    query = select(Project).options(selectinload(Project.brief).selectinload(Brief.course))
    if ids is not None:
        found = {p.public_id: p for p in db.session.scalars(query.where(Project.public_id.in_(ids)))} if ids else {}
        return [found[i] for i in ids if i in found]
    wanted = {(i["course"], i["brief"]): i["min"] for i in cred.programme.requirements.get("projects", [])}
    if not wanted:
        return []
    best = {}
    for p in db.session.scalars(query.where(Project.trainee_id == cred.holder_id, Project.released_at.is_not(None),
                                            Project.passed.is_(True)).order_by(Project.round.desc())):
        key = (p.brief.course.slug, p.brief.key)
        if key in wanted and key not in best and (p.final_score or 0) >= wanted[key]:
            best[key] = p
    return [best[k] for k in wanted if k in best]


def _minimum(prog: Programme, project: Project) -> float:
    for item in prog.requirements.get("projects", []):
        if (item["course"], item["brief"]) == (project.brief.course.slug, project.brief.key):
            return item["min"]
    return project.brief.pass_mark


def evidence(cred: Credential, lang: str = "en") -> list[dict]:
    """One ``Evidence`` per graded real project: its title (a neutral one when it is confidential), the
    sponsor's type (never its name) and the examiners' agreed grade. No address: the project's pages are
    private."""
    words, out = PHRASES[lang], []
    for project in _counted_projects(cred):
        brief = project.brief
        band = brief.band_for(project.final_score) if project.final_score is not None else None
        label = pick((band or {}).get("label", {}).get("en"), (band or {}).get("label", {}).get("zh"), lang).text
        out.append({
            "type": ["Evidence"],
            "name": words["confidential"] if project.confidential else project.title,
            "genre": words["genre"],
            "description": words["sponsor"].format(brief=_t(brief, lang),
                                                   sponsor=words["sponsors"].get(str(project.sponsor_kind), "")),
            "narrative": words["graded"].format(score=_num(project.final_score or 0),
                                                band=f" ({label})" if label else "",
                                                min=_num(_minimum(cred.programme, project))),
        })
    return out


# ---------------------------------------------------------------- the achievement

def achievement(prog: Programme, lang: str = "en") -> dict:
    """The programme's ``Achievement`` in one language edition (``lang``: 'en' or 'zh')."""
    other = "en" if lang == "zh" else "zh"
    title = pick(prog.title_en, prog.title_zh, lang).text
    items = _requirement_items(prog)
    return {
        "id": programme_url(prog, lang),
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": title,
        "description": pick(prog.description_en, prog.description_zh, lang).text or title,
        "inLanguage": EDITIONS[lang],
        "related": [{"id": programme_url(prog, other), "type": ["Related"], "inLanguage": EDITIONS[other]}],
        "criteria": {"id": programme_url(prog, lang), "narrative": criteria_narrative(prog, lang, items)},
        "alignment": alignments(prog, lang),
        "resultDescription": result_descriptions(prog, lang, items),
        "image": {"id": badge_image_url(prog.key, "png"), "type": "Image",
                  "caption": PHRASES[lang]["caption"].format(title=title)},
        "creator": issuer_profile(),
        "humanCode": f"TTM-{prog.level}",
        "fieldOfStudy": "Technology transfer" if lang == "en" else "技术转移",
    }

"""Rubrics for essay questions: ``question_banks/rubrics/<slug>.yaml`` (format in docs/content-format.md).

A rubric lives beside the question banks, not inside them, so the GIFT and Moodle XML files stay exactly
as Moodle reads and writes them. It names the essay questions it applies to by bank family and ``[id:]``.
The same reader checks a rubric loaded by ``lms load`` and one saved in the browser; every error names the
file, the line and the reason, and a rubric with an error stores nothing.

Grading with a rubric: the grader picks one level per criterion; the answer's fraction is the sum of the
points chosen over the sum of each criterion's highest points. The levels chosen are kept with the grade
(a regrade adds a new round; the earlier ones stay on record).
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import selectinload

from lms.assessment import grading
from lms.assessment.banks import family
from lms.assessment.errors import ExamError
from lms.assessment.models import (
    AttemptItem,
    EssayRubric,
    EssayRubricCriterion,
    EssayRubricQuestion,
    EssayRubricScore,
    Question,
    QuestionBank,
    QuestionVersion,
)
from lms.catalog.files import KEY_RE
from lms.content import Checker, ContentError, ContentInvalid, digest, line_of, parse_yaml
from lms.db import utcnow
from lms.extensions import db
from lms.limits import excerpt

ALLOWED = {"title", "description", "bank", "questions", "criteria"}
CRITERION_KEYS = {"key", "name", "description", "levels"}
LEVEL_KEYS = {"points", "descriptor"}
RESERVED = {"new"}          # /teach/questions/rubrics/new is the page that creates one

TEMPLATE = """title: {en: "New rubric", zh: "新评分量规"}
description: {en: "What the rubric is for.", zh: "量规的用途。"}
bank: %(bank)s
questions: []                      # the [id:...] of the essay questions it applies to
criteria:
  - key: content
    name: {en: "Accuracy of content", zh: "内容准确性"}
    levels:
      - {points: 0, descriptor: {en: "...", zh: "..."}}
      - {points: 1, descriptor: {en: "...", zh: "..."}}
      - {points: 2, descriptor: {en: "...", zh: "..."}}
"""


class RubricIncomplete(ExamError):
    pass


# ---------------------------------------------------------------- reading

def question_types(bank_files: list | None = None) -> dict[str, dict[str, set[str]]]:
    """What the rubrics may name: bank family → ``[id:]`` → the question types it has in the family's banks.
    ``bank_files`` are the parsed bank files of a load, applied over what the database holds."""
    per_bank: dict[str, dict[str, str]] = {}
    rows = db.session.execute(
        select(QuestionBank.slug, Question.idnumber, QuestionVersion.qtype)
        .join(Question, Question.bank_id == QuestionBank.id)
        .join(QuestionVersion, (QuestionVersion.question_id == Question.id)
              & (QuestionVersion.version == Question.current_version))
        .where(Question.idnumber.is_not(None)))
    for slug, idnumber, qtype in rows:
        per_bank.setdefault(slug, {})[idnumber] = qtype
    for _path, slug, _lang, questions, _h in bank_files or []:
        per_bank.setdefault(slug, {}).update({q["idnumber"]: q["qtype"] for q in questions if q.get("idnumber")})
    out: dict[str, dict[str, set[str]]] = {}
    for slug, ids in per_bank.items():
        fam = out.setdefault(family(slug), {})
        for idnumber, qtype in ids.items():
            fam.setdefault(idnumber, set()).add(qtype)
    return out


def _pair(c: Checker, node, key: str, where: str, required=True, max_len=2000) -> dict:
    """A ``{en: ..., zh: ...}`` pair in which both languages are required (a rubric is used by graders and
    shown to trainees in either language)."""
    present = isinstance(node, dict) and node.get(key) is not None
    value = c.bilingual(node, key, where, required=required, max_len=max_len)
    if present and isinstance(node.get(key), dict):
        for lang, name in (("en", "English"), ("zh", "Chinese")):
            if not value[lang] and (value["en"] or value["zh"]):
                c.error(node, key, f"{where}: '{key}' has no {name} text ('{key}.{lang}' is missing)")
    return value


def _points(c: Checker, node, where: str):
    value = node.get("points") if isinstance(node, dict) else None
    if value is None:
        c.error(node, None, f"{where}: 'points' is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        c.error(node, "points", f"{where}: 'points' must be a number from 0 to 100")
        return None
    return int(value) if float(value).is_integer() else float(value)


def _criterion(c: Checker, cr, i: int, seen: set[str]) -> dict | None:
    cw = f"criterion {i}"
    if not isinstance(cr, dict):
        return None
    key, fresh = c.keyed_item(cr, CRITERION_KEYS, cw, seen, KEY_RE)
    cw = f"criterion {excerpt(key)}" if fresh else cw
    out = {"key": key, "name": _pair(c, cr, "name", cw, max_len=300),
           "description": _pair(c, cr, "description", cw, required=False), "levels": []}
    levels = cr.get("levels")
    if not isinstance(levels, list) or len(levels) < 2:
        c.error(cr, "levels" if "levels" in cr else None,
                f"{cw}: 'levels' must be a list of at least two levels, each {{points: N, descriptor: {{en, zh}}}}")
        if not isinstance(levels, list):
            return out
    points_seen: dict[float, int] = {}
    for j, lv in enumerate(levels, start=1):
        lw = f"{cw} level {j}"
        if not isinstance(lv, dict):
            c.error(levels, j - 1, f"{lw}: must be a mapping with 'points' and 'descriptor'")
            continue
        for k in sorted(set(lv) - LEVEL_KEYS):
            c.error(lv, k, f"{lw}: unknown key {excerpt(k)}")
        points = _points(c, lv, lw)
        if points is not None:
            if points in points_seen:
                c.error(lv, "points", f"{lw}: {points:g} points is used twice in this criterion (first at level "
                                      f"{points_seen[points]}); every level needs its own points")
            points_seen.setdefault(points, j)
        out["levels"].append({"points": points, "descriptor": _pair(c, lv, "descriptor", lw, max_len=1000)})
    out["levels"].sort(key=lambda lv: -1 if lv["points"] is None else lv["points"])
    return out


def parse_rubric(text: str, display: str, slug: str, known: dict[str, dict[str, set[str]]]) -> dict:
    """Check a rubric; ``known`` is what :func:`question_types` returns. Raises ContentInvalid."""
    data = parse_yaml(text, display)
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(display, 1, "a rubric must be a mapping")])
    c = Checker(display)
    if not KEY_RE.match(slug or "") or slug in RESERVED:
        c.error(data, None, f"the rubric's name {excerpt(slug)} must be lower-case letters, digits and '-' (not 'new')")
    for k in sorted(set(data) - ALLOWED):
        c.error(data, k, f"unknown key {excerpt(k)}")
    out = {"slug": slug, "title": _pair(c, data, "title", "rubric", max_len=300),
           "description": _pair(c, data, "description", "rubric", required=False, max_len=4000),
           "bank": None, "questions": [], "criteria": []}
    bank = data.get("bank")
    if not isinstance(bank, str) or not bank.strip():
        c.error(data, "bank" if "bank" in data else None,
                "rubric: 'bank' must name a question bank family (the file name without .en.gift / .zh.gift)")
        bank = None
    elif bank not in known:
        c.error(data, "bank", f"rubric: there is no question bank {excerpt(bank)} (no {bank[:80]}.en.gift or {bank[:80]}.zh.gift)")
        bank = None
    out["bank"] = bank
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        c.error(data, "questions" if "questions" in data else None,
                "rubric: 'questions' must be a non-empty list of the [id:...] of essay questions")
        questions = []
    for i, idn in enumerate(questions):
        if not isinstance(idn, str | int) or isinstance(idn, bool) or not str(idn).strip():
            c.error(questions, i, f"question {i + 1}: must be the [id:...] of a question")
            continue
        idn = str(idn).strip()
        if idn in out["questions"]:
            c.error(questions, i, f"question {excerpt(idn)} is listed twice")
            continue
        if bank is not None:
            types = known[bank].get(idn)
            if types is None:
                c.error(questions, i, f"question {excerpt(idn)} is not in the bank {excerpt(bank)}")
            elif types != {"essay"}:
                other = ", ".join(sorted(types - {"essay"}))
                c.error(questions, i, f"question {excerpt(idn)} is a {other} question, not an essay; "
                                      "rubrics are for essays graded by a person")
        out["questions"].append(idn)
    out["_question_lines"] = {str(q).strip(): line_of(questions, i) for i, q in enumerate(questions)
                              if isinstance(q, str | int)}
    criteria = data.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        c.error(data, "criteria" if "criteria" in data else None, "rubric: 'criteria' must be a non-empty list")
        criteria = []
    seen: set[str] = set()
    for i, cr in enumerate(criteria, start=1):
        parsed = _criterion(c, cr, i, seen)
        if parsed is None:
            c.error(criteria, i - 1, f"criterion {i}: must be a mapping")
        else:
            out["criteria"].append(parsed)
    if c.errors:
        raise ContentInvalid(c.errors)
    return out


def _claimed(exclude: set[str]) -> dict[tuple[str, str], str]:
    """(bank family, [id:]) → slug of the stored rubric that already applies to it."""
    rows = db.session.execute(select(EssayRubricQuestion.bank, EssayRubricQuestion.idnumber, EssayRubric.slug)
                              .join(EssayRubric))
    return {(b, i): s for b, i, s in rows if s not in exclude}


def _check_claims(items: list[tuple[str, dict]], exclude: set[str]) -> list[ContentError]:
    """A question has at most one rubric: across the rubrics given, and against the stored ones not given."""
    errors, taken = [], {k: (f"the rubric {excerpt(s)}", None) for k, s in _claimed(exclude).items()}
    for display, data in items:
        for idn in data["questions"]:
            key = (data["bank"], idn)
            line = data["_question_lines"].get(idn)
            if key in taken:
                other, other_line = taken[key]
                where = f"{other} ({other_line})" if other_line else other
                errors.append(ContentError(display, line, f"question {excerpt(idn)} already has a rubric: {where}"))
            else:
                taken[key] = (display, f"line {line}" if line else None)
    return errors


def parse_rubric_files(folder: Path, display_root: Path, known: dict) -> tuple[list, list[ContentError]]:
    """Parse every ``*.yaml`` in ``folder``: (data, text, hash) per file, and every error."""
    parsed, errors = [], []
    for path in sorted(folder.glob("*.yaml")):
        display = str(path.relative_to(display_root)) if path.is_relative_to(display_root) else str(path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
            parsed.append((display, parse_rubric(text, display, path.stem, known), text, digest(raw)))
        except ContentInvalid as exc:
            errors.extend(exc.errors)
        except UnicodeDecodeError as exc:
            errors.append(ContentError(display, None, f"not UTF-8 text ({exc.reason})"))
    errors.extend(_check_claims([(d, data) for d, data, _t, _h in parsed], {data["slug"] for _d, data, _t, _h in parsed}))
    return [(data, text, h, display) for display, data, text, h in parsed], errors


# ---------------------------------------------------------------- storing

def release_questions(rubrics: list[dict]) -> None:
    """Before applying several rubrics: drop the links that the new files give to another rubric, so that a
    question can move from one rubric to another in one load."""
    db.session.flush()
    for data in rubrics:
        pairs = [(data["bank"], q) for q in data["questions"]]
        if pairs:
            stale = select(EssayRubricQuestion.id).join(EssayRubric).where(
                tuple_(EssayRubricQuestion.bank, EssayRubricQuestion.idnumber).in_(pairs),
                EssayRubric.slug != data["slug"])
            db.session.execute(delete(EssayRubricQuestion).where(EssayRubricQuestion.id.in_(stale))
                               .execution_options(synchronize_session=False))
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, EssayRubric):
            db.session.expire(obj, ["questions"])


def apply_rubric(data: dict, source: str, source_hash: str | None, display: str, force: bool = False) \
        -> EssayRubric | None:
    """Create or update a rubric. Returns None when the file has not changed since it was last applied.

    Criteria are matched by key and updated in place, so grades already given keep their criterion; a
    criterion that has grades cannot be removed (raises ContentInvalid)."""
    rubric = db.session.scalar(select(EssayRubric).where(EssayRubric.slug == data["slug"]))
    if rubric is not None and rubric.source_hash == source_hash and not force:
        return None
    if rubric is None:
        rubric = EssayRubric(slug=data["slug"])
    wanted = {cr["key"] for cr in data["criteria"]}
    for old in list(rubric.criteria):
        if old.key not in wanted and old.id is not None:
            used = db.session.scalar(select(EssayRubricScore.id).where(EssayRubricScore.criterion_id == old.id).limit(1))
            if used:
                raise ContentInvalid([ContentError(display, None, f"criterion {excerpt(old.key)} has grades and cannot be "
                                                                  "removed; keep it (its text and levels may change)")])
    rubric.title_en, rubric.title_zh = data["title"]["en"], data["title"]["zh"]
    rubric.description_en, rubric.description_zh = data["description"]["en"], data["description"]["zh"]
    rubric.bank = data["bank"]
    existing = {cr.key: cr for cr in rubric.criteria}
    criteria = []
    for i, cr in enumerate(data["criteria"]):
        row = existing.get(cr["key"]) or EssayRubricCriterion(key=cr["key"])
        row.position = i
        row.name_en, row.name_zh = cr["name"]["en"], cr["name"]["zh"]
        row.description_en, row.description_zh = cr["description"]["en"], cr["description"]["zh"]
        row.levels = cr["levels"]
        criteria.append(row)
    rubric.criteria = criteria
    linked = {q.idnumber: q for q in rubric.questions if q.bank == data["bank"]}
    rubric.questions = [linked.get(idn) or EssayRubricQuestion(bank=data["bank"], idnumber=idn)
                        for idn in data["questions"]]
    rubric.source, rubric.source_hash = source, source_hash
    db.session.add(rubric)
    db.session.flush()
    return rubric


def save_rubric_text(slug: str, text: str, rubric: EssayRubric | None) -> EssayRubric:
    """Save a rubric edited in the browser, checked by the same reader as the files. The file's hash is kept,
    so a later ``lms load`` of the unchanged file does not overwrite the browser's edit."""
    if rubric is None and db.session.scalar(select(EssayRubric.id).where(EssayRubric.slug == slug)):
        raise ContentInvalid([ContentError("rubric", None, f"a rubric named {excerpt(slug)} already exists")])
    data = parse_rubric(text, "rubric", slug, question_types())
    errors = _check_claims([("rubric", data)], {slug})
    if errors:
        raise ContentInvalid(errors)
    return apply_rubric(data, text, rubric.source_hash if rubric else None, "rubric", force=True)


def new_rubric_yaml() -> str:
    from lms.assessment.banks import all_banks
    fams = sorted({family(b.slug) for b in all_banks()})
    return TEMPLATE % {"bank": fams[0] if fams else "my-bank"}


def all_rubrics() -> list[EssayRubric]:
    return list(db.session.scalars(select(EssayRubric).order_by(EssayRubric.slug)
                                   .options(selectinload(EssayRubric.criteria), selectinload(EssayRubric.questions))))


def rubric_by_slug(slug: str) -> EssayRubric | None:
    return db.session.scalar(select(EssayRubric).where(EssayRubric.slug == slug))


def rubric_for_question(question: Question) -> EssayRubric | None:
    if not question.idnumber:
        return None
    return db.session.scalar(select(EssayRubric).join(EssayRubricQuestion).where(
        EssayRubricQuestion.bank == family(question.bank.slug), EssayRubricQuestion.idnumber == question.idnumber))


def scores_used(rubric: EssayRubric) -> int:
    """How many answers have been graded with this rubric."""
    return db.session.scalar(select(func.count(func.distinct(EssayRubricScore.item_id))).join(EssayRubricCriterion)
                             .where(EssayRubricCriterion.rubric_id == rubric.id)) or 0


# ---------------------------------------------------------------- grading

def rubrics_for_items(items: list[AttemptItem]) -> dict[int, EssayRubric]:
    """The rubric of each essay answer that has one (by the question's bank family and [id:])."""
    essays = [i for i in items if i.version.spec.get("qtype") == "essay"]
    if not essays:
        return {}
    keys = {qid: (family(slug), idn) for qid, slug, idn in db.session.execute(
        select(Question.id, QuestionBank.slug, Question.idnumber).join(QuestionBank)
        .where(Question.id.in_({i.question_id for i in essays}), Question.idnumber.is_not(None)))}
    if not keys:
        return {}
    links = db.session.scalars(select(EssayRubricQuestion).where(
        EssayRubricQuestion.idnumber.in_({idn for _f, idn in keys.values()}))
        .options(selectinload(EssayRubricQuestion.rubric).selectinload(EssayRubric.criteria))).all()
    by_key = {(link.bank, link.idnumber): link.rubric for link in links}
    return {i.id: by_key[keys[i.question_id]] for i in essays if keys.get(i.question_id) in by_key}


def choices_from_form(rubric: EssayRubric, form) -> dict[int, int | None]:
    """criterion id → the index of the level picked (None when none or a wrong one was sent)."""
    out = {}
    for cr in rubric.criteria:
        raw = form.get(f"level-{cr.id}", "")
        out[cr.id] = int(raw) if raw.isdigit() and int(raw) < len(cr.levels) else None
    return out


def grade_with_rubric(item: AttemptItem, rubric: EssayRubric, choices: dict[int, int | None], comment: str | None,
                      grader) -> None:
    """Grade an essay answer with its rubric. Every criterion needs a level; otherwise nothing is stored."""
    missing = [cr for cr in rubric.criteria if choices.get(cr.id) is None
               or not 0 <= choices[cr.id] < len(cr.levels)]
    if missing:
        from lms.i18n import localized
        raise RubricIncomplete(_("Choose a level for every criterion of the rubric; missing: %(names)s. "
                                 "Nothing was saved.", names="; ".join(localized(cr, "name").text or cr.key
                                                                       for cr in missing)))
    maximum = rubric.max_points
    chosen = [(cr, cr.levels[choices[cr.id]]) for cr in rubric.criteria]
    total = sum(level["points"] for _cr, level in chosen)
    grading.grade_item(item, total / maximum if maximum else 0.0, comment, grader)
    number = (db.session.scalar(select(func.max(EssayRubricScore.round)).where(EssayRubricScore.item_id == item.id))
              or 0) + 1
    now = utcnow()
    for cr, level in chosen:
        db.session.add(EssayRubricScore(item_id=item.id, criterion_id=cr.id, round=number, points=level["points"],
                                        max_points=cr.max_points, descriptor=dict(level["descriptor"]),
                                        grader_id=grader.id, graded_at=now))
    db.session.flush()


def current_scores(items: list[AttemptItem]) -> dict[int, list[EssayRubricScore]]:
    """The levels chosen at the latest grading of each answer (earlier rounds stay in the table)."""
    ids = [i.id for i in items if i.version.spec.get("qtype") == "essay" and i.fraction is not None]
    if not ids:
        return {}
    rows = db.session.scalars(select(EssayRubricScore).where(EssayRubricScore.item_id.in_(ids))
                              .options(selectinload(EssayRubricScore.criterion))).all()
    latest: dict[int, int] = {}
    for r in rows:
        latest[r.item_id] = max(latest.get(r.item_id, 0), r.round)
    out: dict[int, list[EssayRubricScore]] = {}
    for r in sorted(rows, key=lambda r: r.criterion.position):
        if r.round == latest[r.item_id]:
            out.setdefault(r.item_id, []).append(r)
    return out


def chosen_levels(scores: dict[int, list[EssayRubricScore]], rubrics: dict[int, EssayRubric]) -> dict[int, dict]:
    """The latest levels chosen for each answer as the grading form sends them ({"level-<criterion id>": index}),
    so that a grade being changed starts from the one given. A level since edited out of the rubric is left
    unchosen."""
    out: dict[int, dict] = {}
    for item_id, rows in scores.items():
        rubric = rubrics.get(item_id)
        if rubric is None:
            continue
        levels = {cr.id: cr.levels for cr in rubric.criteria}
        sent = {}
        for row in rows:
            index = next((i for i, lv in enumerate(levels.get(row.criterion_id, []))
                          if lv["points"] == row.points and dict(lv["descriptor"]) == row.descriptor), None)
            if index is not None:
                sent[f"level-{row.criterion_id}"] = str(index)
        out[item_id] = sent
    return out

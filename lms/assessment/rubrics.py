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
from typing import Annotated

from flask_babel import gettext as _
from pydantic import AfterValidator, BeforeValidator, ValidationInfo
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
from lms.content import ContentError, ContentInvalid, digest, line_of, parse_yaml
from lms.content_schema import (
    ContentModel,
    at_least,
    bilingual,
    distinct,
    issues,
    matching,
    number,
    problem,
    shape,
    validate,
)
from lms.db import utcnow
from lms.extensions import db
from lms.limits import excerpt

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


KEY_MESSAGE = "'key' must be lower-case letters, digits and '-'"


def _points(value):
    return int(value) if float(value).is_integer() else float(value)


class RubricLevel(ContentModel):
    where = "{parent} level {n}"
    points: Annotated[number(0, 100), AfterValidator(_points)]
    descriptor: bilingual(max_len=1000, both=True) = None


def _distinct_points(levels: list[RubricLevel]) -> list[RubricLevel]:
    first: dict[float, int] = {}
    found = []
    for j, lv in enumerate(levels):
        if lv.points in first:
            found.append(((j, "points"), f"{lv.points:g} points is used twice in this criterion (first at level "
                                         f"{first[lv.points] + 1}); every level needs its own points"))
        first.setdefault(lv.points, j)
    issues(found)
    return sorted(levels, key=lambda lv: lv.points)


class RubricCriterion(ContentModel):
    where = "criterion {qkey}"
    key: matching(KEY_RE, KEY_MESSAGE)
    name: bilingual(max_len=300, both=True) = None
    description: bilingual(required=False, both=True) = None
    levels: Annotated[list[RubricLevel], AfterValidator(_distinct_points), at_least(2, (
        "'levels' must be a list of at least two levels, each {points: N, descriptor: {en, zh}}"))] = None


def _bank(value, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem("'bank' must name a question bank family (the file name without .en.gift / .zh.gift)")
    if value not in info.context["known"]:
        raise problem(f"there is no question bank {excerpt(value)} (no {value[:80]}.en.gift or {value[:80]}.zh.gift)")
    return value


def _idnumber(value) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise problem("'{field}' must be the [id:...] of a question")
    return str(value).strip()


def _essays(questions: list[str], info: ValidationInfo) -> list[str]:
    """Each question is named once, and is an essay of the rubric's bank."""
    bank, found, seen = info.data.get("bank"), [], set()
    types = info.context["known"][bank] if bank else None
    for i, idn in enumerate(questions):
        if idn in seen:
            found.append(((i,), f"question {excerpt(idn)} is listed twice", True))
        elif types is not None and types.get(idn) is None:
            found.append(((i,), f"question {excerpt(idn)} is not in the bank {excerpt(bank)}", True))
        elif types is not None and types.get(idn) != {"essay"}:
            other = ", ".join(sorted(types.get(idn) - {"essay"}))
            found.append(((i,), f"question {excerpt(idn)} is a {other} question, not an essay; rubrics are for "
                                "essays graded by a person", True))
        seen.add(idn)
    issues(found)
    return questions


class RubricSchema(ContentModel):
    """``question_banks/rubrics/<slug>.yaml``: an essay rubric."""
    where = "rubric"
    not_mapping = "a rubric must be a mapping"
    title: bilingual(max_len=300, both=True) = None
    description: bilingual(max_len=4000, required=False, both=True) = None
    bank: Annotated[str, BeforeValidator(_bank)] = None
    questions: Annotated[list[Annotated[str, BeforeValidator(_idnumber)]], AfterValidator(_essays), shape(
        list, "'questions' must be a non-empty list of the [id:...] of essay questions", 1)] = None
    criteria: Annotated[list[RubricCriterion], distinct("key"),
                        shape(list, "'criteria' must be a non-empty list", 1)] = None


def parse_rubric(text: str, display: str, slug: str, known: dict[str, dict[str, set[str]]]) -> dict:
    """Check a rubric; ``known`` is what :func:`question_types` returns. Raises ContentInvalid."""
    data = parse_yaml(text, display)
    errors = [] if KEY_RE.match(slug or "") and slug not in RESERVED else [
        ContentError(display, line_of(data),
                     f"the rubric's name {excerpt(slug)} must be lower-case letters, digits and '-' (not 'new')")]
    rubric = validate(RubricSchema, data, display, {"known": known}, errors)
    return {"slug": slug, **rubric.model_dump(),
            "_question_lines": {q: line_of(data["questions"], i) for i, q in enumerate(rubric.questions)}}


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

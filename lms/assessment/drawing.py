"""Drawing the questions of a new attempt: named questions, or random ones by competency, level, tag and
category from the bank in the attempt's language, the least used first (as Moodle balances random questions)."""
from __future__ import annotations

import random
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, select

from lms.assessment import qtypes, versioncache
from lms.assessment.errors import ExamError
from lms.assessment.models import (
    AttemptItem,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
    Quiz,
    QuizKind,
)
from lms.extensions import db
from lms.frameworks.models import Competency


def _bank_slugs(family: str, lang: str) -> list[str]:
    """The banks a section may draw from, the preferred first: the attempt's language, English, Chinese, plain."""
    return list(dict.fromkeys([f"{family}-{lang}", f"{family}-en", f"{family}-zh", family]))


def _preferred_bank():
    """The preferred bank's id as a subquery (bind parameters ``bank0``…``bank3``, the slugs in order of
    preference), so that drawing needs no query of its own to find the bank."""
    slugs = [bindparam(f"bank{i}") for i in range(4)]
    return (select(QuestionBank.id).where(QuestionBank.slug.in_(slugs))
            .order_by(case(*[(QuestionBank.slug == s, i) for i, s in enumerate(slugs)])).limit(1).scalar_subquery())


def _bank_params(family: str, lang: str) -> dict[str, str]:
    slugs = _bank_slugs(family, lang)
    return {f"bank{i}": slugs[min(i, len(slugs) - 1)] for i in range(4)}


def _bank_exists(family: str, lang: str) -> bool:
    return db.session.scalar(select(func.count()).select_from(QuestionBank).where(
        QuestionBank.slug.in_(_bank_slugs(family, lang)))) > 0


def _usage(question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    return dict(db.session.execute(select(AttemptItem.question_id, func.count()).where(
        AttemptItem.question_id.in_(question_ids)).group_by(AttemptItem.question_id)).all())


@dataclass(frozen=True)
class Drawn:
    """A question drawn for a new attempt: its current version (id and content) and its mark."""
    question_id: int
    version_id: int
    spec: dict
    mark: float


def _current_versions():
    """The current version of each question (ids only: the content comes from the process's version cache)."""
    return (select(Question.id, Question.idnumber, QuestionVersion.id.label("version_id"))
            .join(QuestionVersion, (QuestionVersion.question_id == Question.id)
                  & (QuestionVersion.version == Question.current_version))
            .where(Question.bank_id == _preferred_bank()))


# built once: a section of named questions is what a fixed exam is made of (and the rush benchmark's exam)
_NAMED = _current_versions().where(Question.idnumber.in_(bindparam("idnumbers", expanding=True)))


def _random_query(quiz: Quiz, section):
    """The questions a random section may draw from (in the bank the bind parameters name)."""
    query = _current_versions().where(QuestionVersion.qtype.in_(qtypes.names(graded=True)), Question.status == QuestionStatus.READY)
    if quiz.kind == QuizKind.DIAGNOSTIC:     # the diagnostic is scored at once: no question a person grades
        query = query.where(QuestionVersion.qtype.in_(qtypes.names(auto_graded=True)))
    if section.competency:
        query = query.join(Competency, Competency.id == QuestionVersion.competency_id).where(
            (Competency.code == section.competency) | Competency.code.like(f"{section.competency}.%"))
    if section.level:
        query = query.where(QuestionVersion.level == section.level)
    if section.tag:
        query = query.where(Question.tags.any(QuestionTag.tag == section.tag))
    if section.category:
        query = query.join(QuestionCategory, QuestionCategory.id == Question.category_id).where(
            (QuestionCategory.path == section.category)     # or below it ('A//B' is a name with a slash)
            | (QuestionCategory.path.startswith(f"{section.category}/", autoescape=True)
               & ~QuestionCategory.path.startswith(f"{section.category}//", autoescape=True)))
    return query


@dataclass(frozen=True)
class Shortfall:
    """A section that gives fewer questions than it asks for, in the bank attempts in these languages draw from."""
    languages: tuple[str, ...]      # the attempts' languages: en, zh (both when one bank serves both)
    bank: str | None        # the bank they draw from (None: no bank of the family at all)
    section: int            # 1-based, as the exam's file numbers them
    wanted: int
    found: int
    missing: tuple[str, ...] = ()       # named question ids the bank does not have
    repeated: tuple[str, ...] = ()      # named question ids a section before this one already names


def shortfalls(quiz: Quiz) -> list[Shortfall]:
    """What would make an attempt shorter than the exam says, per language: named questions the bank lacks or a
    section before already names, and random sections with fewer questions left for them than they draw. A random
    section's questions are those matching it and ready, less those named before it, less as many as each random
    section before it may take from the questions they share (so the count is what every attempt is sure to get).
    Moodle warns of the same in its quiz editor; a shorter attempt is still drawn, with a lower maximum score."""
    out: dict[tuple, Shortfall] = {}
    for lang in ("en", "zh"):
        named_before: set[int] = set()
        drawn_before: list[tuple[set[int], int]] = []       # each earlier random section's pool and draw
        for number, section in enumerate(quiz.sections, start=1):
            banks = _bank_params(section.bank, lang)
            bank = db.session.scalar(select(QuestionBank.slug).where(QuestionBank.id == _preferred_bank()), banks)
            if section.idnumbers:
                wanted = list(dict.fromkeys(section.idnumbers))
                rows = {r.idnumber: r for r in db.session.execute(_NAMED, {**banks, "idnumbers": wanted})}
                missing = tuple(i for i in wanted if i not in rows)
                repeated = tuple(i for i in wanted if i in rows and rows[i].id in named_before)
                named_before.update(r.id for r in rows.values())
                if missing or repeated:
                    _note(out, Shortfall((lang,), bank, number, len(wanted), len(wanted) - len(missing) - len(repeated),
                                         missing, repeated))
                continue
            pool = {r.id for r in db.session.execute(_random_query(quiz, section), banks)} - named_before
            left = len(pool) - sum(min(draw, len(earlier & pool)) for earlier, draw in drawn_before)
            drawn_before.append((pool, section.draw or 0))
            if left < (section.draw or 0):
                _note(out, Shortfall((lang,), bank, number, section.draw, max(left, 0)))
    return sorted(out.values(), key=lambda s: (s.section, s.languages))


def _note(out: dict, short: Shortfall) -> None:
    """One entry per section and bank: a bank serving both languages is reported once, for both."""
    key = (short.section, short.bank)
    if key in out:
        out[key] = replace(out[key], languages=out[key].languages + short.languages)
    else:
        out[key] = short


def draw(quiz: Quiz, lang: str, rng: random.Random) -> list[Drawn]:
    """The questions of a new attempt with their marks; random sections prefer the least-used questions."""
    chosen: list[tuple[int, int, float]] = []          # (question id, version id, mark)
    taken: set[int] = set()
    for section in quiz.sections:
        banks = _bank_params(section.bank, lang)
        if section.idnumbers:
            rows = {r.idnumber: r for r in db.session.execute(_NAMED, {**banks, "idnumbers": list(section.idnumbers)})}
            if not rows and not _bank_exists(section.bank, lang):
                raise ExamError(_("This exam's question bank is missing; tell the course's instructors."))
            for idn in section.idnumbers:
                row = rows.get(idn)
                if row is not None and row.id not in taken:
                    chosen.append((row.id, row.version_id, section.mark))
                    taken.add(row.id)
            continue
        found = db.session.execute(_random_query(quiz, section), banks).all()
        if not found and not _bank_exists(section.bank, lang):
            raise ExamError(_("This exam's question bank is missing; tell the course's instructors."))
        pool = [r for r in found if r.id not in taken]
        usage = _usage([r.id for r in pool])
        rng.shuffle(pool)
        pool.sort(key=lambda r: usage.get(r.id, 0))   # stable: random among equally used
        for row in pool[: section.draw or 0]:
            chosen.append((row.id, row.version_id, section.mark))
            taken.add(row.id)
    known = versioncache.versions([(vid, qid) for qid, vid, _mark in chosen])
    return [Drawn(qid, vid, known[vid].spec, mark) for qid, vid, mark in chosen]

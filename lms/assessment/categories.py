"""A bank's category tree in the browser: each category with its questions and the competency its path aligns it
to, and renaming, which is how a bank imported from Moodle is aligned to the framework without importing it again
('Licensing basics' → 'TTM/D3/D3.2'). The last segment of a path that is a competency code of the current framework
aligns the category, as on import.

Renaming moves the category's sub-categories with it and merges into a category that already has the new path.
Questions whose competency changes get a new version (versions are never edited: attempts keep the version, and
the competency, they showed), exactly as importing the renamed file would give them. A category that an exam's
section draws from by path is not renamed: the exam would silently draw nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts.services import audit
from lms.assessment.banks import add_version, category_path, family
from lms.assessment.errors import ExamError
from lms.assessment.gift import names_context, split_category
from lms.assessment.models import Question, QuestionBank, QuestionCategory, Quiz, QuizSection
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import Competency


@dataclass
class CategoryRow:
    category: QuestionCategory
    questions: int
    exams: list[Quiz]            # exams with a section that draws from this category (or one below it)


def _segments(path: str) -> list[str]:
    """A stored path's segments: '/' separates them, '//' is a slash inside one ('Unit 1//2/Sub')."""
    return split_category(path)[1] if path else []


def _within(path: str, root: str) -> bool:
    """Whether the category at ``path`` is the one at ``root`` or below it (by segments: 'A//B' is not in 'A')."""
    top = _segments(root)
    return bool(top) and _segments(path)[:len(top)] == top


def subtree_ids(category: QuestionCategory) -> list[int]:
    """The category and those below it (the browse filter's "also show questions from sub-categories")."""
    cats = db.session.scalars(select(QuestionCategory).where(QuestionCategory.bank_id == category.bank_id,
                                                             QuestionCategory.context == category.context))
    return [c.id for c in cats if not category.path or c.id == category.id or _within(c.path, category.path)]


def bank_category_list(bank_id: int) -> list[QuestionCategory]:
    return list(db.session.scalars(select(QuestionCategory).where(QuestionCategory.bank_id == bank_id)
                                   .order_by(QuestionCategory.context, QuestionCategory.path)))


def _codes() -> dict[str, Competency]:
    fw = current_framework()
    if fw is None:
        return {}
    return {c.code: c for c in db.session.scalars(select(Competency).where(Competency.framework_id == fw.id))}


def _sections(bank: QuestionBank) -> list[tuple[QuizSection, Quiz]]:
    return [(s, q) for s, q in db.session.execute(
        select(QuizSection, Quiz).join(Quiz, Quiz.id == QuizSection.quiz_id)
        .where(QuizSection.bank == family(bank.slug), QuizSection.category.is_not(None)).order_by(Quiz.title_en))]


def bank_categories(bank: QuestionBank) -> list[CategoryRow]:
    """The bank's categories in path order, with how many questions each holds and the exams drawing from it."""
    counts = {cid: n for cid, n in db.session.execute(
        select(Question.category_id, func.count()).where(Question.bank_id == bank.id).group_by(Question.category_id))}
    cats = db.session.scalars(select(QuestionCategory).where(QuestionCategory.bank_id == bank.id)
                              .options(selectinload(QuestionCategory.competency))
                              .order_by(QuestionCategory.context, QuestionCategory.path)).all()
    sections = _sections(bank)
    return [CategoryRow(c, counts.get(c.id, 0),
                        list({q.id: q for s, q in sections if _within(s.category, c.path) or _within(c.path, s.category)}
                             .values()))
            for c in cats]


def _new_segments(category: QuestionCategory, new_path: str, competency: Competency | None) -> list[str]:
    """The segments of the path typed (in the category's own context), with the competency's code added last
    when the path does not name it already."""
    typed = new_path.strip()
    context, segments = split_category(typed)
    if not names_context(typed):              # no context typed: the category keeps its own
        context = category.context
    if competency is not None and competency.code not in segments:
        segments.append(competency.code)
    if not segments:
        raise ExamError(_("Give the category a path, for example TTM/D3/D3.2."))
    if context != category.context:
        raise ExamError(_("A category keeps its context (%(c)s); give the path without a context.", c=category.context))
    return segments


@dataclass
class _Move:
    """What a rename moves: the categories at or below the old path, the segments each will have, and the
    categories of the context by their segments (those a moved category may merge into)."""
    moving: list[QuestionCategory]
    targets: dict[int, list[str]]
    existing: dict[tuple, QuestionCategory]
    moving_ids: set[int] = field(init=False)

    def __post_init__(self) -> None:
        self.moving_ids = {c.id for c in self.moving}

    def merges_into(self, segments: list[str]) -> QuestionCategory | None:
        """The category outside the move that already has these segments (None: there is none)."""
        hit = self.existing.get(tuple(segments))
        return hit if hit is not None and hit.id not in self.moving_ids else None


def _plan_move(category: QuestionCategory, old: list[str], new: list[str]) -> _Move:
    in_context = db.session.scalars(select(QuestionCategory).where(
        QuestionCategory.bank_id == category.bank_id, QuestionCategory.context == category.context)).all()
    moving = [c for c in in_context if _segments(c.path)[:len(old)] == old]
    return _Move(moving, {c.id: new + _segments(c.path)[len(old):] for c in moving},
                 {tuple(_segments(c.path)): c for c in in_context})


def _check_lengths(move: _Move) -> None:
    if any(len(category_path(t)) > 500 or any(len(x) > 255 for x in t) for t in move.targets.values()):
        raise ExamError(_("That path is too long."))


def _check_no_clash(move: _Move) -> None:
    """A category cannot move onto one of the categories that move with it."""
    moving_ids = move.moving_ids
    clash = next((t for cid, t in move.targets.items() if (hit := move.existing.get(tuple(t))) is not None
                  and hit.id in moving_ids and hit.id != cid), None)
    if clash is not None:
        raise ExamError(_("The category %(p)s is already inside this one; rename that one first.",
                          p=category_path(clash)))


def _check_no_exam_draws(bank: QuestionBank, category: QuestionCategory, move: _Move) -> None:
    """No exam draws from the category (or above or below it), or from a category it would merge into."""
    merging = [hit.path for t in move.targets.values() if (hit := move.merges_into(t)) is not None]
    drawing = sorted({q.title_en or q.title_zh or q.key for s, q in _sections(bank)
                      if _within(s.category, category.path) or _within(category.path, s.category)
                      or any(_within(m, s.category) for m in merging)})
    if drawing:
        raise ExamError(_("Exams draw from this category by its path: %(exams)s. Change their sections first, then "
                          "rename it.", exams="; ".join(drawing)))


def _move_one(cat: QuestionCategory, move: _Move, codes: dict[str, Competency]) -> QuestionCategory:
    """Give the category its new path, or merge it into the category that has that path; align the result to
    the competency its path names. Returns the category now at the new path."""
    target_segments = move.targets[cat.id]
    target = move.merges_into(target_segments)
    if target is not None:    # merge into the category that has the path
        db.session.execute(Question.__table__.update().where(Question.category_id == cat.id)
                           .values(category_id=target.id))
        db.session.delete(cat)
        cat = target
    else:
        cat.path = category_path(target_segments)
        cat.segments = list(target_segments)
    competency_now = next((codes[s] for s in reversed(cat.segments) if s in codes), None)
    cat.competency_id = competency_now.id if competency_now else None
    return cat


def rename(category: QuestionCategory, new_path: str, competency: Competency | None, user) -> QuestionCategory:
    """Rename a category (and the categories below it); a competency chosen is added as the last segment when the
    path does not name it already. Returns the category the questions are now in."""
    new = _new_segments(category, new_path, competency)
    old = _segments(category.path)
    if not old:
        raise ExamError(_("The top category cannot be renamed; rename the categories in it."))
    if new == old:
        return category
    bank = category.bank
    move = _plan_move(category, old, new)
    _check_lengths(move)
    _check_no_clash(move)
    _check_no_exam_draws(bank, category, move)
    codes = _codes()
    result, touched = category, set()
    for cat in sorted(move.moving, key=lambda c: len(_segments(c.path))):
        cat = _move_one(cat, move, codes)
        touched.add(cat)
        if cat.segments == new:
            result = cat
    db.session.flush()
    _follow_alignment(bank, {c.id for c in touched}, user)
    audit(user, "category.rename", bank.slug, f"{category_path(old)[:480]} → {result.path[:480]} "
                                              f"({result.competency.code if result.competency else '-'})")
    return result


def _follow_alignment(bank: QuestionBank, category_ids: set[int], user) -> None:
    """A new version for each question whose category now aligns it to another competency than its current
    version does (the content unchanged)."""
    db.session.expire_all()
    questions = db.session.scalars(select(Question).where(Question.bank_id == bank.id,
                                                          Question.category_id.in_(category_ids))
                                   .options(selectinload(Question.versions), selectinload(Question.tags),
                                            selectinload(Question.category))).all()
    for q in questions:
        if q.current.competency_id != q.category.competency_id:
            add_version(q, q.current.spec, q.category, bank.language, user=user, source="browser", flush=False)
    db.session.flush()

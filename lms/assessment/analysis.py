"""Item analysis of an exam (as in Moodle's quiz statistics), on each person's first graded attempt.

Per question: facility (mean score, %), discrimination (correlation between the item's score and
the rest of the test, ×100), and the share of attempts choosing each option. For the test: mean,
standard deviation and Cronbach's alpha (equal to KR-20 when every item scores 0 or 1), computed
when every attempt showed the same questions.

A question and its translation are one item: the English and Chinese banks of a family hold the same
question under the same id (``[id:F1-D1.1-001]`` in both), so a cohort sitting in both languages is analysed
as one test. Questions without an id are taken one by one.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.assessment import qtypes
from lms.assessment.banks import family
from lms.assessment.models import Attempt, AttemptItem, AttemptState, Question, QuestionVersion, Quiz
from lms.assessment.ownership import managed_bank_ids
from lms.core.spreadsheet import cells
from lms.extensions import db


@dataclass
class ItemStats:
    question_id: int
    idnumber: str | None
    name: str
    qtype: str
    n: int
    facility: float | None            # percent
    discrimination: float | None      # correlation × 100
    options: list[tuple[str, float]] = field(default_factory=list)   # (option text, share %)
    public_id: str | None = None      # the question's, for a link to it in the bank
    bank_id: int | None = None        # the question's bank: only its managers see the options' shares (the key)
    key_hidden: bool = False          # the options' shares left out for a reader who does not manage the bank

    @property
    def flagged(self) -> bool:
        return self.discrimination is not None and self.discrimination < 0


@dataclass
class TestStats:
    attempts: int
    mean: float | None
    sd: float | None
    alpha: float | None
    alpha_reason: str | None
    items: list[ItemStats]


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(sxx * syy)


def _var(xs: list[float]) -> float:
    m = sum(xs) / len(xs)
    return sum((x - m) ** 2 for x in xs) / len(xs)


def first_attempts(quiz: Quiz) -> list[Attempt]:
    rows = db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.GRADED)
                              .options(selectinload(Attempt.items).selectinload(AttemptItem.version)
                                       .selectinload(QuestionVersion.question).selectinload(Question.bank))
                              .order_by(Attempt.user_id, Attempt.number)).all()
    seen, out = set(), []
    for a in rows:
        if a.user_id not in seen:
            seen.add(a.user_id)
            out.append(a)
    return out


def _item_key(item: AttemptItem):
    """The same item in every language: the bank's family and the question's id; else the question itself."""
    question = item.version.question
    return (family(question.bank.slug), question.idnumber) if question.idnumber else item.question_id


def analyse(attempts: list[Attempt]) -> TestStats:
    scored = [(a, {_item_key(i): i for i in a.items if i.mark}) for a in attempts]
    totals = {a.id: sum((i.fraction or 0) * i.mark for i in items.values()) for a, items in scored}
    mean, sd = _mean_sd([a.percent for a in attempts if a.percent is not None])
    keys = list(dict.fromkeys(key for _a, items in scored for key in items))      # the items, in the order first seen
    stats = [_item_stats([(a, items[key]) for a, items in scored if key in items], totals) for key in keys]
    alpha, reason = _alpha(scored, keys, totals)
    return TestStats(len(attempts), mean, sd, alpha, reason, stats)


def _mean_sd(percents: list[float]) -> tuple[float | None, float | None]:
    """The test's mean percent and its (sample) standard deviation, rounded; None where there are too few."""
    if not percents:
        return None, None
    mean = sum(percents) / len(percents)
    if len(percents) < 2:
        return round(mean, 2), None
    return round(mean, 2), round(math.sqrt(sum((p - mean) ** 2 for p in percents) / (len(percents) - 1)), 2)


def _item_stats(rows: list[tuple[Attempt, AttemptItem]], totals: dict[int, float]) -> ItemStats:
    """One item's facility, discrimination (against the rest of the test) and options' shares, over the attempts
    that showed it."""
    fractions = [it.fraction or 0.0 for _a, it in rows]
    rest = [totals[a.id] - (it.fraction or 0) * it.mark for a, it in rows]
    r = _pearson(fractions, rest)
    latest = rows[-1][1].version
    options = _option_shares(latest.spec, [it.response for _a, it in rows if _lines_up(it.version.spec, latest.spec)])
    return ItemStats(rows[-1][1].question_id, latest.question.idnumber, latest.name, latest.qtype, len(rows),
                     round(100 * sum(fractions) / len(fractions), 2) if fractions else None,
                     round(100 * r, 2) if r is not None else None, options, latest.question.public_id,
                     latest.question.bank_id)


def _alpha(scored: list[tuple[Attempt, dict]], keys: list, totals: dict[int, float]) -> tuple[float | None, str | None]:
    """Cronbach's alpha, or why it is not computed."""
    if len(scored) < 2:
        return None, "fewer than two attempts"
    if not all(set(items) == set(keys) for _a, items in scored):
        return None, "the attempts did not all show the same questions"
    if len(keys) < 2:
        return None, "fewer than two questions"
    k = len(keys)
    item_var = sum(_var([items[q].fraction * items[q].mark if items[q].fraction is not None else 0.0
                         for _a, items in scored]) for q in keys)
    total_var = _var([totals[a.id] for a, _items in scored])
    if total_var <= 0:
        return None, "every attempt scored the same"
    return round(k / (k - 1) * (1 - item_var / total_var), 4), None


def hide_keys(stats: TestStats, managed_bank_ids: set[int]) -> TestStats:
    """The analysis as a reader who manages only these banks sees it: the options' shares (which, with the
    facility, give the key away) only for the questions of those banks."""
    for s in stats.items:
        if s.bank_id not in managed_bank_ids:
            s.options, s.key_hidden = [], True
    return stats


def analysis_for(user, quiz: Quiz) -> TestStats:
    """The exam's item analysis as this reader may see it (hide_keys)."""
    stats = analyse(first_attempts(quiz))
    return hide_keys(stats, managed_bank_ids(user, {s.bank_id for s in stats.items}))


def _lines_up(spec: dict, other: dict) -> bool:
    """Whether the responses to ``other`` (a translation, or an earlier version) count as responses to ``spec``:
    the same type, and what the type asks (a choice stored by its position must mean the same option). Only the
    answers to versions that line up are counted."""
    return spec["qtype"] == other["qtype"] and qtypes.of(spec).lines_up(spec, other)


def _option_shares(spec: dict, responses: list) -> list[tuple[str, float]]:
    return qtypes.of(spec).option_shares(spec, responses) if responses else []


def to_csv(stats: TestStats) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["idnumber", "question", "type", "attempts", "facility_percent", "discrimination", "flagged",
                "option_shares"])
    for s in stats.items:
        w.writerow(cells([s.idnumber or "", s.name, s.qtype, s.n, s.facility if s.facility is not None else "",
                          s.discrimination if s.discrimination is not None else "", "yes" if s.flagged else "",
                          "; ".join(f"{t} = {p}%" for t, p in s.options)]))
    w.writerow([])
    w.writerow(["attempts", stats.attempts, "mean_percent", stats.mean, "sd", stats.sd, "cronbach_alpha",
                stats.alpha if stats.alpha is not None else f"not computed: {stats.alpha_reason}"])
    return buf.getvalue()

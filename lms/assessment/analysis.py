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

from lms.assessment.banks import family
from lms.assessment.models import Attempt, AttemptItem, Question, QuestionVersion, Quiz
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
    rows = db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == "graded")
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
    percents = [a.percent for a in attempts if a.percent is not None]
    mean = sum(percents) / len(percents) if percents else None
    sd = math.sqrt(sum((p - mean) ** 2 for p in percents) / (len(percents) - 1)) if len(percents) > 1 else None
    keys: list = []               # the items, in the order first seen
    for _a, items in scored:
        for key in items:
            if key not in keys:
                keys.append(key)
    stats = []
    for key in keys:
        rows = [(a, items[key]) for a, items in scored if key in items]
        fractions = [it.fraction or 0.0 for _a, it in rows]
        rest = [totals[a.id] - (it.fraction or 0) * it.mark for a, it in rows]
        r = _pearson(fractions, rest)
        latest = rows[-1][1].version
        options = _option_shares(latest.spec, [it.response for _a, it in rows if _lines_up(it.version.spec, latest.spec)])
        stats.append(ItemStats(rows[-1][1].question_id, latest.question.idnumber, latest.name, latest.qtype, len(rows),
                               round(100 * sum(fractions) / len(fractions), 2) if fractions else None,
                               round(100 * r, 2) if r is not None else None, options, latest.question.public_id,
                               latest.question.bank_id))
    alpha, reason = None, None
    common = set(keys) if scored and all(set(items) == set(keys) for _a, items in scored) else None
    if len(scored) < 2:
        reason = "fewer than two attempts"
    elif common is None:
        reason = "the attempts did not all show the same questions"
    elif len(keys) < 2:
        reason = "fewer than two questions"
    else:
        k = len(keys)
        item_var = sum(_var([items[q].fraction * items[q].mark if items[q].fraction is not None else 0.0
                             for _a, items in scored]) for q in keys)
        total_var = _var([totals[a.id] for a, _items in scored])
        if total_var > 0:
            alpha = round(k / (k - 1) * (1 - item_var / total_var), 4)
        else:
            reason = "every attempt scored the same"
    return TestStats(len(attempts), round(mean, 2) if mean is not None else None,
                     round(sd, 2) if sd is not None else None, alpha, reason, stats)


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
    """Whether choices stored by position mean the same option in both versions (a translation, or an earlier
    version): as many options, each position with the same mark. Otherwise the shares would be credited to the
    wrong options, and only the answers to versions that line up are counted."""
    if spec["qtype"] != "multichoice" or other["qtype"] != "multichoice":
        return spec["qtype"] == other["qtype"]
    return [a.get("fraction") for a in spec["answers"]] == [a.get("fraction") for a in other["answers"]]


def _option_shares(spec: dict, responses: list) -> list[tuple[str, float]]:
    n = len(responses)
    if not n:
        return []
    if spec["qtype"] == "multichoice":
        counts = [0] * len(spec["answers"])
        for r in responses:
            for i in (r if isinstance(r, list) else [r] if r is not None else []):
                if isinstance(i, int) and 0 <= i < len(counts):
                    counts[i] += 1
        return [(a["text"], round(100 * c / n, 1)) for a, c in zip(spec["answers"], counts, strict=True)]
    if spec["qtype"] == "truefalse":
        t = sum(1 for r in responses if r is True)
        f = sum(1 for r in responses if r is False)
        return [("True", round(100 * t / n, 1)), ("False", round(100 * f / n, 1))]
    return []


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

"""The evidence log and the competency profile derived from it.

Rule (shown to trainees): a level is reached when the person scored at least 70% on at least
two items of that level or above for the competency. The profile shows the highest level reached.
When an item is regraded a new row is appended; the latest row for an item is the one that counts.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.db import insert_rows
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES, Competency, Evidence, Framework

PASS_FRACTION = 0.7
ITEMS_NEEDED = 2


def record(user_id: int, competency_id: int, level: str, fraction: float, source: str, reference: str) -> Evidence:
    row = Evidence(user_id=user_id, competency_id=competency_id, level=level, fraction=float(fraction),
                   source=source, reference=reference)
    db.session.add(row)
    return row


def record_many(rows: list[dict]) -> None:
    """Append several rows at once (a submitted exam): dicts with the arguments of ``record``."""
    insert_rows(db.session, Evidence.__table__, [{**r, "fraction": float(r["fraction"])} for r in rows])


@dataclass
class CompetencyRating:
    code: str
    level: str | None                     # highest level reached, or None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def rank(self) -> int:
        return LEVEL_CODES.index(self.level) + 1 if self.level else 0


def rate(evidence: list[Evidence]) -> str | None:
    reached = None
    for i, level in enumerate(LEVEL_CODES):
        good = [e for e in evidence if LEVEL_CODES.index(e.level) >= i and e.fraction >= PASS_FRACTION]
        if len(good) >= ITEMS_NEEDED:
            reached = level
    return reached


def profile(user_id: int, framework: Framework) -> dict[str, CompetencyRating]:
    """Ratings per competency code of ``framework`` (evidence recorded against any version counts by code)."""
    rows = db.session.execute(select(Evidence, Competency.code).join(Competency)
                              .where(Evidence.user_id == user_id).order_by(Evidence.created_at, Evidence.id)).all()
    # a regrade appends a new row for the same item: the latest row for a reference counts
    latest: dict[str, tuple[Evidence, str]] = {}
    for ev, code in rows:
        latest[ev.reference] = (ev, code)
    by_code: dict[str, list[Evidence]] = defaultdict(list)
    for ev, code in latest.values():
        by_code[code].append(ev)
    out = {}
    for domain in framework.domains:
        for comp in domain.competencies:
            ev = by_code.get(comp.code, [])
            out[comp.code] = CompetencyRating(comp.code, rate(ev), ev)
    return out

"""The diagnostic competence assessment's result: a level per competency, a recommended level, the courses
that close the gaps.

Rule: a competency is placed at the highest level whose question — and every lower level's — scored at
least 70%. The recommended level is Expert when at least 70% of the competencies are at Expert,
Practitioner when at least 70% are at Practitioner or above, Foundation otherwise. The courses proposed
teach, at the next level up, the competencies still below the recommended level's next step.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.catalog.models import Course, CourseCompetency
from lms.extensions import db
from lms.frameworks.models import LEVEL_CODES, Competency

PASS = 0.7
SHARE = 0.7


@dataclass
class DiagnosticResult:
    levels: dict[str, str | None]                     # competency code → level reached (None = below F)
    scores: dict[str, dict[str, float]]               # code → level → fraction
    recommended: str
    courses: list[Course]


def result(attempt) -> DiagnosticResult:
    scores: dict[str, dict[str, float]] = {}
    comps = {c.id: c.code for c in db.session.scalars(select(Competency))}
    for item in attempt.items:
        v = item.version
        if v.competency_id and v.level and item.fraction is not None:
            scores.setdefault(comps[v.competency_id], {})[v.level] = item.fraction
    levels = {}
    for code, by_level in scores.items():
        reached = None
        for level in LEVEL_CODES:
            if by_level.get(level, 0) >= PASS:
                reached = level
            elif level in by_level:
                break
        levels[code] = reached
    n = len(levels) or 1
    rank = {None: 0, "F": 1, "P": 2, "E": 3}
    if sum(1 for v in levels.values() if v == "E") / n >= SHARE:
        recommended = "E"
    elif sum(1 for v in levels.values() if rank[v] >= 2) / n >= SHARE:
        recommended = "P"
    else:
        recommended = "F"
    target = recommended
    gaps = [code for code, lv in levels.items() if rank[lv] < rank[target]]
    courses = []
    if gaps:
        rows = db.session.scalars(select(Course).join(CourseCompetency).join(Competency).where(
            Competency.code.in_(gaps), CourseCompetency.level == target,
            Course.status.in_(("published", "outline")))).unique().all()
        courses = sorted(set(rows), key=lambda c: c.code)
    return DiagnosticResult(levels, scores, recommended, courses)

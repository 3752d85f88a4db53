"""Question versions are never edited once written (attempts keep the version they showed), so each process
keeps the content of the versions it has read, and their HTML, instead of reading and rendering them again on
every request of an exam. A version referenced by an attempt item cannot be deleted (the foreign key
restricts it); the question id is checked too, so that a row id reused after a deletion is never mistaken.
The cache belongs to the application object (one per process in production, one per test), so a process
never mixes the versions of two databases; a database restored under a running server needs a restart."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from lms.assessment.models import QuestionVersion
from lms.assessment.rendering import render_text
from lms.extensions import db

MAX_ENTRIES = 20_000


@dataclass
class CachedVersion:
    question_id: int
    spec: dict                                   # shared: callers must not change it
    competency_id: int | None
    level: str | None
    _html: dict | None = field(default=None, repr=False)

    @property
    def html(self) -> dict[str, object]:
        """The question's text, options and matching items as safe HTML (rendered once)."""
        if self._html is None:
            spec = self.spec
            self._html = {
                "text": render_text(spec.get("text"), spec.get("format", "moodle")),
                "answers": [render_text(a.get("text"), a.get("format", "moodle")) for a in spec.get("answers", [])],
                "pairs": [render_text(p["text"], p.get("format", "moodle")) for p in spec.get("pairs", []) if p["text"]],
            }
        return self._html


def _cache() -> dict[int, CachedVersion]:
    return current_app.extensions.setdefault("lms.question_versions", {})


def versions(wanted: list[tuple[int, int]]) -> dict[int, CachedVersion]:
    """The versions named by (version id, question id) pairs, read from the database only when not yet known."""
    cache = _cache()
    missing = {vid for vid, qid in wanted if (hit := cache.get(vid)) is None or hit.question_id != qid}
    if missing:
        if len(cache) + len(missing) > MAX_ENTRIES:
            cache.clear()
        for vid, qid, spec, competency_id, level in db.session.execute(select(
                QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.spec, QuestionVersion.competency_id,
                QuestionVersion.level).where(QuestionVersion.id.in_(missing))):
            cache[vid] = CachedVersion(qid, spec, competency_id, level)
    return {vid: cache[vid] for vid, _qid in wanted if vid in cache}


def clear() -> None:
    _cache().clear()


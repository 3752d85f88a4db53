"""``lms load``: validate every content file first (framework, courses, question banks, rubrics, quizzes,
project briefs, programmes), then apply; any error changes nothing.

Each feature registers a :class:`Loader` for the kinds of file it owns (``register_loader``, from its
``loaders.py`` when the app starts); :func:`load_all` walks the registry in dependency order twice: every
loader parses and checks its files (errors are collected, ``file:line: reason``), then, when there is no
error at all, every loader applies what it parsed, in one transaction."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lms.content import ContentError, ContentInvalid
from lms.extensions import db


@dataclass
class LoadReport:
    framework: str = ""
    framework_created: bool = False
    courses_changed: list[str] = field(default_factory=list)
    courses_unchanged: list[str] = field(default_factory=list)
    banks: list[str] = field(default_factory=list)
    rubrics: list[str] = field(default_factory=list)
    quizzes: list[str] = field(default_factory=list)
    briefs: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"framework {self.framework}: {'new version loaded' if self.framework_created else 'unchanged'}"]
        out.append(f"courses: {len(self.courses_changed)} loaded, {len(self.courses_unchanged)} unchanged")
        out += [f"  loaded {s}" for s in self.courses_changed]
        out += self.banks or ["question banks: unchanged"]
        out.append(f"essay rubrics: {len(self.rubrics)} loaded" + (f" ({', '.join(self.rubrics)})" if self.rubrics else ""))
        out.append(f"quizzes: {len(self.quizzes)} loaded" + (f" ({', '.join(self.quizzes)})" if self.quizzes else ""))
        out.append(f"project briefs: {len(self.briefs)} loaded" + (f" ({', '.join(self.briefs)})" if self.briefs else ""))
        out.append(f"programmes: {len(self.programmes)} loaded"
                   + (f" ({', '.join(self.programmes)})" if self.programmes else ""))
        return out


@dataclass
class LoadRun:
    """One ``lms load``: the content root, every error found so far, what each kind parsed, and the
    competency codes that content may name (the framework file's, or the database's framework's)."""
    root: Path
    errors: list[ContentError] = field(default_factory=list)
    parsed: dict[str, object] = field(default_factory=dict)
    competencies: set[str] | None = None

    @property
    def courses_dir(self) -> Path:
        return self.root / "courses"


@dataclass(frozen=True)
class Loader:
    kind: str                                          # what it loads ("courses"); named in other loaders' ``after``
    files: str                                         # which files, relative to the content root (documentation)
    parse: Callable[[LoadRun], object]                 # reads and checks; adds errors to run.errors; the parsed files
    apply: Callable[[LoadRun, object, LoadReport], None]  # writes what ``parse`` returned (flushes, never commits)
    after: tuple[str, ...] = ()                        # kinds parsed, and applied, before this one


_LOADERS: dict[str, Loader] = {}


def register_loader(loader: Loader) -> None:
    """Add (or replace, by kind) a loader; registering the same one again changes nothing."""
    _LOADERS[loader.kind] = loader


def loaders() -> list[Loader]:
    """The registered loaders, each after the kinds it names, otherwise in the order they were registered."""
    ordered: list[Loader] = []
    placed: set[str] = set()
    waiting = list(_LOADERS.values())
    while waiting:
        ready = next((ld for ld in waiting if all(k in placed or k not in _LOADERS for k in ld.after)), None)
        if ready is None:
            raise RuntimeError(f"content loaders wait for each other: {', '.join(ld.kind for ld in waiting)}")
        waiting.remove(ready)
        ordered.append(ready)
        placed.add(ready.kind)
    return ordered


def load_all(root: Path) -> LoadReport:
    """Load the content under ``root``. Commits on success, rolls back and raises otherwise."""
    run = LoadRun(root)
    steps = loaders()
    for loader in steps:
        run.parsed[loader.kind] = loader.parse(run)
    if run.errors:
        raise ContentInvalid(run.errors)
    report = LoadReport()
    try:
        for loader in steps:
            loader.apply(run, run.parsed[loader.kind], report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report

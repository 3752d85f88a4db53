"""Question banks: import (all or nothing, every error reported), versioning, export, search."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.services import audit
from lms.assessment import qtypes
from lms.assessment.aiken import parse_aiken
from lms.assessment.gift import GiftResult, export_gift, names_context, parse_gift, split_category
from lms.assessment.models import (
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
)
from lms.assessment.moodlexml import export_moodle_xml, parse_moodle_xml
from lms.assessment.starting import discard_prepared
from lms.content import ContentError, ContentInvalid, digest
from lms.extensions import db
from lms.frameworks.loader import current_framework
from lms.frameworks.models import LEVEL_CODES, Competency
from lms.i18n import localized
from lms.limits import IMPORT_MAX_ANSWERS, IMPORT_MAX_BYTES, IMPORT_MAX_TEXT, excerpt

FORMATS = ("gift", "aiken", "xml")
LEVEL_TAG = re.compile(r"^level-([FPE])$")
DIFFICULTY_TAG = re.compile(r"^difficulty-([1-5])$")
SPEC_SKIP = ("line", "category", "context")
STATUSES = ("ready", "draft")


@dataclass
class ImportReport:
    bank: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ContentError] = field(default_factory=list)

    def line(self) -> str:
        return f"bank {self.bank}: {self.created} new, {self.updated} new versions, {self.unchanged} unchanged"


def bank_identity(path: Path) -> tuple[str, str]:
    """'f1-policy.zh.gift' → ('f1-policy-zh', 'zh'); a file without a language suffix is English."""
    stem = path.name.rsplit(".", 1)[0]
    base, _, lang = stem.rpartition(".")
    if base and lang in ("en", "zh"):
        return f"{base}-{lang}", lang
    return stem, "en"


def family(slug: str) -> str:
    """The language-independent name of a bank: 'f1-policy-zh' → 'f1-policy'."""
    for suffix in ("-en", "-zh"):
        if slug.endswith(suffix):
            return slug[: -len(suffix)]
    return slug


def guess_format(filename: str) -> str:
    name = filename.lower()
    if name.endswith(".xml"):
        return "xml"
    return "aiken" if name.endswith((".aiken", ".aiken.txt")) else "gift"


def read_import(stream, display: str) -> bytes:
    """The bytes of a question file sent from the browser or named on the command line: reads no more than
    IMPORT_MAX_BYTES and one, and raises ContentInvalid when there was more."""
    raw = stream.read(IMPORT_MAX_BYTES + 1)
    if len(raw) > IMPORT_MAX_BYTES:
        raise ContentInvalid([ContentError(display, None, _too_big())])
    return raw


def _too_big() -> str:
    return _("the file is larger than %(mb)s MB; split it into several files", mb=f"{IMPORT_MAX_BYTES / 1e6:g}")


_TEXTS = ("name", "text", "general_feedback", "graderinfo", "feedback_true", "feedback_false")
_PART_TEXTS = ("text", "feedback", "answer", "value")


def _too_long(q: dict) -> bool:
    """Whether a text of a parsed question (its name, text, feedbacks, an answer or a pair) is longer than
    IMPORT_MAX_TEXT characters, or it has more than IMPORT_MAX_ANSWERS answers or pairs (what each format's
    parser already stops at)."""
    parts = (q.get("answers") or []) + (q.get("pairs") or [])
    return (len(parts) > IMPORT_MAX_ANSWERS
            or any(len(q.get(k) or "") > IMPORT_MAX_TEXT for k in _TEXTS)
            or any(len(p.get(k) or "") > IMPORT_MAX_TEXT for p in parts for k in _PART_TEXTS))


def parse_questions(text: str, fmt: str, display: str) -> list[dict]:
    """Parse a file; raises ContentInvalid listing every error with file and line. Bounded by lms.limits:
    the size of the text, then (in each format's parser) the questions, answers and errors, then the texts."""
    if len(text) > IMPORT_MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > IMPORT_MAX_BYTES:
        raise ContentInvalid([ContentError(display, None, _too_big())])
    parser = {"aiken": parse_aiken, "xml": parse_moodle_xml}.get(fmt, parse_gift)
    result: GiftResult = parser(text)
    errors = [ContentError(display, e.line, e.reason) for e in result.errors]
    seen: dict[str, int] = {}
    for q in result.questions:
        if _too_long(q):
            errors.append(ContentError(display, q["line"], _("a text of this question is longer than %(n)d "
                                                             "characters", n=IMPORT_MAX_TEXT)))
        if q.get("idnumber"):
            if q["idnumber"] in seen:
                errors.append(ContentError(display, q["line"], f"id {excerpt(q['idnumber'])} is used twice "
                                                                 f"(first on line {seen[q['idnumber']]})"))
            seen.setdefault(q["idnumber"], q["line"])
        for tag in q.get("tags", []):
            if tag.startswith("level-") and not LEVEL_TAG.match(tag):
                errors.append(ContentError(display, q["line"], f"tag {excerpt(tag)}: the level must be one of "
                                                                 f"{', '.join('level-' + c for c in LEVEL_CODES)}"))
    if not result.questions and not errors:
        errors.append(ContentError(display, None, "the file holds no question"))
    if errors:
        raise ContentInvalid(sorted(errors, key=lambda e: e.line or 0))
    return result.questions


def category_path(segments: list[str]) -> str:
    return "/".join(s.replace("/", "//") for s in segments)


def _spec(q: dict) -> dict:
    return {k: v for k, v in q.items() if k not in SPEC_SKIP}


def keep_xml_only(old: dict, new: dict) -> dict:
    """A question edited in the browser (in GIFT) keeps the settings GIFT cannot write (its type's ``xml_only``:
    a short answer's case sensitivity, an essay's information for graders), when its type stays."""
    if old.get("qtype") != new.get("qtype"):
        return new
    return {**{k: old[k] for k in qtypes.of(new).xml_only if k in old}, **new}


def _category(bank: QuestionBank, context: str, segments: list[str], codes: dict[str, Competency]) -> QuestionCategory:
    path = category_path(segments)
    cat = db.session.scalar(select(QuestionCategory).where(QuestionCategory.bank_id == bank.id,
                                                           QuestionCategory.context == context,
                                                           QuestionCategory.path == path))
    if cat is None:
        cat = QuestionCategory(bank_id=bank.id, context=context, path=path, segments=list(segments))
        db.session.add(cat)
    # the last segment that is a competency code of the current framework aligns the category
    competency = next((codes[s] for s in reversed(segments) if s in codes), None)
    cat.competency_id = competency.id if competency else None
    db.session.flush()
    return cat


_CATEGORY_LINE = re.compile(r"^\s*\$CATEGORY:\s*(.*?)\s*$", re.MULTILINE)


def category_named(bank: QuestionBank, source: str, context: str) -> QuestionCategory | None:
    """The category the last ``$CATEGORY:`` line of a GIFT text names in this bank (made if new), or None when it
    has no such line. ``$course$/top`` or ``top`` is the bank's top category; a path typed without a context
    stays in ``context`` (the question's own), as a rename does."""
    lines = _CATEGORY_LINE.findall(source)
    if not lines:
        return None
    typed = lines[-1]
    named_context, segments = split_category(typed)
    fw = current_framework()
    codes = {c.code: c for c in db.session.scalars(select(Competency).where(Competency.framework_id == fw.id))} if fw else {}
    return _category(bank, named_context if names_context(typed) else context, segments, codes)


def _level_and_difficulty(tags: list[str]) -> tuple[str | None, int | None]:
    level = next((LEVEL_TAG.match(t).group(1) for t in tags if LEVEL_TAG.match(t)), None)
    diff = next((int(DIFFICULTY_TAG.match(t).group(1)) for t in tags if DIFFICULTY_TAG.match(t)), None)
    return level, diff


def get_or_create_bank(slug: str, language: str, title: str | None = None, *, user=None,
                       course=None) -> QuestionBank:
    """The bank with this slug; a new one is made with the person who made it and the course it belongs to."""
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == slug))
    if bank is None:
        bank = QuestionBank(slug=slug, title=title or slug, language=language, created_by_id=user.id if user else None,
                            course_id=course.id if course is not None else None)
        db.session.add(bank)
        db.session.flush()
    return bank


def import_questions(bank: QuestionBank, questions: list[dict], *, user=None, source: str = "file") -> ImportReport:
    """Add questions to a bank. A question with a known idnumber gets a new version only if it changed.
    New questions are inserted in batches (10,000 questions import in a few seconds)."""
    report = ImportReport(bank.slug)
    fw = current_framework()
    codes = {c.code: c for c in db.session.scalars(select(Competency).where(Competency.framework_id == fw.id))} if fw else {}
    cats: dict[tuple, QuestionCategory] = {}
    for q in questions:
        key = (q.get("context", "$course$"), tuple(q.get("category") or []))
        if key not in cats:
            cats[key] = _category(bank, key[0], list(key[1]), codes)
    existing = {q.idnumber: q for q in db.session.scalars(
        select(Question).where(Question.bank_id == bank.id, Question.idnumber.is_not(None))
        .options(selectinload(Question.versions), selectinload(Question.tags)))}
    fresh: list[tuple[dict, dict, QuestionCategory]] = []
    for q in questions:
        cat = cats[(q.get("context", "$course$"), tuple(q.get("category") or []))]
        spec = _spec(q)
        question = existing.get(q.get("idnumber")) if q.get("idnumber") else None
        if question is None:
            fresh.append((q, spec, cat))
        elif question.current.spec == spec and question.category_id == cat.id:
            report.unchanged += 1
        else:
            report.updated += 1
            add_version(question, spec, cat, bank.language, user=user, source=source, flush=False)
    db.session.flush()
    if fresh:
        _insert_new(bank, fresh, user, source)
        report.created = len(fresh)
    if user is not None or report.created or report.updated:       # a load of unchanged files writes nothing
        audit(user, "bank.import", bank.slug, f"{source}: {report.created} new, {report.updated} new versions, "
                                              f"{report.unchanged} unchanged")
    return report


def _insert_new(bank: QuestionBank, fresh: list[tuple[dict, dict, QuestionCategory]], user, source: str) -> list[int]:
    from lms.db import new_public_id, utcnow
    now = utcnow()
    rows = [{"public_id": new_public_id(), "bank_id": bank.id, "category_id": cat.id, "idnumber": q.get("idnumber"),
             "current_version": 1, "created_at": now, "updated_at": now} for q, _spec, cat in fresh]
    ids = db.session.execute(insert(Question).returning(Question.id, sort_by_parameter_order=True), rows).scalars().all()
    versions, tags = [], []
    for qid, (_q, spec, cat) in zip(ids, fresh, strict=True):
        level, difficulty = _level_and_difficulty(spec.get("tags", []))
        versions.append({"question_id": qid, "version": 1, "qtype": spec["qtype"], "name": spec["name"][:300],
                         "text": spec["text"], "spec": spec, "competency_id": cat.competency_id, "level": level,
                         "difficulty": difficulty, "language": bank.language, "created_at": now,
                         "created_by_id": user.id if user else None, "source": source})
        tags += [{"question_id": qid, "tag": t} for t in dict.fromkeys(spec.get("tags", []))]
    db.session.execute(insert(QuestionVersion), versions)
    if tags:
        db.session.execute(insert(QuestionTag), tags)
    return list(ids)


def add_question(bank: QuestionBank, question: dict, competency: Competency | None, *, user,
                 status: str = "ready") -> Question:
    """One question written in the browser (a parsed GIFT question), added to a bank as version 1. It goes to the
    category its text names with ``$CATEGORY:``; otherwise, with a competency chosen, to the bank's category
    aligned to that competency (made as TTM/<domain>/<code> if the bank has none); otherwise to the bank's top
    category. Raises ContentInvalid when the bank already has a
    question with the same [id:] (that one is edited instead)."""
    idnumber = question.get("idnumber")
    taken = ContentInvalid([ContentError(bank.slug, question.get("line"),
                                         _("this bank already has a question with [id:%(id)s]; edit that one, or "
                                           "give this one another id", id=idnumber))])
    if idnumber and db.session.scalar(select(Question.id).where(Question.bank_id == bank.id,
                                                                 Question.idnumber == idnumber)):
        raise taken
    fw = current_framework()
    codes = {c.code: c for c in db.session.scalars(select(Competency).where(Competency.framework_id == fw.id))} if fw else {}
    if question.get("category"):
        cat = _category(bank, question.get("context", "$course$"), list(question["category"]), codes)
    elif competency is not None:
        cat = db.session.scalar(select(QuestionCategory).where(QuestionCategory.bank_id == bank.id,
                                                               QuestionCategory.competency_id == competency.id)
                                .order_by(QuestionCategory.path).limit(1))
        if cat is None:           # named as the shipped banks and Moodle files aligned to the framework name them
            cat = _category(bank, "$course$", ["TTM", competency.domain.code, competency.code], codes)
    else:
        cat = _category(bank, "$course$", [], codes)
    try:
        with db.session.begin_nested():          # the same id added by another request a moment ago
            (new_id,) = _insert_new(bank, [(question, _spec(question), cat)], user, "browser")
    except IntegrityError:
        if not idnumber:
            raise
        raise taken from None
    created = db.session.get(Question, new_id)
    created.status = status if status in STATUSES else QuestionStatus.READY
    audit(user, "question.create", created.public_id, f"{bank.slug} {idnumber or '-'} {created.status}")
    db.session.flush()
    return created


def add_version(question: Question, spec: dict, category: QuestionCategory, language: str, *, user=None,
                source: str = "browser", flush: bool = True) -> QuestionVersion:
    level, difficulty = _level_and_difficulty(spec.get("tags", []))
    if question.id is not None:       # attempts drawn ahead of time must show the new version: draw them again
        discard_prepared(question_ids=[question.id])
    number = (max((v.version for v in question.versions), default=0)) + 1
    version = QuestionVersion(version=number, qtype=spec["qtype"], name=spec["name"][:300], text=spec["text"],
                              spec=spec, competency_id=category.competency_id, level=level, difficulty=difficulty,
                              language=language, created_by_id=user.id if user else None, source=source)
    question.versions.append(version)
    question.current_version = number
    question.category_id = category.id
    wanted = list(dict.fromkeys(spec.get("tags", [])))
    if question.id is None:
        question.tags = [QuestionTag(tag=t) for t in wanted]
    else:
        keep = [t for t in question.tags if t.tag in wanted]
        for t in question.tags:
            if t.tag not in wanted:
                db.session.delete(t)
        question.tags = keep + [QuestionTag(tag=t) for t in wanted if t not in {k.tag for k in keep}]
    if flush:
        db.session.flush()
    return version


def edit_question(question: Question, spec: dict, category: QuestionCategory, *, user) -> QuestionVersion:
    """A question edited in the browser: a new version (attempts keep theirs), in the audit log."""
    version = add_version(question, spec, category, question.bank.language, user=user, source="browser")
    audit(user, "question.edit", question.public_id,
          f"{question.bank.slug} {question.idnumber or '-'} v{version.version} {category.path or 'top'}")
    return version


def question_dicts(bank: QuestionBank) -> list[dict]:
    """The current version of every question, ready for export."""
    rows = db.session.scalars(select(Question).where(Question.bank_id == bank.id)
                              .options(selectinload(Question.versions), selectinload(Question.category))
                              .order_by(Question.id)).all()
    out = []
    for q in sorted(rows, key=lambda r: (r.category.context, r.category.path, r.id)):
        d = dict(q.current.spec)
        d["category"], d["context"] = list(q.category.segments), q.category.context
        out.append(d)
    return out


def export_bank(bank: QuestionBank, fmt: str = "gift") -> str:
    if fmt == "xml":
        return export_moodle_xml(question_dicts(bank))
    if fmt != "gift":
        raise ValueError(f"export format {fmt!r} is not supported (use gift or xml)")
    return export_gift(question_dicts(bank))


def load_bank_files(folder: Path, display_root: Path) -> tuple[list[tuple[Path, str, str, list[dict], str]], list[ContentError]]:
    """Parse every ``*.gift`` under ``folder``; (path, slug, language, questions, hash) per file."""
    parsed, errors = [], []
    for path in sorted(folder.glob("*.gift")):
        display = str(path.relative_to(display_root)) if path.is_relative_to(display_root) else str(path)
        try:
            with path.open("rb") as stream:         # no more than IMPORT_MAX_BYTES and one is read
                raw = read_import(stream, display)
        except ContentInvalid as exc:
            errors.extend(exc.errors)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(ContentError(display, None, f"not UTF-8 text ({exc.reason})"))
            continue
        try:
            questions = parse_questions(text, "gift", display)
        except ContentInvalid as exc:
            errors.extend(exc.errors)
            continue
        slug, lang = bank_identity(path)
        parsed.append((path, slug, lang, questions, digest(raw)))
    return parsed, errors


def apply_bank_file(slug: str, lang: str, questions: list[dict], source_hash: str) -> ImportReport | None:
    bank = get_or_create_bank(slug, lang)
    if bank.source_hash == source_hash:
        return None
    report = import_questions(bank, questions, source="file")
    bank.source_hash = source_hash
    return report


# --- browsing ---

def search_questions(*, bank_ids, bank_id=None, competency=None, level=None, qtype=None, tag=None, language=None,
                     text=None, status=None, category_ids=None, page=1, per_page=30):
    """Questions of the banks ``bank_ids`` (those the reader manages) that match the filters."""
    query = (select(Question).join(QuestionVersion, (QuestionVersion.question_id == Question.id)
                                   & (QuestionVersion.version == Question.current_version))
             .options(selectinload(Question.versions), selectinload(Question.bank), selectinload(Question.tags),
                      selectinload(Question.category))
             .order_by(Question.bank_id, Question.idnumber, Question.id))
    query = query.where(Question.bank_id.in_(list(bank_ids)))
    if bank_id:
        query = query.where(Question.bank_id == bank_id)
    if competency:
        query = query.join(Competency, Competency.id == QuestionVersion.competency_id).where(
            or_(Competency.code == competency, Competency.code.like(f"{competency}.%")))
    if level in LEVEL_CODES:
        query = query.where(QuestionVersion.level == level)
    if qtype:
        query = query.where(QuestionVersion.qtype == qtype)
    if language in ("en", "zh"):
        query = query.where(QuestionVersion.language == language)
    if tag:
        query = query.where(Question.tags.any(QuestionTag.tag == tag))
    if status in STATUSES:
        query = query.where(Question.status == status)
    if category_ids is not None:
        query = query.where(Question.category_id.in_(category_ids))
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(QuestionVersion.name).like(like), func.lower(QuestionVersion.text).like(like),
                                func.lower(Question.idnumber).like(like)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def set_status(question: Question, status: str, *, user=None) -> bool:
    """Mark a question ready or draft (Moodle's question status). A draft is never drawn at random into an
    exam, and attempts drawn ahead of time that show it are drawn again. Returns whether anything changed."""
    if status not in STATUSES:
        raise ValueError(status)
    if question.status == status:
        return False
    question.status = status
    if status == QuestionStatus.DRAFT:
        discard_prepared(question_ids=[question.id])
    audit(user, "question.status", question.public_id, f"{question.bank.slug} {question.idnumber or '-'} {status}")
    db.session.flush()
    return True


def why_not_delete(question: Question) -> str | None:
    """Why this question must stay, or None when it may be deleted. A question an attempt showed stays for that
    attempt's record (Moodle hides such a question; here it is marked as draft), and one an exam names stays
    until the exam no longer names it."""
    from lms.assessment.models import Attempt, AttemptItem, AttemptState, Quiz, QuizSection
    answered = db.session.scalar(select(func.count(func.distinct(AttemptItem.attempt_id))).join(Attempt).where(
        AttemptItem.question_id == question.id, Attempt.state != AttemptState.PREPARED)) or 0
    if answered:
        return ngettext("It was shown in %(num)d attempt, which keeps it: mark it as draft instead, so that no "
                        "exam draws it.",
                        "It was shown in %(num)d attempts, which keep it: mark it as draft instead, so that no "
                        "exam draws it.", answered)
    if question.idnumber:
        fam = family(question.bank.slug)
        for quiz in db.session.scalars(select(Quiz).join(QuizSection).where(QuizSection.bank == fam).distinct()):
            if any(question.idnumber in (s.idnumbers or []) for s in quiz.sections if s.bank == fam):
                return _("The exam “%(exam)s” names it: take it out of the exam first.",
                         exam=localized(quiz, "title").text or quiz.key)
    return None


def delete_question(question: Question, *, user=None) -> None:
    """Delete a question no attempt showed and no exam names, with its versions and tags. Attempts drawn ahead
    of time that would show it are drawn again."""
    reason = why_not_delete(question)
    if reason:
        raise ValueError(reason)
    discard_prepared(question_ids=[question.id])
    audit(user, "question.delete", question.public_id,
          f"{question.bank.slug} {question.idnumber or '-'} {question.current.name[:200]}")
    db.session.delete(question)
    db.session.flush()


def question_by_public_id(public_id: str) -> Question | None:
    return db.session.scalar(select(Question).where(Question.public_id == public_id)
                             .options(selectinload(Question.versions), selectinload(Question.tags)))


def all_banks() -> list[QuestionBank]:
    return list(db.session.scalars(select(QuestionBank).order_by(QuestionBank.slug)))


def bank_counts() -> dict[int, int]:
    return dict(db.session.execute(select(Question.bank_id, func.count()).group_by(Question.bank_id)).all())


def bank_by_slug(slug: str) -> QuestionBank | None:
    return db.session.scalar(select(QuestionBank).where(QuestionBank.slug == slug))

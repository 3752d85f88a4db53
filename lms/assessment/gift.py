"""Moodle GIFT import and export, with Moodle's semantics (qformat_gift), never raising on bad input.

A parsed question is a plain dict (the same "spec" the question bank stores in a version):

    {"qtype": ..., "name": ..., "text": ..., "format": "moodle|html|plain|markdown",
     "general_feedback": ..., "general_feedback_format": ..., "idnumber": str|None, "tags": [...],
     "category": [segments], "context": "$course$", "line": n, ...type-specific keys...}

Type-specific keys:
    multichoice: single (bool), answers [{text, format, fraction, feedback, feedback_format}]
    shortanswer: answers [{text, fraction, feedback, feedback_format}]
    numerical:   answers [{value, tolerance, fraction, feedback, feedback_format}]  (value "*" = any other answer)
    match:       pairs [{text, format, answer}]  (empty text = a distractor answer)
    truefalse:   correct (bool), feedback_true, feedback_true_format, feedback_false, feedback_false_format
    essay, description: nothing more
Fractions are strings of Moodle's grade options ("1", "0.5", "-0.3333333", ...).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain

from flask_babel import gettext as _

from lms.assessment import qtypes
from lms.assessment.giftsyntax import esc, post, pre, snap_fraction, too_many_answers, with_format
from lms.limits import IMPORT_MAX_QUESTION_LINES, IMPORT_MAX_QUESTIONS, MAX_ERRORS

__all__ = ["GiftError", "GiftResult", "export_gift", "names_context", "parse_gift", "snap_fraction", "split_category",
           "too_many_answers", "too_many_lines"]

_ID_RE = re.compile(r"\[id:((?:\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\]|[^\]<>\x00-\x1f\x7f])+)\]")
_CONTEXT_RE = re.compile(r"^\$(module|course|system|cat\d+)\$")


@dataclass
class GiftError:
    line: int
    reason: str


@dataclass
class GiftResult:
    questions: list[dict] = field(default_factory=list)
    errors: list[GiftError] = field(default_factory=list)

    def full(self, line: int) -> bool:
        """Whether reading must stop at ``line``: more than IMPORT_MAX_QUESTIONS questions, or MAX_ERRORS errors
        (then says so, once, as the last error). The parsers of every format ask it after each question."""
        if len(self.questions) > IMPORT_MAX_QUESTIONS:
            self.questions.pop()
            self.errors.append(GiftError(line, _("more than %(n)d questions in one file; split it into several "
                                                 "files", n=IMPORT_MAX_QUESTIONS)))
            return True
        if len(self.errors) >= MAX_ERRORS:
            self.errors.append(GiftError(line, _("%(n)d errors: reading stopped here; correct these first",
                                                 n=len(self.errors))))
            return True
        return False


def too_many_lines() -> str:
    return _("this question is longer than %(n)d lines", n=IMPORT_MAX_QUESTION_LINES)


_LINE = re.compile(r"([^\r\n]*)(?:\r\n|\r|\n)")


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, one at a time (a file of a million lines is never held as a million strings), ended
    by \\n, \\r\\n or \\r."""
    end = 1 if text.startswith("\ufeff") else 0
    for m in _LINE.finditer(text, end):
        yield m.group(1)
        end = m.end()
    yield text[end:]


def parse_gift(text: str) -> GiftResult:
    """Parse a whole GIFT file. Every problem is reported with its line; nothing raises. Reading stops at the
    limits of lms.limits (questions, errors); a question longer than IMPORT_MAX_QUESTION_LINES is skipped."""
    result = GiftResult()
    category: list[str] = []
    context = "$course$"
    block: list[tuple[int, str]] = []
    skipping = False
    for n, line in enumerate(chain(_lines(text), [""]), start=1):
        if line.strip() == "":
            if block:
                item = _read_safely(block, category, context, result)
                if item is not None and item.get("qtype") == "category":
                    category, context = item["category"], item["context"]
                elif item is not None:
                    result.questions.append(item)
                if result.full(block[0][0]):
                    break
            block, skipping = [], False
        elif skipping:
            continue
        elif len(block) >= IMPORT_MAX_QUESTION_LINES:
            result.errors.append(GiftError(block[0][0], too_many_lines()))
            if result.full(block[0][0]):
                break
            block, skipping = [], True
        else:
            block.append((n, line))
    return result


def _read_safely(block: list[tuple[int, str]], category, context, result: GiftResult) -> dict | None:
    try:
        return _read_block(block, category, context, result)
    except Exception as exc:  # never crash on any input
        result.errors.append(GiftError(block[0][0], f"could not read this question ({type(exc).__name__})"))
        return None


def _metadata(comments: list[str]) -> tuple[str | None, list[str]]:
    joined = "\n".join(comments)
    m = _ID_RE.search(joined)
    idnumber = m.group(1).replace("\\]", "]").strip() if m else None
    tags = [t.replace("\\]", "]").strip() for t in _TAG_RE.findall(joined)]
    return idnumber or None, [t for t in dict.fromkeys(tags) if t]


def names_context(path: str) -> bool:
    """Whether a category path starts with a Moodle context ('$course$/top/...')."""
    return bool(_CONTEXT_RE.match(path))


def split_category(path: str) -> tuple[str, list[str]]:
    """'$course$/top/Unit 1//2/Sub' → ('$course$', ['Unit 1/2', 'Sub']) ('top' is implied)."""
    context = "$course$"
    m = _CONTEXT_RE.match(path)
    if m:
        context = m.group(0)
        path = path[m.end():]
    segments = [s.replace("\0", "/").strip() for s in re.split(r"(?<!/)/(?!/)", path.replace("//", "\0"))]
    segments = [s for s in segments if s]
    if segments and segments[0] == "top":
        segments = segments[1:]
    return context, segments


def _read_block(block: list[tuple[int, str]], category, context, result: GiftResult) -> dict | None:
    """One question (or a $CATEGORY: line) from its lines: the name, text and general feedback here, the answer
    block by the question's type."""
    text = "\n".join(line.strip() for _, line in block if not line.strip().startswith("//")).strip()
    if not text:
        return None
    qline = next(n for n, line in block if not line.strip().startswith("//"))

    def fail(reason: str) -> None:
        result.errors.append(GiftError(qline, reason))

    text = pre(text)
    if text.startswith("$CATEGORY:"):
        return _category_item(text, fail)
    name, text = _name(text)
    split = _split_block(text, fail)
    if split is None:
        return None
    qtext, answertext, general = split
    qtext_s, qfmt = with_format(qtext.strip(), "moodle")
    gf_s, gf_fmt = with_format(general.strip(), qfmt)
    idnumber, tags = _metadata([line.strip()[2:] for _, line in block if line.strip().startswith("//")])
    qtype = qtypes.gift_type(answertext)
    q = {"name": name or _default_name(qtext_s), "text": qtext_s, "format": qfmt, "general_feedback": gf_s,
         "general_feedback_format": gf_fmt, "idnumber": idnumber, "tags": tags, "category": list(category),
         "context": context, "line": qline, "qtype": qtype.name}
    return qtype.read_gift(q, answertext, fail)


def _category_item(text: str, fail) -> dict | None:
    rest = post(text[10:].strip())
    if "\n" in rest:
        fail("a $CATEGORY: line must be followed by a blank line")
        return None
    ctx, segments = split_category(rest)
    return {"qtype": "category", "category": segments, "context": ctx}


def _name(text: str) -> tuple[str | None, str]:
    """The ``::name::`` a question starts with (None without one), and the rest."""
    if not text.startswith("::"):
        return None, text
    text = text[2:]
    end = text.find("::")
    if end < 0:
        return None, text
    return post(text[:end]).strip(), text[end + 2:].strip()


def _default_name(qtext: str) -> str:
    """A question without a name is called by its text's beginning, as in Moodle."""
    plain = re.sub(r"<[^>]*>", "", qtext)
    return " ".join(plain.split())[:80].strip() or "Question"


def _split_block(text: str, fail) -> tuple[str, str | None, str] | None:
    """(the question's text, its answer block (None when it has none), its general feedback after '####'); None
    after reporting braces that do not make one answer block. The text of a question whose answer block is not
    at the end gets a gap ("_____") where the block was (Moodle's missing-word form)."""
    open_at, close_at = text.find("{"), text.find("}")
    if open_at < 0 and close_at < 0:
        return text, None, ""
    if open_at < 0 or close_at < 0 or close_at < open_at:
        fail("the answer block needs both '{' and '}' in that order (escape a literal brace as \\{ or \\})")
        return None
    answertext, after = text[open_at + 1:close_at].strip(), text[close_at + 1:]
    if "{" in after or "}" in after or "{" in answertext:
        fail("only one answer block is allowed; escape other braces as \\{ and \\}")
        return None
    qtext = text[:open_at] + ("" if close_at == len(text) - 1 else "_____") + after
    gf = answertext.rfind("####")
    if gf < 0:
        return qtext, answertext, ""
    return qtext, answertext[:gf].strip(), answertext[gf + 4:]


# --- export ---

def _category_line(context: str, segments: list[str]) -> str:
    return "$CATEGORY: " + "/".join([context, "top"] + [s.replace("/", "//") for s in segments])


def export_gift(questions: list[dict]) -> str:
    """Questions as GIFT that Moodle imports, grouped under $CATEGORY: lines; lossless with ``parse_gift``."""
    out: list[str] = []
    current = None
    for q in questions:
        cat = (q.get("context") or "$course$", tuple(q.get("category") or []))
        if cat != current:
            out.append(f"// category: {'/'.join(cat[1]) or 'top'}\n{_category_line(cat[0], list(cat[1]))}\n")
            current = cat
        out.append(_write_question(q))
    return "\n".join(out)


def _write_question(q: dict) -> str:
    """The question's comment lines, name and text here; its answer block by its type."""
    qtype = qtypes.REGISTRY.get(q["qtype"])
    if qtype is None:
        raise ValueError(f"cannot export question type {q['qtype']!r}")
    meta = []
    if q.get("idnumber"):
        meta.append(f"[id:{q['idnumber'].replace(']', chr(92) + ']')}]")
    meta += [f"[tag:{t.replace(']', chr(92) + ']')}]" for t in q.get("tags") or []]
    label = " ".join(f"{q.get('idnumber') or ''}  name: {q['name']}".split())
    head = f"// question: {label}\n"
    if meta:
        head += "// " + " ".join(meta) + "\n"
    fmt = q.get("format", "moodle")
    head += "::" + esc(q["name"]) + "::" + (f"[{fmt}]" if fmt != "moodle" else "") + esc(q["text"])
    return head + qtype.write_gift(q, fmt)

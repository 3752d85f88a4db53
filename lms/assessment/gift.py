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
from decimal import Decimal, InvalidOperation
from itertools import chain

from flask_babel import gettext as _

from lms.limits import (
    IMPORT_MAX_ANSWERS,
    IMPORT_MAX_QUESTION_LINES,
    IMPORT_MAX_QUESTIONS,
    MAX_ERRORS,
    excerpt,
)

FORMATS = ("moodle", "html", "plain", "markdown")

# Moodle's grade options (question_bank::fraction_options_full), as 7-decimal strings
_OPTIONS = ["1", "0.9", "0.8333333", "0.8", "0.75", "0.7", "0.6666667", "0.6", "0.5", "0.4", "0.3333333", "0.3",
            "0.25", "0.2", "0.1666667", "0.1428571", "0.125", "0.1111111", "0.1", "0.05", "0"]
FRACTIONS = _OPTIONS + ["-" + f for f in _OPTIONS if f != "0"]

_WEIGHT_RE = re.compile(r"^%(-*)([0-9]{1,3})\.?([0-9]*)%")
_ID_RE = re.compile(r"\[id:((?:\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\]|[^\]<>\x00-\x1f\x7f])+)\]")
_CONTEXT_RE = re.compile(r"^\$(module|course|system|cat\d+)\$")

# private-use placeholders for escaped characters (cannot occur in real text)
_ESC = {"\\:": "\ue03a", "\\#": "\ue023", "\\=": "\ue03d", "\\{": "\ue07b", "\\}": "\ue07d", "\\~": "\ue07e",
        "\\n": "\ue00a"}
_UNESC = {"\ue03a": ":", "\ue023": "#", "\ue03d": "=", "\ue07b": "{", "\ue07d": "}", "\ue07e": "~", "\ue00a": "\n"}
_BACKSLASH = "\ue05c"


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


def too_many_answers() -> str:
    return _("more than %(n)d answers in one question", n=IMPORT_MAX_ANSWERS)


def too_many_lines() -> str:
    return _("this question is longer than %(n)d lines", n=IMPORT_MAX_QUESTION_LINES)


def snap_fraction(value: Decimal) -> str | None:
    """The Moodle grade option equal to ``value`` (to within 0.00001), or None."""
    for opt in FRACTIONS:
        if abs(Decimal(opt) - value) < Decimal("0.00001"):
            return opt
    return None


def _pre(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH)
    for k, v in _ESC.items():
        text = text.replace(k, v)
    return text.replace(_BACKSLASH, "\\")


def _post(text: str) -> str:
    for k, v in _UNESC.items():
        text = text.replace(k, v)
    return text


def _with_format(text: str, default: str) -> tuple[str, str]:
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in FORMATS:
            fmt = text[1:end]
            text = text[end + 1:]
    return _post(text).strip(), fmt


def _comment(answer: str, default: str) -> tuple[tuple[str, str], tuple[str, str]]:
    bits = answer.split("#", 1)
    ans = _with_format(bits[0].strip(), default)
    fb = _with_format(bits[1].strip(), default) if len(bits) > 1 else ("", default)
    return ans, fb


def _weight(answer: str) -> tuple[Decimal | None, str]:
    m = _WEIGHT_RE.match(answer)
    if not m:
        return None, answer
    end = answer.index("%", 1)
    raw = answer[1:end]
    try:
        value = Decimal(raw) / 100
    except InvalidOperation:
        return None, answer
    return value, answer[end + 1:]


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


def _split_answers(answertext: str, sep: str, fail) -> list[str] | None:
    """The answers of an answer block, split at ``sep`` (a leading empty one dropped); None after reporting more
    than IMPORT_MAX_ANSWERS. Splits no further than one past the limit."""
    parts = answertext.split(sep, IMPORT_MAX_ANSWERS + 1)
    if parts and parts[0].strip() == "":
        parts = parts[1:]
    if len(parts) > IMPORT_MAX_ANSWERS:
        fail(too_many_answers())
        return None
    return parts


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
    comments = [line.strip()[2:] for _, line in block if line.strip().startswith("//")]
    body = [line.strip() for _, line in block if not line.strip().startswith("//")]
    text = "\n".join(body).strip()
    if not text:
        return None
    qline = next(n for n, line in block if not line.strip().startswith("//"))

    def fail(reason: str) -> None:
        result.errors.append(GiftError(qline, reason))

    text = _pre(text)
    if text.startswith("$CATEGORY:"):
        rest = _post(text[10:].strip())
        if "\n" in rest:
            fail("a $CATEGORY: line must be followed by a blank line")
            return None
        ctx, segments = split_category(rest)
        return {"qtype": "category", "category": segments, "context": ctx}

    idnumber, tags = _metadata(comments)
    name = None
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:
            name = _post(text[:end]).strip()
            text = text[end + 2:].strip()
    open_at, close_at = text.find("{"), text.find("}")
    description = open_at < 0 and close_at < 0
    if not description and (open_at < 0 or close_at < 0 or close_at < open_at):
        fail("the answer block needs both '{' and '}' in that order (escape a literal brace as \\{ or \\})")
        return None
    if description:
        answertext = ""
        qtext = text
    else:
        answertext = text[open_at + 1:close_at].strip()
        if text.endswith("}") and close_at == len(text) - 1:
            qtext = text[:open_at] + text[close_at + 1:]
        else:
            qtext = text[:open_at] + "_____" + text[close_at + 1:]
        if "{" in text[close_at + 1:] or "}" in text[close_at + 1:] or "{" in answertext:
            fail("only one answer block is allowed; escape other braces as \\{ and \\}")
            return None
    general = ""
    gf = answertext.rfind("####")
    if gf >= 0:
        general = answertext[gf + 4:]
        answertext = answertext[:gf].strip()
    qtext_s, qfmt = _with_format(qtext.strip(), "moodle")
    gf_s, gf_fmt = _with_format(general.strip(), qfmt)
    if name is None or name == "":
        plain = re.sub(r"<[^>]*>", "", qtext_s)
        name = " ".join(plain.split())[:80].strip() or "Question"
    q = {"name": name, "text": qtext_s, "format": qfmt, "general_feedback": gf_s,
         "general_feedback_format": gf_fmt, "idnumber": idnumber, "tags": tags, "category": list(category),
         "context": context, "line": qline}

    if description:
        q["qtype"] = "description"
        return q
    if answertext == "":
        q["qtype"] = "essay"
        return q
    if answertext.startswith("#"):
        return _numerical(q, answertext[1:], fail)
    if "~" in answertext:
        return _multichoice(q, answertext, fail)
    if "=" in answertext and "->" in answertext:
        return _match(q, answertext, fail)
    check = answertext.split("#", 1)[0].strip() if answertext.find("#") > 0 else answertext
    if check in ("T", "TRUE", "F", "FALSE"):
        bits = answertext.split("#", 2)
        value = bits[0].strip()
        wrong = _with_format(bits[1].strip(), qfmt) if len(bits) > 1 else ("", qfmt)
        right = _with_format(bits[2].strip(), qfmt) if len(bits) > 2 else ("", qfmt)
        correct = value in ("T", "TRUE")
        q.update(qtype="truefalse", correct=correct)
        # the first feedback is shown for a wrong response, the second for a right one
        true_fb, false_fb = (right, wrong) if correct else (wrong, right)
        q.update(feedback_true=true_fb[0], feedback_true_format=true_fb[1],
                 feedback_false=false_fb[0], feedback_false_format=false_fb[1])
        return q
    return _shortanswer(q, answertext, fail)


def _fraction_or_fail(value: Decimal, fail, where: str) -> str | None:
    snapped = snap_fraction(value)
    if snapped is None:
        fail(f"{where}: the weight {format((value * 100).normalize(), 'f')}% is not one of Moodle's grades "
             "(100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571, "
             "12.5, 11.11111, 10, 5, 0 and their negatives)")
    return snapped


def _multichoice(q: dict, answertext: str, fail) -> dict | None:
    q["qtype"] = "multichoice"
    q["single"] = "=" in answertext
    parts = _split_answers(answertext.replace("=", "~="), "~", fail)
    if parts is None:
        return None
    if len(parts) < 2:
        fail("a multiple-choice question needs at least 2 answers")
        return None
    answers = []
    ok = True
    for i, raw in enumerate(parts, start=1):
        raw = raw.strip()
        if raw.startswith("="):
            frac, raw = Decimal(1), raw[1:]
        else:
            w, raw = _weight(raw)
            frac = w if w is not None else Decimal(0)
        snapped = _fraction_or_fail(frac, fail, f"answer {i}")
        ok = ok and snapped is not None
        (text, fmt), (fb, fb_fmt) = _comment(raw, q["format"])
        answers.append({"text": text, "format": fmt, "fraction": snapped or "0", "feedback": fb, "feedback_format": fb_fmt})
    if not ok:
        return None
    if not q["single"] and not any(Decimal(a["fraction"]) > 0 for a in answers):
        fail("a multiple-response question needs at least one answer with a positive weight")
        return None
    q["answers"] = answers
    return q


def _match(q: dict, answertext: str, fail) -> dict | None:
    q["qtype"] = "match"
    parts = _split_answers(answertext, "=", fail)
    if parts is None:
        return None
    if len(parts) < 2:
        fail("a matching question needs at least 2 pairs")
        return None
    pairs = []
    for i, raw in enumerate(parts, start=1):
        raw = raw.strip()
        if "->" not in raw:
            fail(f"matching pair {i} has no '->' between question and answer")
            return None
        left, right = raw.split("->", 1)
        text, fmt = _with_format(left.strip(), q["format"])
        pairs.append({"text": text, "format": fmt, "answer": _post(right).strip()})
    if sum(1 for p in pairs if p["text"]) < 2:
        fail("a matching question needs at least 2 pairs with a question (the others are distractors)")
        return None
    q["pairs"] = pairs
    return q


def _weighted_answers(answertext: str, q: dict, fail, empty_message: str):
    """The '='-separated answers of a short-answer or numerical question, each with its grade
    (100% unless a %weight% says otherwise) and feedback; None after reporting a problem."""
    parts = _split_answers(answertext, "=", fail)
    if parts is None:
        return None
    if not parts:
        fail(empty_message)
        return None
    out = []
    for i, raw in enumerate(parts, start=1):
        w, raw = _weight(raw.strip())
        snapped = _fraction_or_fail(w if w is not None else Decimal(1), fail, f"answer {i}")
        if snapped is None:
            return None
        (text, _fmt), (fb, fb_fmt) = _comment(raw, q["format"])
        out.append((i, text, snapped, fb, fb_fmt))
    return out


def _shortanswer(q: dict, answertext: str, fail) -> dict | None:
    q["qtype"] = "shortanswer"
    parsed = _weighted_answers(answertext, q, fail, "a short-answer question needs at least 1 answer")
    if parsed is None:
        return None
    answers = []
    for i, text, snapped, fb, fb_fmt in parsed:
        if text == "":
            fail(f"answer {i} is empty")
            return None
        answers.append({"text": text, "fraction": snapped, "feedback": fb, "feedback_format": fb_fmt})
    if not any(Decimal(a["fraction"]) > 0 for a in answers):
        fail("a short-answer question needs at least one answer with a positive grade")
        return None
    q["answers"] = answers
    return q


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _numerical(q: dict, answertext: str, fail) -> dict | None:
    q["qtype"] = "numerical"
    wrong = ""
    pos = answertext.find("~")
    if pos >= 0:
        wrong, answertext = answertext[pos:], answertext[:pos]
    parsed = _weighted_answers(answertext, q, fail, "a numerical question needs at least one answer, e.g. {#42:0.5}")
    if parsed is None:
        return None
    answers = []
    for i, ans, snapped, fb, fb_fmt in parsed:
        if ans.find("..") > 0:
            lo, hi = _number(ans[:ans.find("..")]), _number(ans[ans.find("..") + 2:])
            if lo is None or hi is None:
                fail(f"answer {i}: {excerpt(ans)} is not a range of two numbers (min..max)")
                return None
            value, tol = (lo + hi) / 2, hi - (lo + hi) / 2
        elif ans.find(":") > 0:
            value, tol = _number(ans[:ans.find(":")]), _number(ans[ans.find(":") + 1:])
            if value is None or tol is None:
                fail(f"answer {i}: {excerpt(ans)} is not a number with a tolerance (value:tolerance)")
                return None
        else:
            value, tol = _number(ans), Decimal(0)
            if value is None:
                fail(f"answer {i}: {excerpt(ans)} is not a number")
                return None
        if tol < 0:
            fail(f"answer {i}: the tolerance cannot be negative")
            return None
        answers.append({"value": _dec(value), "tolerance": _dec(abs(tol)), "fraction": snapped,
                        "feedback": fb, "feedback_format": fb_fmt})
    if wrong:
        _, (fb, fb_fmt) = _comment(wrong[1:], q["format"]) if wrong.startswith("~") else (None, ("", q["format"]))
        answers.append({"value": "*", "tolerance": "0", "fraction": "0", "feedback": fb, "feedback_format": fb_fmt})
    q["answers"] = answers
    return q


def _dec(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


# --- export ---

def _esc(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "#=~{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", "").replace("\n", "\\n")


def _write_text(text: str, fmt: str, default: str = "moodle") -> str:
    prefix = f"[{fmt}]" if text and fmt != default else ""
    return prefix + _esc(text)


def _pct(fraction: str) -> str:
    return format((Decimal(fraction) * 100).normalize(), "f")


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
    meta = []
    if q.get("idnumber"):
        meta.append(f"[id:{q['idnumber'].replace(']', chr(92) + ']')}]")
    meta += [f"[tag:{t.replace(']', chr(92) + ']')}]" for t in q.get("tags") or []]
    label = " ".join(f"{q.get('idnumber') or ''}  name: {q['name']}".split())
    head = f"// question: {label}\n"
    if meta:
        head += "// " + " ".join(meta) + "\n"
    fmt = q.get("format", "moodle")
    head += "::" + _esc(q["name"]) + "::" + (f"[{fmt}]" if fmt != "moodle" else "") + _esc(q["text"])
    qtype = q["qtype"]

    def general(indent: str) -> str:
        g = _write_text(q.get("general_feedback") or "", q.get("general_feedback_format", fmt), fmt)
        return f"{indent}####{g}" + ("\n" if indent else "") if g else ""

    if qtype == "description":
        return head + "\n"
    if qtype == "essay":
        return head + "{" + general("") + "}\n"
    if qtype == "truefalse":
        correct = q["correct"]
        right = _write_text(q["feedback_true"] if correct else q["feedback_false"],
                            q["feedback_true_format"] if correct else q["feedback_false_format"], fmt)
        wrong = _write_text(q["feedback_false"] if correct else q["feedback_true"],
                            q["feedback_false_format"] if correct else q["feedback_true_format"], fmt)
        body = "TRUE" if correct else "FALSE"
        if wrong:
            body += "#" + wrong
        elif right:
            body += "#"
        if right:
            body += "#" + right
        return head + "{" + body + general("") + "}\n"
    lines = []
    if qtype == "multichoice":
        for a in q["answers"]:
            if a["fraction"] == "1" and q["single"]:
                mark = "="
            elif a["fraction"] == "0":
                mark = "~"
            else:
                mark = f"~%{_pct(a['fraction'])}%"
            line = "\t" + mark + _write_text(a["text"], a.get("format", fmt), fmt)
            if a.get("feedback"):
                line += "#" + _write_text(a["feedback"], a.get("feedback_format", fmt), fmt)
            lines.append(line)
        return head + "{\n" + "\n".join(lines) + "\n" + general("\t") + "}\n"
    if qtype == "shortanswer":
        for a in q["answers"]:
            lines.append(f"\t=%{_pct(a['fraction'])}%" + _esc(a["text"]) + "#"
                         + _write_text(a.get("feedback") or "", a.get("feedback_format", fmt), fmt))
        return head + "{\n" + "\n".join(lines) + "\n" + general("\t") + "}\n"
    if qtype == "numerical":
        for a in q["answers"]:
            fb = _write_text(a.get("feedback") or "", a.get("feedback_format", fmt), fmt)
            if a["value"] not in ("", "*"):
                lines.append(f"\t=%{_pct(a['fraction'])}%{a['value']}:{a['tolerance']}#{fb}")
            else:
                lines.append(f"\t~#{fb}")
        return head + "{#\n" + "\n".join(lines) + "\n" + general("\t") + "}\n"
    if qtype == "match":
        for p in q["pairs"]:
            lines.append("\t=" + _write_text(p["text"], p.get("format", fmt), fmt) + " -> " + _esc(p["answer"]))
        return head + "{\n" + "\n".join(lines) + "\n" + general("\t") + "}\n"
    raise ValueError(f"cannot export question type {qtype!r}")

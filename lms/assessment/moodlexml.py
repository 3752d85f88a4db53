"""Moodle XML import and export for the same question types as GIFT (question/format/xml).

The reader uses expat directly, so that every error names its line. A document type declaration is refused
when it starts, so no entity can be declared: no "billion laughs" (expat 2.4+ also bounds entity expansion
itself) and no external entity (XXE; expat never fetches one without a handler, and none is set). Reading
stops at the limits of lms.limits: elements per file, questions per file, answers per question, characters per
text; no more than the limit is built.
"""
from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape, quoteattr

from flask_babel import gettext as _

from lms.assessment.gift import GiftError, GiftResult, snap_fraction, split_category, too_many_answers
from lms.limits import (
    IMPORT_MAX_ANSWERS,
    IMPORT_MAX_QUESTIONS,
    IMPORT_MAX_TEXT,
    IMPORT_MAX_XML_ELEMENTS,
    excerpt,
)

_FMT_IN = {"moodle_auto_format": "moodle", "html": "html", "plain_text": "plain", "markdown": "markdown"}
_FMT_OUT = {v: k for k, v in _FMT_IN.items()}
TYPES = ("multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay", "description")


@dataclass(slots=True)
class Node:
    tag: str
    attrs: dict
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, tag: str, default: str = "") -> str:
        node = self.find(tag)
        if node is None:
            return default
        inner = node.find("text")
        return (inner.text if inner is not None else node.text).strip()


class _DTDRefused(Exception):
    pass


class _Refused(Exception):
    """A limit was passed: reading stops at once."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def _parse(text: str) -> Node:
    parser = xml.parsers.expat.ParserCreate()
    root = Node("#root", {}, 0)
    stack = [root]
    texts: list[list[str]] = [[]]       # each open element's character data, joined when it ends
    sizes = [0]
    counts = {"elements": 0, "questions": 0}
    answers: dict[tuple[int, str], int] = {}        # (question number, tag) → how many so far

    def start(tag, attrs):
        line, parent = parser.CurrentLineNumber, stack[-1]
        counts["elements"] += 1
        if counts["elements"] > IMPORT_MAX_XML_ELEMENTS:
            raise _Refused(line, _("more than %(n)d XML elements in one file; split it into several files",
                                   n=IMPORT_MAX_XML_ELEMENTS))
        if tag == "question" and parent.tag == "quiz":
            counts["questions"] += 1
            if counts["questions"] > IMPORT_MAX_QUESTIONS:
                raise _Refused(line, _("more than %(n)d questions in one file; split it into several files",
                                       n=IMPORT_MAX_QUESTIONS))
        elif tag in ("answer", "subquestion") and parent.tag == "question":
            key = (counts["questions"], tag)
            answers[key] = answers.get(key, 0) + 1
            if answers[key] > IMPORT_MAX_ANSWERS:
                raise _Refused(parent.line, too_many_answers())
        node = Node(tag, attrs, line)
        parent.children.append(node)
        stack.append(node)
        texts.append([])
        sizes.append(0)

    def end(tag):
        stack.pop().text = "".join(texts.pop())
        sizes.pop()

    def chars(data):
        sizes[-1] += len(data)
        if sizes[-1] > IMPORT_MAX_TEXT:
            raise _Refused(stack[-1].line, _("a text is longer than %(n)d characters", n=IMPORT_MAX_TEXT))
        texts[-1].append(data)

    def doctype(*args):
        raise _DTDRefused()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.Parse(text.encode("utf-8"), True)
    return root


def _text(node: Node | None, default_fmt: str = "moodle") -> tuple[str, str]:
    if node is None:
        return "", default_fmt
    fmt = _FMT_IN.get(node.attrs.get("format", ""), default_fmt)
    inner = node.find("text")
    return (inner.text if inner is not None else "").strip(), fmt


def _fraction(raw: str, line: int, errors: list[GiftError]) -> str | None:
    try:
        value = Decimal(raw or "0") / 100
    except InvalidOperation:
        errors.append(GiftError(line, f"fraction {excerpt(raw)} is not a number"))
        return None
    snapped = snap_fraction(value)
    if snapped is None:
        errors.append(GiftError(line, f"fraction {raw[:20]}% is not one of Moodle's grades"))
    return snapped


def parse_moodle_xml(text: str) -> GiftResult:
    result = GiftResult()
    try:
        root = _parse(text)
    except _DTDRefused:
        result.errors.append(GiftError(1, "document type declarations are not accepted"))
        return result
    except _Refused as exc:
        result.errors.append(GiftError(exc.line, exc.reason))
        return result
    except xml.parsers.expat.ExpatError as exc:
        result.errors.append(GiftError(exc.lineno, f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}"))
        return result
    quiz = root.find("quiz")
    if quiz is None:
        result.errors.append(GiftError(1, "the document must have a <quiz> element with <question> elements"))
        return result
    category, context = [], "$course$"
    for qn in quiz.findall("question"):
        qtype = qn.attrs.get("type", "")
        if qtype == "category":
            context, category = split_category(qn.value("category"))
            continue
        if qtype not in TYPES:
            result.errors.append(GiftError(qn.line, f"question type {excerpt(qtype)} is not supported"))
            continue
        errors: list[GiftError] = []
        text_, fmt = _text(qn.find("questiontext"))
        gf, gf_fmt = _text(qn.find("generalfeedback"), fmt)
        tags_node = qn.find("tags")
        q = {"name": qn.value("name") or text_[:80] or "Question", "text": text_, "format": fmt,
             "general_feedback": gf, "general_feedback_format": gf_fmt, "idnumber": qn.value("idnumber") or None,
             "tags": [t.value("text") if t.find("text") else t.text.strip() for t in (tags_node.findall("tag") if tags_node else [])],
             "category": list(category), "context": context, "line": qn.line,
             "qtype": "match" if qtype == "matching" else qtype}
        answers = qn.findall("answer")
        if qtype == "multichoice":
            q["single"] = qn.value("single", "true").lower() in ("true", "1")
            q["answers"] = []
            for a in answers:
                t, f = _text(a, fmt)
                fb, fb_fmt = _text(a.find("feedback"), fmt)
                q["answers"].append({"text": t, "format": f, "fraction": _fraction(a.attrs.get("fraction"), a.line, errors) or "0",
                                     "feedback": fb, "feedback_format": fb_fmt})
            if len(answers) < 2:
                errors.append(GiftError(qn.line, "a multiple-choice question needs at least 2 answers"))
        elif qtype == "truefalse":
            by = {_text(a)[0].lower(): a for a in answers}
            if set(by) != {"true", "false"}:
                errors.append(GiftError(qn.line, "a true/false question needs the answers 'true' and 'false'"))
            else:
                q["correct"] = by["true"].attrs.get("fraction") == "100"
                q["feedback_true"], q["feedback_true_format"] = _text(by["true"].find("feedback"), fmt)
                q["feedback_false"], q["feedback_false_format"] = _text(by["false"].find("feedback"), fmt)
        elif qtype == "shortanswer":
            if (qn.value("usecase", "0") or "0").strip() == "1":     # Moodle's "Case sensitivity: yes"
                q["usecase"] = True
            q["answers"] = []
            for a in answers:
                fb, fb_fmt = _text(a.find("feedback"), fmt)
                q["answers"].append({"text": _text(a)[0], "fraction": _fraction(a.attrs.get("fraction"), a.line, errors) or "0",
                                     "feedback": fb, "feedback_format": fb_fmt})
            if not answers:
                errors.append(GiftError(qn.line, "a short-answer question needs at least 1 answer"))
        elif qtype == "numerical":
            q["answers"] = []
            for a in answers:
                value = _text(a)[0]
                tol = a.value("tolerance", "0") or "0"
                try:
                    value = value if value == "*" else format(Decimal(value).normalize(), "f")
                    tol = format(abs(Decimal(tol)).normalize(), "f")
                except InvalidOperation:
                    errors.append(GiftError(a.line, f"{excerpt(value)} ± {excerpt(tol)} is not a number with a tolerance"))
                    continue
                fb, fb_fmt = _text(a.find("feedback"), fmt)
                q["answers"].append({"value": value, "tolerance": "0" if value == "*" else tol,
                                     "fraction": _fraction(a.attrs.get("fraction"), a.line, errors) or "0",
                                     "feedback": fb, "feedback_format": fb_fmt})
            if not answers:
                errors.append(GiftError(qn.line, "a numerical question needs at least one answer"))
        elif qtype == "essay":
            info, info_fmt = _text(qn.find("graderinfo"), fmt)
            if info:                            # Moodle's "Information for graders": shown to graders only
                q["graderinfo"], q["graderinfo_format"] = info, info_fmt
        elif qtype == "matching":
            q["pairs"] = []
            for sq in qn.findall("subquestion"):
                t, f = _text(sq, fmt)
                q["pairs"].append({"text": t, "format": f, "answer": sq.value("answer")})
            if sum(1 for p in q["pairs"] if p["text"]) < 2:
                errors.append(GiftError(qn.line, "a matching question needs at least 2 pairs"))
        if errors:
            result.errors.extend(errors)
        else:
            result.questions.append(q)
        if result.full(qn.line):
            break
    return result


def _t(tag: str, text: str, fmt: str | None = None, indent: str = "    ") -> str:
    attr = f" format={quoteattr(_FMT_OUT.get(fmt, 'moodle_auto_format'))}" if fmt else ""
    return f"{indent}<{tag}{attr}><text>{escape(text or '')}</text></{tag}>\n"


def _pct(fraction: str) -> str:
    return format((Decimal(fraction) * 100).normalize(), "f")


def export_moodle_xml(questions: list[dict]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    current = None
    for q in questions:
        cat = (q.get("context") or "$course$", tuple(q.get("category") or []))
        if cat != current:
            path = "/".join([cat[0], "top"] + [s.replace("/", "//") for s in cat[1]])
            out.append(f'  <question type="category">\n    <category><text>{escape(path)}</text></category>\n  </question>\n')
            current = cat
        qtype = "matching" if q["qtype"] == "match" else q["qtype"]
        fmt = q.get("format", "moodle")
        out.append(f'  <question type="{qtype}">\n')
        out.append(f"    <name><text>{escape(q['name'])}</text></name>\n")
        out.append(_t("questiontext", q["text"], fmt))
        out.append(_t("generalfeedback", q.get("general_feedback", ""), q.get("general_feedback_format", fmt)))
        if q.get("idnumber"):
            out.append(f"    <idnumber>{escape(q['idnumber'])}</idnumber>\n")
        if qtype == "multichoice":
            out.append(f"    <single>{'true' if q['single'] else 'false'}</single>\n    <shuffleanswers>true</shuffleanswers>\n")
            for a in q["answers"]:
                out.append(f'    <answer fraction="{_pct(a["fraction"])}" format="{_FMT_OUT[a.get("format", fmt)]}">'
                           f"<text>{escape(a['text'])}</text>\n")
                out.append(_t("feedback", a.get("feedback", ""), a.get("feedback_format", fmt), "      ") + "    </answer>\n")
        elif qtype == "truefalse":
            for word, is_true in (("true", True), ("false", False)):
                frac = "100" if q["correct"] == is_true else "0"
                fb = q["feedback_true"] if is_true else q["feedback_false"]
                fb_fmt = q["feedback_true_format"] if is_true else q["feedback_false_format"]
                out.append(f'    <answer fraction="{frac}" format="moodle_auto_format"><text>{word}</text>\n')
                out.append(_t("feedback", fb, fb_fmt, "      ") + "    </answer>\n")
        elif qtype == "shortanswer":
            out.append(f"    <usecase>{1 if q.get('usecase') else 0}</usecase>\n")
            for a in q["answers"]:
                out.append(f'    <answer fraction="{_pct(a["fraction"])}" format="moodle_auto_format"><text>{escape(a["text"])}</text>\n')
                out.append(_t("feedback", a.get("feedback", ""), a.get("feedback_format", fmt), "      ") + "    </answer>\n")
        elif qtype == "numerical":
            for a in q["answers"]:
                out.append(f'    <answer fraction="{_pct(a["fraction"])}" format="moodle_auto_format"><text>{escape(a["value"])}</text>\n')
                out.append(f"      <tolerance>{a['tolerance']}</tolerance>\n")
                out.append(_t("feedback", a.get("feedback", ""), a.get("feedback_format", fmt), "      ") + "    </answer>\n")
        elif qtype == "matching":
            for p in q["pairs"]:
                out.append(f'    <subquestion format="{_FMT_OUT[p.get("format", fmt)]}"><text>{escape(p["text"])}</text>\n'
                           f"      <answer><text>{escape(p['answer'])}</text></answer>\n    </subquestion>\n")
        elif qtype == "essay":
            out.append("    <responseformat>editor</responseformat>\n    <responsefieldlines>15</responsefieldlines>\n")
            if q.get("graderinfo"):
                out.append(_t("graderinfo", q["graderinfo"], q.get("graderinfo_format", fmt)))
        if q.get("tags"):
            out.append("    <tags>" + "".join(f"<tag><text>{escape(t)}</text></tag>" for t in q["tags"]) + "</tags>\n")
        out.append("  </question>\n")
    out.append("</quiz>\n")
    return "".join(out)

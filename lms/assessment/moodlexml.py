"""Moodle XML import and export for the same question types as GIFT (question/format/xml).

The reader uses expat directly, so that every error names its line. A document type declaration is refused
when it starts, so no entity can be declared: no "billion laughs" (expat 2.4+ also bounds entity expansion
itself) and no external entity (XXE; expat never fetches one without a handler, and none is set). Reading
stops at the limits of lms.limits: elements per file, questions per file, answers per question, characters per
text; no more than the limit is built.
"""
from __future__ import annotations

import xml.parsers.expat
from xml.sax.saxutils import escape

from flask_babel import gettext as _

from lms.assessment import qtypes
from lms.assessment import xmlsyntax as xs
from lms.assessment.gift import GiftError, GiftResult, split_category
from lms.assessment.giftsyntax import too_many_answers
from lms.assessment.xmlsyntax import Node
from lms.limits import (
    IMPORT_MAX_ANSWERS,
    IMPORT_MAX_QUESTIONS,
    IMPORT_MAX_TEXT,
    IMPORT_MAX_XML_ELEMENTS,
    excerpt,
)


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


def _read(text: str) -> tuple[Node | None, GiftError | None]:
    """The document's <quiz> element, or the error that stopped reading it."""
    try:
        root = _parse(text)
    except _DTDRefused:
        return None, GiftError(1, "document type declarations are not accepted")
    except _Refused as exc:
        return None, GiftError(exc.line, exc.reason)
    except xml.parsers.expat.ExpatError as exc:
        return None, GiftError(exc.lineno, f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}")
    quiz = root.find("quiz")
    if quiz is None:
        return None, GiftError(1, "the document must have a <quiz> element with <question> elements")
    return quiz, None


def parse_moodle_xml(text: str) -> GiftResult:
    """Parse a Moodle XML file: the questions, and every problem with its line; nothing raises."""
    result = GiftResult()
    quiz, error = _read(text)
    if error is not None:
        result.errors.append(error)
        return result
    category, context = [], "$course$"
    for qn in quiz.findall("question"):
        kind = qn.attrs.get("type", "")
        if kind == "category":
            context, category = split_category(qn.value("category"))
            continue
        qtype = qtypes.by_xml_name(kind)
        if qtype is None:
            result.errors.append(GiftError(qn.line, f"question type {excerpt(kind)} is not supported"))
            continue
        errors: list[GiftError] = []
        q = _question(qtype, qn, category, context, errors)
        if errors:
            result.errors.extend(errors)
        else:
            result.questions.append(q)
        if result.full(qn.line):
            break
    return result


def _question(qtype, qn: Node, category: list[str], context: str, errors: list[GiftError]) -> dict:
    """One <question>: its name, text, general feedback, id and tags here, the rest by its type; every problem
    goes to ``errors``."""
    text, fmt = xs.text(qn.find("questiontext"))
    gf, gf_fmt = xs.text(qn.find("generalfeedback"), fmt)
    tags_node = qn.find("tags")
    tags = [t.value("text") if t.find("text") else t.text.strip() for t in (tags_node.findall("tag") if tags_node else [])]
    q = {"name": qn.value("name") or text[:80] or "Question", "text": text, "format": fmt,
         "general_feedback": gf, "general_feedback_format": gf_fmt, "idnumber": qn.value("idnumber") or None,
         "tags": tags, "category": list(category), "context": context, "line": qn.line, "qtype": qtype.name}
    qtype.read_xml(q, qn, lambda line, reason: errors.append(GiftError(line, reason)))
    return q


def export_moodle_xml(questions: list[dict]) -> str:
    """Questions as Moodle XML that Moodle imports, grouped under category questions; lossless with
    ``parse_moodle_xml``."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    current = None
    for q in questions:
        cat = (q.get("context") or "$course$", tuple(q.get("category") or []))
        if cat != current:
            path = "/".join([cat[0], "top"] + [s.replace("/", "//") for s in cat[1]])
            out.append(f'  <question type="category">\n    <category><text>{escape(path)}</text></category>\n  </question>\n')
            current = cat
        out.append(_write_question(q))
    out.append("</quiz>\n")
    return "".join(out)


def _write_question(q: dict) -> str:
    """One <question>: the elements every type has here, the rest by its type."""
    qtype = qtypes.get(q["qtype"])
    fmt = q.get("format", "moodle")
    out = [f'  <question type="{qtype.xml_name}">\n', f"    <name><text>{escape(q['name'])}</text></name>\n",
           xs.element("questiontext", q["text"], fmt),
           xs.element("generalfeedback", q.get("general_feedback", ""), q.get("general_feedback_format", fmt))]
    if q.get("idnumber"):
        out.append(f"    <idnumber>{escape(q['idnumber'])}</idnumber>\n")
    out.append(qtype.write_xml(q, fmt))
    if q.get("tags"):
        out.append("    <tags>" + "".join(f"<tag><text>{escape(t)}</text></tag>" for t in q["tags"]) + "</tags>\n")
    out.append("  </question>\n")
    return "".join(out)

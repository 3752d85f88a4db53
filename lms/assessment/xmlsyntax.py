"""The pieces of Moodle XML (question/format/xml) that the reader, the writer and every question type share: the
element tree the reader builds, texts with their formats, fractions in percent, and elements written back. The
question types (``lms.assessment.qtypes``) read and write their own elements with these; ``lms.assessment.
moodlexml`` reads and writes the rest of a question.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape, quoteattr

from lms.assessment.giftsyntax import snap_fraction
from lms.limits import excerpt

FMT_IN = {"moodle_auto_format": "moodle", "html": "html", "plain_text": "plain", "markdown": "markdown"}
FMT_OUT = {v: k for k, v in FMT_IN.items()}


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


def text(node: Node | None, default_fmt: str = "moodle") -> tuple[str, str]:
    """An element's ``<text>`` and its format (its ``format`` attribute, else ``default_fmt``)."""
    if node is None:
        return "", default_fmt
    fmt = FMT_IN.get(node.attrs.get("format", ""), default_fmt)
    inner = node.find("text")
    return (inner.text if inner is not None else "").strip(), fmt


def fraction(raw: str, line: int, fail) -> str | None:
    """An answer's ``fraction`` attribute (a percent) as the Moodle grade option it names; None after reporting
    ``fail(line, reason)``."""
    try:
        value = Decimal(raw or "0") / 100
    except InvalidOperation:
        fail(line, f"fraction {excerpt(raw)} is not a number")
        return None
    snapped = snap_fraction(value)
    if snapped is None:
        fail(line, f"fraction {raw[:20]}% is not one of Moodle's grades")
    return snapped


def element(tag: str, text: str, fmt: str | None = None, indent: str = "    ") -> str:
    """``<tag format="..."><text>...</text></tag>`` on a line of its own."""
    attr = f" format={quoteattr(FMT_OUT.get(fmt, 'moodle_auto_format'))}" if fmt else ""
    return f"{indent}<{tag}{attr}><text>{escape(text or '')}</text></{tag}>\n"


def feedback(a: dict, fmt: str) -> str:
    """An answer's feedback element and the answer's closing tag."""
    return element("feedback", a.get("feedback", ""), a.get("feedback_format", fmt), "      ") + "    </answer>\n"

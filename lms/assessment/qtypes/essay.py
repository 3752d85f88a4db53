"""Essay: answered in free text and graded by a person (with a rubric when one is attached). Spec: ``graderinfo``
and its format (optional, from Moodle XML: shown to graders only). A response is the text given."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from lms.assessment import giftsyntax as gs
from lms.assessment import xmlsyntax as xs
from lms.assessment.qtypes.base import QuestionType, register


@register
class Essay(QuestionType):
    name, label = "essay", _l("Essay")
    auto_graded = False
    xml_only = ("graderinfo", "graderinfo_format")

    def grade(self, spec, response):
        """A person grades an answer; an essay left blank is "not answered" and gets no marks at once, as in
        Moodle, rather than waiting in the queue (an instructor can still change its mark on the review)."""
        if response is None or (isinstance(response, str) and not response.strip()):
            return Decimal(0)
        return None

    # --- GIFT: an empty answer block ---

    def gift_claims(self, answertext):
        return answertext == ""

    def write_gift(self, q, fmt):
        return "{" + gs.general_feedback(q, fmt, "") + "}\n"

    # --- Moodle XML ---

    def read_xml(self, q, node, fail):
        info, info_fmt = xs.text(node.find("graderinfo"), q["format"])
        if info:                            # Moodle's "Information for graders": shown to graders only
            q["graderinfo"], q["graderinfo_format"] = info, info_fmt

    def write_xml(self, q, fmt):
        out = "    <responseformat>editor</responseformat>\n    <responsefieldlines>15</responsefieldlines>\n"
        if q.get("graderinfo"):
            out += xs.element("graderinfo", q["graderinfo"], q.get("graderinfo_format", fmt))
        return out

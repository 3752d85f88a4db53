"""Short answer: the response is compared with each accepted answer in turn ('*' a wildcard), case-insensitively
unless ``usecase`` (from Moodle XML). Spec: ``answers`` [{text, fraction, feedback, feedback_format}],
``usecase`` (optional). A response is the text given."""
from __future__ import annotations

import fnmatch
from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l

from lms.assessment import giftsyntax as gs
from lms.assessment import xmlsyntax as xs
from lms.assessment.qtypes.base import QuestionType, clamp, register


@register
class ShortAnswer(QuestionType):
    name, label = "shortanswer", _l("Short answer")
    xml_only = ("usecase",)

    def grade(self, spec, response):
        """Case-insensitive, as GIFT's short answers are; a question from Moodle XML with "case sensitivity"
        set (``usecase``) compares the case too."""
        fold = (lambda s: s) if spec.get("usecase") else str.lower
        given = fold(" ".join(str(response or "").split()))
        if not given:
            return Decimal(0)
        for a in spec["answers"]:
            pattern = fold(" ".join(a["text"].split()))
            # '*' is a wildcard; other glob characters are literal
            pattern = pattern.replace("[", "[[]").replace("?", "[?]")
            if fnmatch.fnmatchcase(given, pattern):
                return clamp(Decimal(a["fraction"]))
        return Decimal(0)

    def best_response(self, spec):
        best = max(spec["answers"], key=lambda a: float(a["fraction"]))
        return best["text"].replace("*", "x")

    def regradable(self, old, new):
        return True

    # --- GIFT: the fallback, when no other type claims the answer block ---

    def gift_claims(self, answertext):
        return True

    def read_gift(self, q, answertext, fail):
        parsed = gs.weighted_answers(answertext, q, fail, "a short-answer question needs at least 1 answer")
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

    def write_gift(self, q, fmt):
        lines = [f"\t=%{gs.pct(a['fraction'])}%" + gs.esc(a["text"]) + "#"
                 + gs.write_text(a.get("feedback") or "", a.get("feedback_format", fmt), fmt) for a in q["answers"]]
        return gs.answer_block(lines, q, fmt)

    # --- Moodle XML ---

    def read_xml(self, q, node, fail):
        fmt = q["format"]
        if (node.value("usecase", "0") or "0").strip() == "1":     # Moodle's "Case sensitivity: yes"
            q["usecase"] = True
        q["answers"] = []
        answers = node.findall("answer")
        for a in answers:
            fb, fb_fmt = xs.text(a.find("feedback"), fmt)
            q["answers"].append({"text": xs.text(a)[0], "fraction": xs.fraction(a.attrs.get("fraction"), a.line, fail)
                                 or "0", "feedback": fb, "feedback_format": fb_fmt})
        if not answers:
            fail(node.line, "a short-answer question needs at least 1 answer")

    def write_xml(self, q, fmt):
        out = [f"    <usecase>{1 if q.get('usecase') else 0}</usecase>\n"]
        for a in q["answers"]:
            out.append(f'    <answer fraction="{gs.pct(a["fraction"])}" format="moodle_auto_format">'
                       f'<text>{escape(a["text"])}</text>\n')
            out.append(xs.feedback(a, fmt))
        return "".join(out)

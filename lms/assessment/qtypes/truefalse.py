"""True/false. Spec: ``correct`` (bool), ``feedback_true``/``feedback_false`` (shown for that response) and their
formats. A response is True or False."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from lms.assessment import giftsyntax as gs
from lms.assessment import xmlsyntax as xs
from lms.assessment.qtypes.base import QuestionType, register

_WORDS = ("T", "TRUE", "F", "FALSE")


@register
class TrueFalse(QuestionType):
    name, label = "truefalse", _l("True/false")

    def clean(self, spec, response):
        return None if response in (None, "") else str(response).lower() in ("1", "true", "t")

    def grade(self, spec, response):
        if response in (None, ""):
            return Decimal(0)
        value = response if isinstance(response, bool) else str(response).lower() in ("1", "true", "t")
        return Decimal(1) if value == spec["correct"] else Decimal(0)

    def best_response(self, spec):
        return spec["correct"]

    def regradable(self, old, new):
        return True

    def option_shares(self, spec, responses):
        n = len(responses)
        t = sum(1 for r in responses if r is True)
        f = sum(1 for r in responses if r is False)
        return [("True", round(100 * t / n, 1)), ("False", round(100 * f / n, 1))]

    # --- GIFT ---

    def gift_claims(self, answertext):
        check = answertext.split("#", 1)[0].strip() if answertext.find("#") > 0 else answertext
        return check in _WORDS

    def read_gift(self, q, answertext, fail):
        fmt = q["format"]
        bits = answertext.split("#", 2)
        wrong = gs.with_format(bits[1].strip(), fmt) if len(bits) > 1 else ("", fmt)
        right = gs.with_format(bits[2].strip(), fmt) if len(bits) > 2 else ("", fmt)
        correct = bits[0].strip() in ("T", "TRUE")
        q["correct"] = correct
        # the first feedback is shown for a wrong response, the second for a right one
        true_fb, false_fb = (right, wrong) if correct else (wrong, right)
        q.update(feedback_true=true_fb[0], feedback_true_format=true_fb[1],
                 feedback_false=false_fb[0], feedback_false_format=false_fb[1])
        return q

    def write_gift(self, q, fmt):
        correct = q["correct"]
        right = gs.write_text(q["feedback_true"] if correct else q["feedback_false"],
                              q["feedback_true_format"] if correct else q["feedback_false_format"], fmt)
        wrong = gs.write_text(q["feedback_false"] if correct else q["feedback_true"],
                              q["feedback_false_format"] if correct else q["feedback_true_format"], fmt)
        body = "TRUE" if correct else "FALSE"
        if wrong or right:          # the wrong response's feedback comes first, even when empty
            body += "#" + wrong
        if right:
            body += "#" + right
        return "{" + body + gs.general_feedback(q, fmt, "") + "}\n"

    # --- Moodle XML ---

    def read_xml(self, q, node, fail):
        fmt = q["format"]
        by = {xs.text(a)[0].lower(): a for a in node.findall("answer")}
        if set(by) != {"true", "false"}:
            fail(node.line, "a true/false question needs the answers 'true' and 'false'")
            return
        q["correct"] = by["true"].attrs.get("fraction") == "100"
        q["feedback_true"], q["feedback_true_format"] = xs.text(by["true"].find("feedback"), fmt)
        q["feedback_false"], q["feedback_false_format"] = xs.text(by["false"].find("feedback"), fmt)

    def write_xml(self, q, fmt):
        out = []
        for word, is_true in (("true", True), ("false", False)):
            frac = "100" if q["correct"] == is_true else "0"
            fb = q["feedback_true"] if is_true else q["feedback_false"]
            fb_fmt = q["feedback_true_format"] if is_true else q["feedback_false_format"]
            out.append(f'    <answer fraction="{frac}" format="moodle_auto_format"><text>{word}</text>\n')
            out.append(xs.element("feedback", fb, fb_fmt, "      ") + "    </answer>\n")
        return "".join(out)

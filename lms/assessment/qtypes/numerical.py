"""Numerical: the response is a number within an answer's tolerance. Spec: ``answers`` [{value, tolerance,
fraction, feedback, feedback_format}] (value "*": any other answer). A response is the text given."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l

from lms.assessment import giftsyntax as gs
from lms.assessment import xmlsyntax as xs
from lms.assessment.qtypes.base import QuestionType, clamp, register
from lms.limits import excerpt


def _value_and_tolerance(ans: str) -> tuple[Decimal | None, Decimal | None, str]:
    """A GIFT answer "min..max", "value:tolerance" or "value" as (value, tolerance, what it should have been)."""
    if ans.find("..") > 0:
        lo, hi = gs.number(ans[:ans.find("..")]), gs.number(ans[ans.find("..") + 2:])
        if lo is None or hi is None:
            return None, None, "a range of two numbers (min..max)"
        return (lo + hi) / 2, hi - (lo + hi) / 2, ""
    if ans.find(":") > 0:
        value, tol = gs.number(ans[:ans.find(":")]), gs.number(ans[ans.find(":") + 1:])
        return value, tol, "a number with a tolerance (value:tolerance)"
    return gs.number(ans), Decimal(0), "a number"


@register
class Numerical(QuestionType):
    name, label = "numerical", _l("Numerical")

    def grade(self, spec, response):
        try:
            x = Decimal(str(response).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            return Decimal(0)
        if not x.is_finite():
            return Decimal(0)
        for a in spec["answers"]:
            if a["value"] == "*":
                return clamp(Decimal(a["fraction"]))
            if abs(x - Decimal(a["value"])) <= Decimal(a["tolerance"]):
                return clamp(Decimal(a["fraction"]))
        return Decimal(0)

    def best_response(self, spec):
        best = max(spec["answers"], key=lambda a: float(a["fraction"]))
        return "0" if best["value"] == "*" else str(best["value"])

    def regradable(self, old, new):
        return True

    # --- GIFT ---

    def gift_claims(self, answertext):
        return answertext.startswith("#")

    def read_gift(self, q, answertext, fail):
        answertext, wrong = answertext[1:], ""
        pos = answertext.find("~")
        if pos >= 0:
            wrong, answertext = answertext[pos:], answertext[:pos]
        parsed = gs.weighted_answers(answertext, q, fail,
                                     "a numerical question needs at least one answer, e.g. {#42:0.5}")
        if parsed is None:
            return None
        answers = []
        for i, ans, snapped, fb, fb_fmt in parsed:
            value, tol, expected = _value_and_tolerance(ans)
            if value is None or tol is None:
                fail(f"answer {i}: {excerpt(ans)} is not {expected}")
                return None
            if tol < 0:
                fail(f"answer {i}: the tolerance cannot be negative")
                return None
            answers.append({"value": gs.dec(value), "tolerance": gs.dec(abs(tol)), "fraction": snapped,
                            "feedback": fb, "feedback_format": fb_fmt})
        if wrong:
            _, (fb, fb_fmt) = gs.comment(wrong[1:], q["format"])
            answers.append({"value": "*", "tolerance": "0", "fraction": "0", "feedback": fb, "feedback_format": fb_fmt})
        q["answers"] = answers
        return q

    def write_gift(self, q, fmt):
        lines = []
        for a in q["answers"]:
            fb = gs.write_text(a.get("feedback") or "", a.get("feedback_format", fmt), fmt)
            if a["value"] not in ("", "*"):
                lines.append(f"\t=%{gs.pct(a['fraction'])}%{a['value']}:{a['tolerance']}#{fb}")
            else:
                lines.append(f"\t~#{fb}")
        return gs.answer_block(lines, q, fmt, "{#")

    # --- Moodle XML ---

    def read_xml(self, q, node, fail):
        fmt = q["format"]
        q["answers"] = []
        answers = node.findall("answer")
        for a in answers:
            value = xs.text(a)[0]
            tol = a.value("tolerance", "0") or "0"
            try:
                value = value if value == "*" else format(Decimal(value).normalize(), "f")
                tol = format(abs(Decimal(tol)).normalize(), "f")
            except InvalidOperation:
                fail(a.line, f"{excerpt(value)} ± {excerpt(tol)} is not a number with a tolerance")
                continue
            fb, fb_fmt = xs.text(a.find("feedback"), fmt)
            q["answers"].append({"value": value, "tolerance": "0" if value == "*" else tol,
                                 "fraction": xs.fraction(a.attrs.get("fraction"), a.line, fail) or "0",
                                 "feedback": fb, "feedback_format": fb_fmt})
        if not answers:
            fail(node.line, "a numerical question needs at least one answer")

    def write_xml(self, q, fmt):
        out = []
        for a in q["answers"]:
            out.append(f'    <answer fraction="{gs.pct(a["fraction"])}" format="moodle_auto_format">'
                       f'<text>{escape(a["value"])}</text>\n')
            out.append(f"      <tolerance>{a['tolerance']}</tolerance>\n")
            out.append(xs.feedback(a, fmt))
        return "".join(out)

"""Multiple choice: one right answer (radio buttons), or several weighted ones (check boxes).

Spec: ``single`` (bool), ``answers`` [{text, format, fraction, feedback, feedback_format}]. A response is the
position of the option chosen (single), or the sorted positions (multiple), in the version's own order.
"""
from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l

from lms.assessment import giftsyntax as gs
from lms.assessment import xmlsyntax as xs
from lms.assessment.qtypes.base import QuestionType, clamp, register


def _option_texts(answers: list[dict]) -> list[str]:
    return [" ".join(str(a.get("text", "")).split()) for a in answers]


@register
class MultiChoice(QuestionType):
    name, label = "multichoice", _l("Multiple choice")
    cut_by_option = True

    def order(self, spec, rng=None, shuffle_answers=False):
        if rng is None or not shuffle_answers:
            return None
        order = list(range(len(spec["answers"])))
        rng.shuffle(order)
        return order

    def from_form(self, spec, key, form):
        if spec.get("single", True):
            return key in form, form.get(key)
        # a multiple-response question left empty is sent too (its marker field)
        return (key in form or f"{key}-present" in form), form.getlist(key)

    def clean(self, spec, response):
        n = len(spec["answers"])
        values = response if isinstance(response, list) else [response]
        picked = sorted({int(v) for v in values if str(v).isdigit() and int(v) < n})
        return picked if not spec.get("single", True) else (picked[0] if picked else None)

    def grade(self, spec, response):
        answers = spec["answers"]
        picked = response if isinstance(response, list) else [response]
        try:
            idx = {int(i) for i in picked if i is not None and str(i) != ""}
        except (TypeError, ValueError):
            return Decimal(0)
        idx = {i for i in idx if 0 <= i < len(answers)}
        if spec.get("single", True):
            return clamp(Decimal(answers[next(iter(idx))]["fraction"])) if len(idx) == 1 else Decimal(0)
        return clamp(sum((Decimal(answers[i]["fraction"]) for i in idx), Decimal(0)))

    def best_response(self, spec):
        answers = spec["answers"]
        if spec.get("single", True):
            return max(range(len(answers)), key=lambda i: float(answers[i]["fraction"]))
        return [i for i, a in enumerate(answers) if float(a["fraction"]) > 0]

    def regradable(self, old, new):
        """A choice is stored as the option's position, so the options must keep their texts and their order: a
        key correction changes only which are right (and their feedback)."""
        return (_option_texts(old["answers"]) == _option_texts(new["answers"])
                and old.get("single") == new.get("single"))

    def lines_up(self, spec, other):
        """As many options, each position with the same mark; otherwise the shares would be credited to the wrong
        options."""
        return [a.get("fraction") for a in spec["answers"]] == [a.get("fraction") for a in other["answers"]]

    def option_shares(self, spec, responses):
        counts = [0] * len(spec["answers"])
        for r in responses:
            for i in (r if isinstance(r, list) else [r] if r is not None else []):
                if isinstance(i, int) and 0 <= i < len(counts):
                    counts[i] += 1
        n = len(responses)
        return [(a["text"], round(100 * c / n, 1)) for a, c in zip(spec["answers"], counts, strict=True)]

    # --- GIFT ---

    def gift_claims(self, answertext):
        return "~" in answertext

    def read_gift(self, q, answertext, fail):
        q["single"] = "=" in answertext
        parts = gs.split_answers(answertext.replace("=", "~="), "~", fail)
        if parts is None:
            return None
        if len(parts) < 2:
            fail("a multiple-choice question needs at least 2 answers")
            return None
        answers = [self._gift_answer(q, i, raw, fail) for i, raw in enumerate(parts, start=1)]
        if not all(answers):
            return None
        if not q["single"] and not any(Decimal(a["fraction"]) > 0 for a in answers):
            fail("a multiple-response question needs at least one answer with a positive weight")
            return None
        q["answers"] = answers
        return q

    @staticmethod
    def _gift_answer(q: dict, i: int, raw: str, fail) -> dict | None:
        """One answer: '=' right, else its %weight% (0 without one); None after reporting a weight that is not a
        Moodle grade."""
        raw = raw.strip()
        if raw.startswith("="):
            frac, raw = Decimal(1), raw[1:]
        else:
            w, raw = gs.weight(raw)
            frac = w if w is not None else Decimal(0)
        snapped = gs.fraction_or_fail(frac, fail, f"answer {i}")
        if snapped is None:
            return None
        (text, fmt), (fb, fb_fmt) = gs.comment(raw, q["format"])
        return {"text": text, "format": fmt, "fraction": snapped, "feedback": fb, "feedback_format": fb_fmt}

    def write_gift(self, q, fmt):
        lines = []
        for a in q["answers"]:
            if a["fraction"] == "1" and q["single"]:
                mark = "="
            elif a["fraction"] == "0":
                mark = "~"
            else:
                mark = f"~%{gs.pct(a['fraction'])}%"
            line = "\t" + mark + gs.write_text(a["text"], a.get("format", fmt), fmt)
            if a.get("feedback"):
                line += "#" + gs.write_text(a["feedback"], a.get("feedback_format", fmt), fmt)
            lines.append(line)
        return gs.answer_block(lines, q, fmt)

    # --- Moodle XML ---

    def read_xml(self, q, node, fail):
        fmt = q["format"]
        q["single"] = node.value("single", "true").lower() in ("true", "1")
        q["answers"] = []
        answers = node.findall("answer")
        for a in answers:
            t, f = xs.text(a, fmt)
            fb, fb_fmt = xs.text(a.find("feedback"), fmt)
            q["answers"].append({"text": t, "format": f, "fraction": xs.fraction(a.attrs.get("fraction"), a.line, fail)
                                 or "0", "feedback": fb, "feedback_format": fb_fmt})
        if len(answers) < 2:
            fail(node.line, "a multiple-choice question needs at least 2 answers")

    def write_xml(self, q, fmt):
        out = [f"    <single>{'true' if q['single'] else 'false'}</single>\n    <shuffleanswers>true</shuffleanswers>\n"]
        for a in q["answers"]:
            out.append(f'    <answer fraction="{gs.pct(a["fraction"])}" format="{xs.FMT_OUT[a.get("format", fmt)]}">'
                       f"<text>{escape(a['text'])}</text>\n")
            out.append(xs.feedback(a, fmt))
        return "".join(out)

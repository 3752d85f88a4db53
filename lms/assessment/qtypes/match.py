"""Matching: each item is matched with one answer from a list (Moodle's "matching"). Spec: ``pairs`` [{text,
format, answer}] (an empty text: a distractor answer). A response maps each item's position (among the items
with a text, as a string) to the answer chosen."""
from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l

from lms.assessment import giftsyntax as gs
from lms.assessment import xmlsyntax as xs
from lms.assessment.qtypes.base import QuestionType, register


def _items(spec: dict) -> list[dict]:
    """The pairs with an item to match (the others only add answers to choose from)."""
    return [p for p in spec["pairs"] if p["text"]]


@register
class Match(QuestionType):
    name, label = "match", _l("Matching")
    xml_name = "matching"

    def order(self, spec, rng=None, shuffle_answers=False):
        """The answers to choose from: sorted, and shuffled in an attempt whatever the exam's setting."""
        order = sorted({p["answer"] for p in spec["pairs"]})
        if rng is not None:
            rng.shuffle(order)
        return order

    def from_form(self, spec, key, form):
        """One select per item (``key-0``, ``key-1``, ...); a question left empty is sent too."""
        count = len(_items(spec))
        values = {str(i): form.get(f"{key}-{i}", "") for i in range(count)}
        return any(f"{key}-{i}" in form for i in range(count)), {k: v for k, v in values.items() if v}

    def clean(self, spec, response):
        if not isinstance(response, dict):
            return {}
        count = len(_items(spec))
        return {str(k): str(v)[:500] for k, v in response.items() if str(k).isdigit() and int(k) < count}

    def grade(self, spec, response):
        pairs = _items(spec)
        if not isinstance(response, dict) or not pairs:
            return Decimal(0)
        right = sum(1 for i, p in enumerate(pairs) if str(response.get(str(i), response.get(i, ""))) == p["answer"])
        return Decimal(right) / Decimal(len(pairs))

    def best_response(self, spec):
        return {str(i): p["answer"] for i, p in enumerate(_items(spec))}

    def regradable(self, old, new):
        """The items must stay (a response names them by position)."""
        return [p["text"] for p in old["pairs"]] == [p["text"] for p in new["pairs"]]

    # --- GIFT ---

    def gift_claims(self, answertext):
        return "=" in answertext and "->" in answertext

    def read_gift(self, q, answertext, fail):
        parts = gs.split_answers(answertext, "=", fail)
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
            text, fmt = gs.with_format(left.strip(), q["format"])
            pairs.append({"text": text, "format": fmt, "answer": gs.post(right).strip()})
        if sum(1 for p in pairs if p["text"]) < 2:
            fail("a matching question needs at least 2 pairs with a question (the others are distractors)")
            return None
        q["pairs"] = pairs
        return q

    def write_gift(self, q, fmt):
        lines = ["\t=" + gs.write_text(p["text"], p.get("format", fmt), fmt) + " -> " + gs.esc(p["answer"])
                 for p in q["pairs"]]
        return gs.answer_block(lines, q, fmt)

    # --- Moodle XML ---

    def read_xml(self, q, node, fail):
        q["pairs"] = []
        for sq in node.findall("subquestion"):
            t, f = xs.text(sq, q["format"])
            q["pairs"].append({"text": t, "format": f, "answer": sq.value("answer")})
        if len(_items(q)) < 2:
            fail(node.line, "a matching question needs at least 2 pairs")

    def write_xml(self, q, fmt):
        return "".join(f'    <subquestion format="{xs.FMT_OUT[p.get("format", fmt)]}"><text>{escape(p["text"])}</text>\n'
                       f"      <answer><text>{escape(p['answer'])}</text></answer>\n    </subquestion>\n"
                       for p in q["pairs"])

"""The question-type registry: one class per type, the one place to add a type.

Each type knows its label, whether a machine grades it, how to grade a response
(a fraction from 0 to 1, or None when a person must grade), and how to check a spec.
"""
from __future__ import annotations

import fnmatch
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

REGISTRY: dict[str, type[QuestionType]] = {}


def register(cls):
    REGISTRY[cls.name] = cls
    return cls


def get(name: str) -> type[QuestionType]:
    return REGISTRY[name]


def _clamp(x: Decimal) -> Decimal:
    return max(Decimal(0), min(Decimal(1), x))


class QuestionType:
    name = ""
    label = ""
    auto_graded = True
    graded = True

    @classmethod
    def grade(cls, spec: dict, response) -> Decimal | None:
        raise NotImplementedError


@register
class MultiChoice(QuestionType):
    name, label = "multichoice", _l("Multiple choice")

    @classmethod
    def grade(cls, spec, response):
        answers = spec["answers"]
        picked = response if isinstance(response, list) else [response]
        try:
            idx = {int(i) for i in picked if i is not None and str(i) != ""}
        except (TypeError, ValueError):
            return Decimal(0)
        idx = {i for i in idx if 0 <= i < len(answers)}
        if spec.get("single", True):
            return _clamp(Decimal(answers[next(iter(idx))]["fraction"])) if len(idx) == 1 else Decimal(0)
        return _clamp(sum((Decimal(answers[i]["fraction"]) for i in idx), Decimal(0)))


@register
class TrueFalse(QuestionType):
    name, label = "truefalse", _l("True/false")

    @classmethod
    def grade(cls, spec, response):
        if response in (None, ""):
            return Decimal(0)
        value = response if isinstance(response, bool) else str(response).lower() in ("1", "true", "t")
        return Decimal(1) if value == spec["correct"] else Decimal(0)


@register
class ShortAnswer(QuestionType):
    name, label = "shortanswer", _l("Short answer")

    @classmethod
    def grade(cls, spec, response):
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
                return _clamp(Decimal(a["fraction"]))
        return Decimal(0)


@register
class Numerical(QuestionType):
    name, label = "numerical", _l("Numerical")

    @classmethod
    def grade(cls, spec, response):
        try:
            x = Decimal(str(response).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            return Decimal(0)
        if not x.is_finite():
            return Decimal(0)
        for a in spec["answers"]:
            if a["value"] == "*":
                return _clamp(Decimal(a["fraction"]))
            if abs(x - Decimal(a["value"])) <= Decimal(a["tolerance"]):
                return _clamp(Decimal(a["fraction"]))
        return Decimal(0)


@register
class Match(QuestionType):
    name, label = "match", _l("Matching")

    @classmethod
    def grade(cls, spec, response):
        pairs = [p for p in spec["pairs"] if p["text"]]
        if not isinstance(response, dict) or not pairs:
            return Decimal(0)
        right = sum(1 for i, p in enumerate(pairs) if str(response.get(str(i), response.get(i, ""))) == p["answer"])
        return Decimal(right) / Decimal(len(pairs))


@register
class Essay(QuestionType):
    name, label = "essay", _l("Essay")
    auto_graded = False

    @classmethod
    def grade(cls, spec, response):
        """A person grades an answer; an essay left blank is "not answered" and gets no marks at once, as in
        Moodle, rather than waiting in the queue (an instructor can still change its mark on the review)."""
        if response is None or (isinstance(response, str) and not response.strip()):
            return Decimal(0)
        return None


@register
class Description(QuestionType):
    name, label = "description", _l("Description")
    auto_graded = False
    graded = False

    @classmethod
    def grade(cls, spec, response):
        return None

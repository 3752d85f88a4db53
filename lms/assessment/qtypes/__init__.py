"""The question types: one class per type, in a module of its own, owning everything that differs between types
(its form on the attempt page and its review, in the type's template; reading the form; cleaning and grading a
response; regrading and item analysis; reading and writing its answers in GIFT and Moodle XML). Callers ask the
registry for the type of a spec and never branch on the type's name.

To add a type: write a module here with a ``QuestionType`` subclass decorated with ``@register``, import it
below, add it to ``GIFT_ORDER`` if GIFT can write it, and write its template ``assessment/qtypes/<name>.html``.
"""
from __future__ import annotations

# each type registers itself when its module is imported
from lms.assessment.qtypes import (  # noqa: F401
    description,
    essay,
    match,
    multichoice,
    numerical,
    shortanswer,
    truefalse,
)
from lms.assessment.qtypes.base import REGISTRY, QuestionType, register

__all__ = ["GIFT_ORDER", "REGISTRY", "QuestionType", "by_xml_name", "get", "gift_type", "names", "of", "register"]

# Moodle's GIFT reader tells the type from the answer block, trying the types in this order (qformat_gift):
# no answer block, an empty one, '#...', one with '~', '=' with '->', T/F, anything else
GIFT_ORDER = tuple(REGISTRY[n] for n in ("description", "essay", "numerical", "multichoice", "match", "truefalse",
                                         "shortanswer"))


def get(name: str) -> QuestionType:
    """The type of this name (KeyError for an unknown one)."""
    return REGISTRY[name]


def of(spec: dict) -> QuestionType:
    """The type of a question's spec."""
    return REGISTRY[spec["qtype"]]


def gift_type(answertext: str | None) -> QuestionType:
    """The type of a GIFT question by its answer block (None: it has none)."""
    for qtype in GIFT_ORDER:
        if qtype.gift_claims(answertext):
            return qtype
    raise LookupError(answertext)         # never: a short answer claims any answer block


def by_xml_name(name: str) -> QuestionType | None:
    """The type Moodle XML calls ``name``, or None when there is none."""
    return next((t for t in REGISTRY.values() if t.xml_name == name), None)


def names(**flags) -> list[str]:
    """The names of the types whose attributes have these values, e.g. ``names(graded=False)``."""
    return [n for n, t in REGISTRY.items() if all(getattr(t, k) == v for k, v in flags.items())]

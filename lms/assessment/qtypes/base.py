"""What every question type answers, with the answers most types share; the registry the types enter."""
from __future__ import annotations

import random
from decimal import Decimal

from flask import current_app

REGISTRY: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Enter a type in the registry under its ``name`` (the name stored in every version's spec)."""
    cls.xml_name = cls.xml_name or cls.name
    REGISTRY[cls.name] = cls()
    return cls


def clamp(x: Decimal) -> Decimal:
    return max(Decimal(0), min(Decimal(1), x))


class QuestionType:
    """One kind of question. A question itself is a plain dict, its *spec* (see ``lms.assessment.gift``), stored
    in each version; the type holds no state, only what to do with a spec of its kind."""

    name = ""                   # stored in the spec ("qtype") and in QuestionVersion.qtype
    xml_name = ""               # the name in Moodle XML's <question type="..."> (the same unless set)
    label = ""                  # the name people read (lazily translated)
    auto_graded = True          # graded when the attempt is submitted
    graded = True               # carries marks (a description does not)
    xml_only: tuple[str, ...] = ()   # spec keys Moodle XML carries and GIFT cannot write (a browser edit keeps them)
    cut_by_option = False       # the attempt page cuts its cached field around each option (see exam_views)

    @property
    def template(self) -> str:
        """The template of the type's macros: ``field`` (the attempt page), ``preview`` (the bank), and on the
        review ``response`` (the answer given), ``feedback`` (on that answer) and ``key`` (the right answer)."""
        return f"assessment/qtypes/{self.name}.html"

    @property
    def macros(self):
        """The macros of the type's template, as pages call them (``qtype(name).macros.field(...)``); Jinja keeps
        the module, where an ``{% import %}`` per question would build a context each time."""
        return current_app.jinja_env.get_template(self.template).module

    @property
    def person_graded(self) -> bool:
        """Whether a person grades its answers (they wait in the grading queue)."""
        return self.graded and not self.auto_graded

    # --- an attempt ---

    def order(self, spec: dict, rng: random.Random | None = None, shuffle_answers: bool = False) -> list | None:
        """The order an attempt shows the choices in (stored with the attempt's item), shuffled with ``rng``
        when given; None when the type has no choices to order."""
        return None

    def from_form(self, spec: dict, key: str, form) -> tuple[bool, object]:
        """(whether the form sent an answer to the question named ``key``, the answer as the page's script would
        send it)."""
        return key in form, form.get(key)

    def clean(self, spec: dict, response):
        """Keep only what the type can use from a response (never trust the browser's shape)."""
        return str(response or "")[:50_000]

    def grade(self, spec: dict, response) -> Decimal | None:
        """The share of the marks a (cleaned) response gets, from 0 to 1; None when a person must grade it."""
        raise NotImplementedError

    def best_response(self, spec: dict):
        """A response that gets the full marks (the demo's holder sits the exams with it); None if there is none."""
        return None

    # --- regrading and item analysis ---

    def regradable(self, old: dict, new: dict) -> bool:
        """Whether the key of ``new`` (a later version of the same type) can regrade responses to ``old``: the
        responses must still mean the same."""
        return False

    def lines_up(self, spec: dict, other: dict) -> bool:
        """Whether responses to ``other`` (a translation, an earlier version; the same type) count as responses
        to ``spec`` in the item analysis."""
        return True

    def option_shares(self, spec: dict, responses: list) -> list[tuple[str, float]]:
        """(option, share of the responses that chose it, %) for the item analysis; empty without options."""
        return []

    # --- GIFT (the reader and writer of the rest of the question are in lms.assessment.gift) ---

    def gift_claims(self, answertext: str | None) -> bool:
        """Whether an answer block (None: the question has none) is of this type, asked in ``GIFT_ORDER``."""
        return False

    def read_gift(self, q: dict, answertext: str, fail) -> dict | None:
        """``q`` (the question's common keys) completed from its answer block; None after ``fail(reason)``."""
        return q

    def write_gift(self, q: dict, fmt: str) -> str:
        """The answer block, as written after the question's text (``fmt``: the text's format)."""
        raise NotImplementedError

    # --- Moodle XML (the rest of the question: lms.assessment.moodlexml) ---

    def read_xml(self, q: dict, node, fail) -> None:
        """Complete ``q`` from the type's elements of ``<question>``; problems go to ``fail(line, reason)``."""

    def write_xml(self, q: dict, fmt: str) -> str:
        """The type's elements of ``<question>``."""
        return ""

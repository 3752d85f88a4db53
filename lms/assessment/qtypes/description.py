"""Description: text with no answer and no marks (a case the next questions share). Spec: nothing more."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.assessment.qtypes.base import QuestionType, register


@register
class Description(QuestionType):
    name, label = "description", _l("Description")
    auto_graded = False
    graded = False

    def clean(self, spec, response):
        return None

    def grade(self, spec, response):
        return None

    # --- GIFT: a question without an answer block ---

    def gift_claims(self, answertext):
        return answertext is None

    def write_gift(self, q, fmt):
        return "\n"

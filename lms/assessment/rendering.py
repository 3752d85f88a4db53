"""Question text in its format (moodle, plain, html, markdown) → safe HTML."""
from __future__ import annotations

import nh3
from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.catalog.markdown import render_markdown


def render_text(text: str | None, fmt: str = "moodle") -> Markup:
    if not text:
        return Markup("")
    if fmt == "markdown":
        return render_markdown(text)
    if fmt == "html":
        return Markup(nh3.clean(text, link_rel="noopener noreferrer nofollow", url_schemes={"http", "https", "mailto"}))
    # moodle and plain: text with line breaks kept
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def question_source(spec: dict) -> str:
    """One question as GIFT, for the browser editor (without the $CATEGORY line)."""
    from lms.assessment.gift import export_gift
    text = export_gift([{**spec, "category": [], "context": "$course$"}])
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(("$CATEGORY:", "// category:", "// question:"))).strip() + "\n"


def attempt_labels() -> dict[str, str]:
    """The repeated words of a question's form (the attempt page, an instructor's try-out), translated once per
    page rather than once per question."""
    return {"question": _("Question %(n)d"), "marks": _("marks: %(m)s"), "true": _("True"), "false": _("False"),
            "answer": _("Your answer"), "match": _("Match for item %(n)d"), "choose": _("Choose…"),
            "saved": _("Saved"), "flag": _("Flag for review")}

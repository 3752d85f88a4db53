"""The pieces of Moodle's GIFT syntax (qformat_gift) that the reader, the writer and every question type share:
escaped characters, a text's ``[format]`` prefix, an answer's ``%weight%`` and ``#feedback``, answer lists, and
Moodle's grade options. The question types (``lms.assessment.qtypes``) read and write their answer blocks with
these; ``lms.assessment.gift`` reads and writes the rest of a question.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from lms.limits import IMPORT_MAX_ANSWERS

FORMATS = ("moodle", "html", "plain", "markdown")

# Moodle's grade options (question_bank::fraction_options_full), as 7-decimal strings
_OPTIONS = ["1", "0.9", "0.8333333", "0.8", "0.75", "0.7", "0.6666667", "0.6", "0.5", "0.4", "0.3333333", "0.3",
            "0.25", "0.2", "0.1666667", "0.1428571", "0.125", "0.1111111", "0.1", "0.05", "0"]
FRACTIONS = _OPTIONS + ["-" + f for f in _OPTIONS if f != "0"]

_WEIGHT_RE = re.compile(r"^%(-*)([0-9]{1,3})\.?([0-9]*)%")

# private-use placeholders for escaped characters (cannot occur in real text)
_ESC = {"\\:": "\ue03a", "\\#": "\ue023", "\\=": "\ue03d", "\\{": "\ue07b", "\\}": "\ue07d", "\\~": "\ue07e",
        "\\n": "\ue00a"}
_UNESC = {"\ue03a": ":", "\ue023": "#", "\ue03d": "=", "\ue07b": "{", "\ue07d": "}", "\ue07e": "~", "\ue00a": "\n"}
_BACKSLASH = "\ue05c"


def too_many_answers() -> str:
    return _("more than %(n)d answers in one question", n=IMPORT_MAX_ANSWERS)


def snap_fraction(value: Decimal) -> str | None:
    """The Moodle grade option equal to ``value`` (to within 0.00001), or None."""
    for opt in FRACTIONS:
        if abs(Decimal(opt) - value) < Decimal("0.00001"):
            return opt
    return None


# --- reading ---

def pre(text: str) -> str:
    """Escaped characters replaced by placeholders, so that the syntax can be split on the real ones."""
    text = text.replace("\\\\", _BACKSLASH)
    for k, v in _ESC.items():
        text = text.replace(k, v)
    return text.replace(_BACKSLASH, "\\")


def post(text: str) -> str:
    """The placeholders of ``pre`` turned back into the characters they stand for."""
    for k, v in _UNESC.items():
        text = text.replace(k, v)
    return text


def with_format(text: str, default: str) -> tuple[str, str]:
    """A text and its format: a leading ``[html]`` (etc.) names it, else ``default``."""
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in FORMATS:
            fmt = text[1:end]
            text = text[end + 1:]
    return post(text).strip(), fmt


def comment(answer: str, default: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """An answer and its feedback (after '#'), each with its format."""
    bits = answer.split("#", 1)
    ans = with_format(bits[0].strip(), default)
    fb = with_format(bits[1].strip(), default) if len(bits) > 1 else ("", default)
    return ans, fb


def weight(answer: str) -> tuple[Decimal | None, str]:
    """An answer's leading ``%50%`` as a fraction (None without one), and the rest of the answer."""
    m = _WEIGHT_RE.match(answer)
    if not m:
        return None, answer
    end = answer.index("%", 1)
    raw = answer[1:end]
    try:
        value = Decimal(raw) / 100
    except InvalidOperation:
        return None, answer
    return value, answer[end + 1:]


def split_answers(answertext: str, sep: str, fail) -> list[str] | None:
    """The answers of an answer block, split at ``sep`` (a leading empty one dropped); None after reporting more
    than IMPORT_MAX_ANSWERS. Splits no further than one past the limit."""
    parts = answertext.split(sep, IMPORT_MAX_ANSWERS + 1)
    if parts and parts[0].strip() == "":
        parts = parts[1:]
    if len(parts) > IMPORT_MAX_ANSWERS:
        fail(too_many_answers())
        return None
    return parts


def fraction_or_fail(value: Decimal, fail, where: str) -> str | None:
    """The Moodle grade option equal to ``value``; None after reporting that it is none of them."""
    snapped = snap_fraction(value)
    if snapped is None:
        fail(f"{where}: the weight {format((value * 100).normalize(), 'f')}% is not one of Moodle's grades "
             "(100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571, "
             "12.5, 11.11111, 10, 5, 0 and their negatives)")
    return snapped


def weighted_answers(answertext: str, q: dict, fail, empty_message: str):
    """The '='-separated answers of a short-answer or numerical question, each with its grade
    (100% unless a %weight% says otherwise) and feedback; None after reporting a problem."""
    parts = split_answers(answertext, "=", fail)
    if parts is None:
        return None
    if not parts:
        fail(empty_message)
        return None
    out = []
    for i, raw in enumerate(parts, start=1):
        w, raw = weight(raw.strip())
        snapped = fraction_or_fail(w if w is not None else Decimal(1), fail, f"answer {i}")
        if snapped is None:
            return None
        (text, _fmt), (fb, fb_fmt) = comment(raw, q["format"])
        out.append((i, text, snapped, fb, fb_fmt))
    return out


def number(text: str) -> Decimal | None:
    """A finite number, or None."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def dec(value: Decimal) -> str:
    """A number as the spec stores it: no exponent, no trailing zeros, never "-0"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


# --- writing ---

def esc(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "#=~{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", "").replace("\n", "\\n")


def write_text(text: str, fmt: str, default: str = "moodle") -> str:
    """A text escaped, with its ``[format]`` when it differs from the question's."""
    prefix = f"[{fmt}]" if text and fmt != default else ""
    return prefix + esc(text)


def pct(fraction: str) -> str:
    """A fraction ("0.5") as the percent GIFT and Moodle XML write ("50")."""
    return format((Decimal(fraction) * 100).normalize(), "f")


def general_feedback(q: dict, fmt: str, indent: str) -> str:
    """The question's general feedback as the end of its answer block (``####...``), or nothing."""
    g = write_text(q.get("general_feedback") or "", q.get("general_feedback_format", fmt), fmt)
    return f"{indent}####{g}" + ("\n" if indent else "") if g else ""


def answer_block(lines: list[str], q: dict, fmt: str, opening: str = "{") -> str:
    """An answer block of one answer a line, as Moodle writes it, with the general feedback last."""
    return opening + "\n" + "\n".join(lines) + "\n" + general_feedback(q, fmt, "\t") + "}\n"

"""Aiken import (Moodle's qformat_aiken): single-answer multiple choice, one question after another.

    Which route turns a patent into shares?
    A) Licence
    B. Capital contribution
    ANSWER: B
"""
from __future__ import annotations

import re

from lms.assessment.gift import GiftError, GiftResult, _lines, too_many_lines
from lms.assessment.giftsyntax import too_many_answers
from lms.limits import IMPORT_MAX_ANSWERS, IMPORT_MAX_QUESTION_LINES

_OPTION = re.compile(r"^([A-Z])[.)][ \t]+(.*)$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*([A-Z])\s*$")


def parse_aiken(text: str) -> GiftResult:
    """Parse an Aiken file; every problem with its line, nothing raises. A question with more than
    IMPORT_MAX_ANSWERS options or IMPORT_MAX_QUESTION_LINES lines is skipped to its ANSWER line; reading stops
    at the limits of GiftResult.full."""
    result = GiftResult()
    qtext: list[str] = []
    options: list[tuple[str, str]] = []
    start = None
    skipping = False
    for n, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        if not line:
            continue
        m_answer = _ANSWER.match(line)
        if skipping:
            skipping = m_answer is None
            continue
        if start is None:
            start = n
        m_option = _OPTION.match(line)
        too_long = (m_option and qtext and len(options) >= IMPORT_MAX_ANSWERS) or len(qtext) >= IMPORT_MAX_QUESTION_LINES
        if m_answer:
            _question(result, qtext, options, start, n, m_answer.group(1))
            qtext, options, start = [], [], None
        elif too_long:
            result.errors.append(GiftError(start, too_many_answers() if options else too_many_lines()))
            qtext, options, start, skipping = [], [], None, True
        elif m_option and qtext:
            options.append((m_option.group(1), m_option.group(2).strip()))
            continue
        elif options:
            result.errors.append(GiftError(n, "text after the options: each question ends with an 'ANSWER: X' line"))
            qtext, options, start = [], [], None
        else:
            qtext.append(line)
            continue
        if result.full(n):
            return result
    if qtext or options:
        result.errors.append(GiftError(start or 1, "the last question has no 'ANSWER: X' line"))
    return result


def _question(result: GiftResult, qtext: list[str], options: list[tuple[str, str]], start, n: int, letter: str):
    letters = [o[0] for o in options]
    if not qtext:
        result.errors.append(GiftError(n, "an ANSWER line without a question before it"))
    elif len(options) < 2:
        result.errors.append(GiftError(start, "a question needs at least 2 options (A) ... B) ...)"))
    elif letter not in letters:
        result.errors.append(GiftError(n, f"the answer {letter} is not one of the options {', '.join(letters)}"))
    else:
        body = " ".join(qtext)
        result.questions.append({
            "name": body[:80], "text": body, "format": "moodle", "general_feedback": "",
            "general_feedback_format": "moodle", "idnumber": None, "tags": [], "category": [],
            "context": "$course$", "line": start, "qtype": "multichoice", "single": True,
            "answers": [{"text": t, "format": "moodle", "fraction": "1" if k == letter else "0",
                         "feedback": "", "feedback_format": "moodle"} for k, t in options]})

"""Cells of the CSV files people open in a spreadsheet. Text that a spreadsheet would take for a formula (it
starts with = + - @, a tab or a carriage return) is written with a leading apostrophe, as OWASP advises against
CSV injection: a trainee's name, an option's text or an uploaded value never runs as a formula on an
instructor's or an employer's computer. Numbers are left as they are."""
from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cells(values) -> list:
    return [cell(v) for v in values]

"""Declared schemas for content files: the shapes they share, and the one conversion of a schema's errors into
``file:line: reason``.

Each file kind (framework, course, lesson, quiz, brief, rubric, programme) is a pydantic model next to its
parser; the model is the reference of that file's fields. The shapes several kinds share live here: a
bilingual ``{en, zh}`` text, a text of bounded length, a whole number or a number in a range, a list of keys.

A field's message is made from its location: ``<where>: <reason>``, where ``where`` comes from the models'
``where`` (``"criterion {qkey}"``: ``{n}`` is the item's position, ``{key}`` its ``key`` or ``code``,
``{qkey}`` the same quoted, ``{parent}`` the enclosing label) and the line from :mod:`lms.content`'s line map.
Rules across fields are model validators; they report every issue they find with :func:`issues`.
"""
from __future__ import annotations

import re
import typing
from collections.abc import Hashable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, WrapValidator
from pydantic_core import PydanticCustomError

from lms.content import ContentError, ContentInvalid, line_of
from lms.limits import MAX_ERRORS, excerpt

LANGS = ("en", "zh")


class ContentModel(BaseModel):
    """A part of a content file: unknown keys are errors; ``where`` names it in messages."""
    model_config = ConfigDict(extra="forbid", validate_default=True)
    where: ClassVar[str] = ""
    not_mapping: ClassVar[str] = "the file must be a mapping"


# ---------------------------------------------------------------- errors


def problem(reason: str, *, full: bool = False) -> PydanticCustomError:
    """A plain reason. ``{field}`` in it becomes the field's name; ``full`` reasons get no ``where:`` prefix."""
    return PydanticCustomError("content", "{reason}", {"reason": reason, "full": full})


def issues(found: Iterable[tuple]) -> None:
    """Raise at once every issue a model validator found: ``(location below the model, reason)``, the reason
    then told after the ``where`` of that location, or ``(location, message, True)`` for a whole message."""
    found = list(found)
    if found:
        raise ValidationError.from_exception_data("content", [
            {"type": problem(item[1], full=len(item) > 2 and item[2]), "loc": item[0], "input": None}
            for item in found])


def said(message: str) -> WrapValidator:
    """Any error of this value is told as ``message`` (e.g. "'{field}' must be a whole number from 0 to 100")."""
    def wrap(value, handler):
        try:
            return handler(value)
        except ValidationError:
            raise problem(message) from None
    return WrapValidator(wrap)


def _again(err: dict) -> dict:
    """An error of a validation, to be raised again with others."""
    ctx = err.get("ctx") or {}
    if err["type"] == "content":
        return {"type": problem(ctx["reason"], full=ctx["full"]), "loc": err["loc"], "input": err["input"]}
    return {"type": err["type"], "loc": err["loc"], "input": err["input"], **({"ctx": ctx} if ctx else {})}


def _checked(value, handler, found: list[dict]):
    """``handler(value)``, its errors listed after ``found`` (errors a list's own rule found in it)."""
    try:
        result = handler(value)
    except ValidationError as exc:
        found = found + [_again(err) for err in exc.errors(include_url=False)]
    if found:
        raise ValidationError.from_exception_data("content", found)
    return result


def at_least(n: int, message: str) -> WrapValidator:
    """A list of at least ``n`` items, told as ``message``; a list too short still has its items checked, and
    their errors are listed too."""
    def wrap(value, handler):
        if not isinstance(value, list):
            raise problem(message)
        return _checked(value, handler, [{"type": problem(message), "loc": (), "input": value}] if len(value) < n else [])
    return WrapValidator(wrap)


def distinct(field: str, message: str = "the key {value} is used twice") -> WrapValidator:
    """A list whose items' ``field`` (a key, a code) differ; each repetition is told (``{value}``: the key) at the
    item, with the items' other errors."""
    def wrap(value, handler):
        found, seen = [], set()
        for i, item in enumerate(value if isinstance(value, list) else []):
            key = item.get(field) if isinstance(item, dict) else None
            if key is not None and isinstance(key, Hashable):
                if key in seen:
                    found.append({"type": problem(message.replace("{value}", excerpt(key))), "loc": (i, field),
                                  "input": key})
                seen.add(key)
        return _checked(value, handler, found)
    return WrapValidator(wrap)


# ---------------------------------------------------------------- shapes


def text(max_len: int = 200) -> Any:
    """Text (a number is taken as its text), stripped, at most ``max_len`` characters."""
    def check(value):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise problem("'{field}' must be text")
        value = str(value).strip()
        if len(value) > max_len:
            raise problem(f"'{{field}}' is longer than {max_len} characters")
        return value
    return Annotated[str, BeforeValidator(check)]


def _lang_text(value, lang: str, max_len: int) -> str | None:
    if value is not None and not isinstance(value, str):
        raise problem(f"'{{field}}.{lang}' must be text")
    value = value.strip() if value else None
    if value and len(value) > max_len:
        raise problem(f"'{{field}}.{lang}' is longer than {max_len} characters")
    return value or None


def matching(pattern: re.Pattern, message: str) -> Any:
    """Text matching ``pattern`` (a key, a code); ``message`` says what it may hold (``{value}``: the value)."""
    def check(value):
        if not isinstance(value, str) or not pattern.match(value):
            raise problem(message.replace("{value}", excerpt(value)))
        return value
    return Annotated[str, BeforeValidator(check)]


def bilingual(max_len: int = 2000, required: bool = True, both: bool = False) -> Any:
    """A ``{en: ..., zh: ...}`` pair, returned as ``{"en": str | None, "zh": str | None}``; when ``required``,
    at least one language (``both``: both, once one is given). Declare it with a default of None."""
    def check(value):
        if value is None:
            if required:
                raise problem("'{field}' is missing (a mapping with 'en' and/or 'zh')")
            return {"en": None, "zh": None}
        if not isinstance(value, dict):
            plain = ", not plain text" if isinstance(value, str) else ""
            raise problem(f"'{{field}}' must be a mapping with 'en' and/or 'zh'{plain}")
        unknown = sorted((k for k in value if k not in LANGS), key=str)
        if unknown:
            raise problem(f"'{{field}}' has unknown language {excerpt(unknown[0])} (use en, zh)")
        pair = {lang: _lang_text(value.get(lang), lang, max_len) for lang in LANGS}
        if required and not (pair["en"] or pair["zh"]):
            raise problem("'{field}' needs at least one of 'en' or 'zh'")
        for lang, name in (("en", "English"), ("zh", "Chinese")):
            if both and not pair[lang] and (pair["en"] or pair["zh"]):
                raise problem(f"'{{field}}' has no {name} text ('{{field}}.{lang}' is missing)")
        return pair
    return Annotated[dict, BeforeValidator(check)]


def whole(lo: int, hi: int) -> Any:
    """A whole number from ``lo`` to ``hi`` (true and false are not numbers)."""
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise problem(f"'{{field}}' must be a whole number from {lo} to {hi}")
        return value
    return Annotated[int, BeforeValidator(check)]


def number(lo: float, hi: float) -> Any:
    """A number (whole or not) from ``lo`` to ``hi``."""
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise problem(f"'{{field}}' must be a number from {lo} to {hi}")
        return value
    return Annotated[int | float, BeforeValidator(check)]


def amount(lo: int, hi: int) -> Any:
    """A decimal number from ``lo`` to ``hi`` (hours), kept exactly as written; a whole one without decimals."""
    def check(value):
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            d = Decimal(str(value))
            if not d.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise problem(f"'{{field}}' must be a number between {lo} and {hi}, not {excerpt(value)}") from None
        if not lo <= d <= hi:
            raise problem(f"'{{field}}' must be a number between {lo} and {hi}")
        return d.normalize() if d == d.to_integral() else d
    return Annotated[Decimal, BeforeValidator(check)]


def one_of(choices: Iterable[str], message: str = "'{field}' must be one of {choices}") -> Any:
    """One of ``choices``; ``message`` may name ``{value}`` (quoted) and ``{choices}``."""
    choices = tuple(choices)

    def check(value):
        if not isinstance(value, str) or value not in choices:
            raise problem(message.replace("{choices}", ", ".join(choices)).replace("{value}", excerpt(value)))
        return value
    return Annotated[str, BeforeValidator(check)]


def known(name: str, message: str) -> Any:
    """A reference to something that exists: one of the validation context's ``name`` (a set). ``message`` may
    name ``{value}`` (quoted) and ``{known}`` (the context's ``shown_<name>`` if given, else ``name``)."""
    def check(value, info: ValidationInfo):
        found = info.context[name]
        if not isinstance(value, str) or value not in found:
            shown = info.context.get(f"shown_{name}", found)
            raise problem(message.replace("{known}", ", ".join(sorted(shown)) or "none")
                          .replace("{value}", excerpt(value)))
        return value
    return Annotated[str, BeforeValidator(check)]


def flag() -> Any:
    """true or false."""
    def check(value):
        if not isinstance(value, bool):
            raise problem("'{field}' must be true or false")
        return value
    return Annotated[bool, BeforeValidator(check)]


def shape(kind: type, message: str, min_len: int = 0) -> BeforeValidator:
    """A list (or mapping) of at least ``min_len`` items, told as ``message`` when it is not; its items are
    then checked one by one. When it may be empty, an empty value (``key:`` alone) reads as an empty one."""
    def check(value):
        if value is None and min_len == 0:
            return kind()
        if not isinstance(value, kind) or len(value) < min_len:
            raise problem(message)
        return value
    return BeforeValidator(check)


# ---------------------------------------------------------------- error → file:line: reason


def _inner_model(annotation) -> type[ContentModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _label(model: type[ContentModel], node, index: int | None, parent: str) -> str:
    if not model.where:
        return parent
    key = None
    if isinstance(node, dict):
        key = next((node[k] for k in ("key", "code") if isinstance(node.get(k), str | int)
                    and not isinstance(node.get(k), bool)), None)
    n = index + 1 if index is not None else ""
    return model.where.format(n=n, key=key if key is not None else n,
                              qkey=excerpt(key) if key is not None else n, parent=parent)


def _child(node, part):
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _walk(model: type[ContentModel], data, loc: tuple) -> tuple[str, object, object, object, object]:
    """Follow ``loc`` in the models and the data: the label of the innermost model, the mapping or list that
    holds the value in error, its key or index there, the same as the message names it (None for an item
    named by the label), and the key of that list."""
    label = _label(model, data, None, "")
    node, pending, above, last = data, None, None, len(loc) - 1
    for i, part in enumerate(loc):
        value = _child(node, part)
        if isinstance(part, str) and part in model.model_fields:     # a field: a model, or a list of them
            pending = _inner_model(model.model_fields[part].annotation)
            if pending is not None and isinstance(value, dict) and i < last:
                model, label, pending = pending, _label(pending, value, None, label), None
        elif isinstance(part, int) and pending is not None:          # an item of a list of models
            model, label, pending = pending, _label(pending, value, part, label), None
            if i == last:
                return label, node, part, None if model.where else part, above
        if i == last or not isinstance(value, dict | list):
            return label, node, part, part, above
        node, above = value, part
    return label, node, None, None, above


_PLAIN = {
    "missing": "'{field}' is missing",
    "model_type": "'{field}' must be a mapping", "dict_type": "'{field}' must be a mapping",
    "model_attributes_type": "'{field}' must be a mapping",
    "list_type": "'{field}' must be a list", "string_type": "'{field}' must be text",
    "bool_type": "'{field}' must be true or false", "bool_parsing": "'{field}' must be true or false",
    "int_type": "'{field}' must be a whole number", "int_parsing": "'{field}' must be a whole number",
    "float_type": "'{field}' must be a number", "float_parsing": "'{field}' must be a number",
    "too_short": "'{field}' must not be empty",
}


def _reason(err: dict, field, above, label: str, at_root: bool) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        reason = f"unknown key {excerpt(field)}"
        return reason if at_root else f"{label}: {reason}"
    if kind == "content":
        reason, full = ctx["reason"], ctx.get("full")
    else:
        reason, full = _PLAIN.get(kind, "'{field}': " + err["msg"]), False
    if field is None:               # an item named by its label: "section 1: must be a mapping"
        reason = reason.replace("'{field}' ", "")
    elif isinstance(field, int):    # an item of a list of values: "'deliverables' item 1 must be …"
        reason = reason.replace("'{field}'", f"'{above}' item {field + 1}").replace("{field}", f"{above}[{field + 1}]")
    reason = reason.replace("{field}", str(field))
    if full or not label:
        return reason
    return f"{label}: {reason}"


def errors_of(exc: ValidationError, model: type[ContentModel], data, file: str) -> list[ContentError]:
    """Every error of a validation, as ``file:line: reason``, in the order of the file's lines."""
    found = []
    for err in exc.errors(include_url=False)[:MAX_ERRORS + 1]:
        loc = tuple(err["loc"])
        label, node, part, field, above = _walk(model, data, loc)
        reason = _reason(err, field, above, label, at_root=len(loc) <= 1)
        found.append((line_of(node, part), err["type"] != "extra_forbidden", reason))
    found.sort(key=lambda item: (item[0] or 0, item[1]))
    return [ContentError(file, line, reason) for line, _order, reason in found]


def validate(model: type[ContentModel], data, file: str, context: dict | None = None,
             errors: list[ContentError] | None = None):
    """The file's data checked by its model; raises ContentInvalid listing every error with its line (after
    ``errors``, those the caller found outside the data, e.g. in the file's name)."""
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(file, 1, model.not_mapping)])
    try:
        checked = model.model_validate(data, context=context or {})
    except ValidationError as exc:
        raise ContentInvalid((errors or []) + errors_of(exc, model, data, file)) from None
    if errors:
        raise ContentInvalid(errors)
    return checked

"""Reading content files with line numbers, so every error names the file, the line and the reason."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask_babel import gettext as _

from lms.limits import (
    EXCERPT_CHARS,
    MAX_ERRORS,
    MAX_REASON_CHARS,
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    YAML_MAX_NODES,
    excerpt,
)


@dataclass
class ContentError:
    file: str
    line: int | None
    reason: str

    def __post_init__(self) -> None:        # a message quotes an excerpt of a value, never a whole one
        self.file = self.file[:200]
        if len(self.reason) > MAX_REASON_CHARS:
            self.reason = self.reason[:MAX_REASON_CHARS] + "…"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class ContentInvalid(Exception):
    """Raised when one or more files are wrong; nothing has been changed."""

    def __init__(self, errors: list[ContentError]):
        if len(errors) > MAX_ERRORS:        # the first ones, and that there are more
            errors = errors[:MAX_ERRORS] + [ContentError(errors[MAX_ERRORS].file, None,
                                                         _("… and more errors; correct these first"))]
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class LDict(dict):
    line: int = 0
    key_lines: dict


class LList(list):
    line: int = 0
    item_lines: list


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader, on LibYAML's parser where PyYAML has it (about ten times faster than the pure-Python
    one; the marks, and so the line numbers, are the same)."""


def _map(loader, node):
    loader.flatten_mapping(node)
    d = LDict()
    d.line = node.start_mark.line + 1
    d.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.MarkedYAMLError("while reading a mapping", node.start_mark,
                                       "a key must be text or a number", key_node.start_mark)
        if key in d:
            raise yaml.MarkedYAMLError("while reading a mapping", node.start_mark,
                                       f"duplicate key {excerpt(key)}", key_node.start_mark)
        d[key] = loader.construct_object(value_node, deep=True)
        d.key_lines[key] = value_node.start_mark.line + 1
    return d


def _seq(loader, node):
    items = LList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _seq)


def _bounded(text: str, file: str, line_offset: int) -> None:
    """Refuse, before anything is built, a text over YAML_MAX_BYTES, an anchor or alias (with them a few hundred
    bytes name gigabytes of nodes), more than YAML_MAX_NODES values (keys, values, lists and mappings: each costs
the parser a few hundred bytes), and lists or mappings nested deeper than YAML_MAX_DEPTH. Reads the parser's
    events (``yaml.parse``), which hold no more than the text."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > YAML_MAX_BYTES:
        raise ContentInvalid([ContentError(file, None, _("the text is %(size)d bytes long; at most %(max)d are "
                                                         "accepted", size=size, max=YAML_MAX_BYTES))])
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 + line_offset
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ContentInvalid([ContentError(file, line, _("YAML anchors (&name) and aliases (*name) are not "
                                                             "accepted; write each value out in full"))])
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > YAML_MAX_NODES:
                raise ContentInvalid([ContentError(file, line, _("more than %(n)d values in one text",
                                                                 n=YAML_MAX_NODES))])
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > YAML_MAX_DEPTH:
                raise ContentInvalid([ContentError(file, line, _("lists and mappings are nested more than "
                                                                 "%(n)d deep", n=YAML_MAX_DEPTH))])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _short(message: str) -> str:
    """A parser's message, cut short: it may quote a tag or a token of any length."""
    return message if len(message) <= 2 * EXCERPT_CHARS else message[:2 * EXCERPT_CHARS] + "…"


def parse_yaml(text: str, file: str, line_offset: int = 0):
    """Parse YAML, bounded (see ``_bounded``); raises ContentInvalid with the file and line of a syntax error or
    of what is refused. The one YAML reader of every content file and every editor."""
    try:
        _bounded(text, file, line_offset)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        raise ContentInvalid([ContentError(file, line, f"YAML syntax: {_short(str(exc.problem or exc))}")]) from None
    except yaml.YAMLError as exc:
        raise ContentInvalid([ContentError(file, None, f"YAML: {_short(str(exc))}")]) from None
    except ValueError as exc:       # e.g. a number of more digits than Python converts, a date that does not exist
        raise ContentInvalid([ContentError(file, None, f"YAML: a value cannot be read ({_short(str(exc))})")]) from None


def line_of(node, key=None) -> int | None:
    if isinstance(node, LDict):
        return node.key_lines.get(key, node.line) if key is not None else node.line
    if isinstance(node, LList):
        if isinstance(key, int) and 0 <= key < len(node.item_lines):
            return node.item_lines[key]
        return node.line
    return None


SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,78}[a-z0-9]$")


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)

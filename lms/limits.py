"""Limits on what instructors send to the parsers: YAML (content files and the browser editors) and question
imports (GIFT, Moodle XML, Aiken, from the browser and the command line). One place, so that a file on disk,
an upload and a text typed in the browser meet the same bounds."""
from __future__ import annotations

import reprlib

# --- YAML: every content file and every editor goes through lms.content.parse_yaml ---
YAML_MAX_BYTES = 1_000_000          # the largest shipped file (courses/framework.yaml) is about 60 kB
YAML_MAX_DEPTH = 40                 # mappings and lists inside one another
YAML_MAX_NODES = 50_000             # keys, values, lists and mappings (framework.yaml has 2,500)
# anchors (&name) and aliases (*name) are refused outright: they are how a few hundred bytes become gigabytes

# --- question imports ---
IMPORT_MAX_BYTES = 5_000_000        # one GIFT, Moodle XML or Aiken file
IMPORT_FORM_SLACK = 256 * 1024      # what the import form may send besides the file (its fields, the multipart)
IMPORT_MAX_QUESTIONS = 10_000       # per file (the GIFT benchmark of issue 3 imports 10,000 in one file)
IMPORT_MAX_ANSWERS = 100            # answers (or matching pairs, or Aiken options) of one question
IMPORT_MAX_TEXT = 20_000            # characters of one text: a question, an answer, a feedback, a name
IMPORT_MAX_QUESTION_LINES = 2_000   # lines of one GIFT question
IMPORT_MAX_XML_ELEMENTS = 200_000   # elements of one Moodle XML file
MAX_ERRORS = 100                    # an import stops reading after this many errors; a list of errors shows this many

# --- error messages quote at most this much of any value ---
EXCERPT_CHARS = 80
MAX_REASON_CHARS = 500              # and a whole message (lms.content.ContentError) at most this much

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxlist, _repr.maxdict, _repr.maxtuple, _repr.maxset = 2, 4, 4, 4, 4
_repr.maxstring = _repr.maxother = EXCERPT_CHARS


def excerpt(value, limit: int = EXCERPT_CHARS) -> str:
    """A value as an error message may quote it: its repr, at most about ``limit`` characters, and never built
    whole first (a list made of aliases can have a repr of gigabytes)."""
    if isinstance(value, str):
        text = repr(value[:limit])
        return text if len(value) <= limit else text[:-1] + "…" + text[-1]
    text = _repr.repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"

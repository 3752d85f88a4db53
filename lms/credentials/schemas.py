"""The official JSON schemas our documents must pass, from copies kept in ``lms/credentials/schemas/`` under
their publishers' file names (one file per standard; see that folder's README).

* ``ob_v3p0_achievementcredential``: 1EdTech Open Badges 3.0 ``AchievementCredential``
  (https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json),
  JSON Schema Draft 2019-09 as its ``$schema`` says.

Each validator is compiled once per process. :func:`errors` gives every failure as ``path: message``, where the
path is the JSON pointer of the failing value in the document (``/credentialStatus``), so that a failing test or
a verification report names what is wrong.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

SCHEMAS_DIR = Path(__file__).parent / "schemas"
OB_ACHIEVEMENT_CREDENTIAL = "ob_v3p0_achievementcredential"
FILES = {OB_ACHIEVEMENT_CREDENTIAL: "ob_v3p0_achievementcredential_schema.json"}
MAX_ERRORS = 20             # failures reported per document


@cache
def validator(name: str):
    """The compiled validator of schema ``name`` (a key of :data:`FILES`), of the draft its ``$schema`` names."""
    schema = json.loads((SCHEMAS_DIR / FILES[name]).read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=FormatChecker())


def _pointer(path) -> str:
    return "/" + "/".join(str(part) for part in path)


def errors(name: str, document: Any, limit: int = MAX_ERRORS) -> list[str]:
    """Every way ``document`` fails schema ``name`` (at most ``limit``), as ``/json/pointer: message``."""
    found = sorted(validator(name).iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{_pointer(e.absolute_path)}: {e.message[:300]}" for e in found[:limit]]


def conforms(name: str, document: Any) -> bool:
    return validator(name).is_valid(document)

"""Every credential the tests issue passes 1EdTech's official Open Badges 3.0 schema: the signed JSON written to
a credential row (the register's, or a copy issued to a wallet) during a test is collected (an ORM attribute event, so nothing is read back from the database)
and validated at the test's end by ``tests/conftest.py``'s autouse fixture, with the validator the product uses
(:mod:`lms.credentials.schemas`, compiled once)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from lms.credentials import schemas
from lms.credentials.models import Credential
from lms.wallet.models import WalletCredential

_written: list[str] = []


@event.listens_for(WalletCredential.signed_json, "set")
@event.listens_for(Credential.signed_json, "set")
def _collect(_target, value, _old, _initiator) -> None:
    if isinstance(value, str) and value:
        _written.append(value)


def start() -> None:
    """Forget what earlier tests wrote."""
    _written.clear()


def failures() -> list[str]:
    """Each credential written since :func:`start` that fails the schema, with the schema's error paths."""
    out = []
    for signed in dict.fromkeys(_written):
        problems = schemas.errors(schemas.OB_ACHIEVEMENT_CREDENTIAL, json.loads(signed))
        if problems:
            out.append(f"credential {json.loads(signed).get('id')}:\n  " + "\n  ".join(problems))
    return out


def check() -> None:
    """Fail the test if a credential it issued does not pass the OB 3.0 schema."""
    problems = failures()
    _written.clear()
    if problems:
        pytest.fail("issued credential(s) fail 1EdTech's OB 3.0 AchievementCredential schema:\n"
                    + "\n".join(problems), pytrace=False)

"""`lms demo` registers a partner body and writes a credential it issued to the demo trainee: submitted at
/recognition, it is checked against the registry and waits for an administrator (it is not refused)."""
from __future__ import annotations

from pathlib import Path

from lms.accounts import services as accounts
from lms.credentials import keys
from lms.recognition import services as svc
from lms.recognition.models import RequestState


def test_the_demo_partners_credential_is_accepted_for_review(app, loaded, runner):
    keys.create_key()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    path = Path(app.instance_path) / "demo" / "partner-credential.json"
    assert str(path) in result.output
    trainee = accounts.user_by_email("trainee@example.com")
    req = svc.submit(trainee, path.read_bytes())
    assert req.state == RequestState.PENDING
    again = runner.invoke(args=["demo"])            # idempotent: the partner is not registered twice
    assert again.exit_code == 0 and "demo partner already registered" in again.output

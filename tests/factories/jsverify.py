"""Run the independent JavaScript verifier (verify.mjs) from Python tests."""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "tests" / "credentials" / "verify.mjs"


def js_verifier_missing() -> str | None:
    """Why the JS verifier cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed: the independent JS verifier cannot run"
    if not (REPO_ROOT / "node_modules" / "@digitalbazaar" / "vc" / "package.json").is_file():
        return "node_modules/@digitalbazaar/vc is missing: run `npm ci` in the repository root"
    return None


def run_js_verifier(did_doc: dict[str, Any], status_lists: list[dict[str, Any]],
                    credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per credential: {index, verified, revoked, suspended, error}.

    Skips the calling test (only) when node or the npm packages are missing.
    """
    reason = js_verifier_missing()
    if reason:
        pytest.skip(reason)
    node = shutil.which("node")
    assert node is not None
    with tempfile.TemporaryDirectory(prefix="lms-jsverify-") as tmp:
        cases = Path(tmp) / "cases.json"
        cases.write_text(json.dumps({"did": did_doc, "statusLists": status_lists,
                                     "credentials": credentials}), encoding="utf-8")
        proc = subprocess.run([node, str(SCRIPT), str(cases)], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"verify.mjs failed (exit {proc.returncode}):\n{proc.stderr}")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [r["index"] for r in results] == list(range(len(credentials))), proc.stdout
    return results


def status_lists_of(client, credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The signed status lists the credentials' own status entries name, fetched from the app (``client``)."""
    from urllib.parse import urlsplit
    entries = []
    for c in credentials:
        status = c.get("credentialStatus") or []
        entries += status if isinstance(status, list) else [status]
    urls = dict.fromkeys(e["statusListCredential"] for e in entries)
    return [client.get(urlsplit(u).path).get_json() for u in urls]

"""A wallet in Python for the OID4VCI tests: a key of its own (Ed25519 or P-256), its DID, and proof JWTs."""
from __future__ import annotations

import base64
import json
import time
import warnings
from dataclasses import dataclass

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey


@dataclass
class Wallet:
    key: object
    alg: str

    @classmethod
    def new(cls, alg: str = "EdDSA") -> Wallet:
        key = OKPKey.generate_key("Ed25519") if alg == "EdDSA" else ECKey.generate_key("P-256")
        return cls(key, alg)

    @property
    def did(self) -> str:
        public = {k: v for k, v in sorted(self.key.as_dict(private=False).items()) if k in ("crv", "kty", "x", "y")}
        return "did:jwk:" + base64.urlsafe_b64encode(json.dumps(public, separators=(",", ":")).encode()).rstrip(
            b"=").decode()

    def proof(self, aud: str, nonce: str | None, iat: float | None = None, typ: str = "openid4vci-proof+jwt") -> str:
        claims = {"aud": aud, "iat": int(iat if iat is not None else time.time())}
        if nonce is not None:
            claims["nonce"] = nonce
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return jwt.encode({"alg": self.alg, "typ": typ, "kid": self.did + "#0"}, claims, self.key,
                              algorithms=[self.alg])


# ---------------------------------------------------------------- the independent client (tests/wallet/wallet.mjs)

def wallet_client_missing() -> str | None:
    """Why the npm OID4VCI client cannot run here, or None when it can."""
    import shutil

    from tests.factories.jsverify import REPO_ROOT
    if shutil.which("node") is None:
        return "node is not installed"
    if not (REPO_ROOT / "node_modules" / "@openid4vc" / "openid4vci" / "package.json").is_file():
        return "node_modules/@openid4vc/openid4vci is missing: run `npm ci`"
    return None


def run_wallet_client(offer: str, pin: str) -> dict:
    """The wallet.mjs result for an offer link and its PIN: {did, version, credential, wrongPin, reuse}."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from tests.factories.jsverify import REPO_ROOT
    case = {"offer": offer, "pin": pin, "wrongPin": "0" * 6 if pin != "0" * 6 else "1" * 6}
    with tempfile.TemporaryDirectory(prefix="lms-wallet-") as tmp:
        path = Path(tmp) / "case.json"
        path.write_text(json.dumps(case), encoding="utf-8")
        proc = subprocess.run([shutil.which("node"), str(REPO_ROOT / "tests" / "wallet" / "wallet.mjs"), str(path)],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"wallet.mjs failed (exit {proc.returncode}):\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])

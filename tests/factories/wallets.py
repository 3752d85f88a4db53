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

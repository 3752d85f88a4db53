"""The wallet's proof of possession: which keys and DIDs name the wallet, and what is refused."""
from __future__ import annotations

import base64
import json
import time
import warnings

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from lms.wallet.proof import ProofError, did_jwk, key_of_did, verify_proof
from tests.factories.wallets import Wallet

AUD = "https://lms.example.com"


def _did_key(key) -> str:
    """did:key of a joserfc key: Ed25519 (0xed01 + 32 bytes) or P-256 (0x8024 + compressed point)."""
    public = key.get_op_key("verify")
    if isinstance(key, OKPKey):
        raw = b"\xed\x01" + public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = b"\x80\x24" + public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return "did:key:z" + base58.b58encode(raw).decode()


def _sign(header: dict, claims: dict, key, alg: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode({"alg": alg, "typ": "openid4vci-proof+jwt", **header}, claims, key, algorithms=[alg])


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_a_did_key_names_the_wallet(alg):
    key = OKPKey.generate_key("Ed25519") if alg == "EdDSA" else ECKey.generate_key("P-256")
    did = _did_key(key)
    fragment = did.split(":")[-1]
    token = _sign({"kid": f"{did}#{fragment}"}, {"aud": AUD, "iat": int(time.time()), "nonce": "n"}, key, alg)
    holder = verify_proof(token, AUD, int(time.time()))
    assert holder.did == did and holder.nonce == "n"
    _, jwk = key_of_did(did)
    assert jwk == {k: v for k, v in key.as_dict(private=False).items() if k in jwk}


def test_a_jwk_in_the_header_names_the_wallet_by_its_did_jwk():
    key = ECKey.generate_key("P-256")
    public = key.as_dict(private=False)
    token = _sign({"jwk": public}, {"aud": [AUD, "other"], "iat": int(time.time()), "nonce": "n"}, key, "ES256")
    holder = verify_proof(token, AUD, int(time.time()))
    assert holder.did == did_jwk(public)
    assert json.loads(base64.urlsafe_b64decode(holder.did[8:] + "==")) == {
        "crv": "P-256", "kty": "EC", "x": public["x"], "y": public["y"]}


def test_what_a_proof_may_not_do():
    wallet = Wallet.new()
    now = int(time.time())
    claims = {"aud": AUD, "iat": now, "nonce": "n"}
    private = wallet.key.as_dict(private=True)
    refused = {
        "a private key in the header": _sign({"jwk": private}, claims, wallet.key, "EdDSA"),
        "both kid and jwk": _sign({"kid": wallet.did, "jwk": wallet.key.as_dict(private=False)}, claims, wallet.key,
                                  "EdDSA"),
        "a did:web": _sign({"kid": "did:web:evil.example#key"}, claims, wallet.key, "EdDSA"),
        "alg none": "eyJhbGciOiJub25lIiwidHlwIjoib3BlbmlkNHZjaS1wcm9vZitqd3QifQ.eyJhdWQiOiJ4In0.",
        "another key's did": _sign({"kid": Wallet.new().did + "#0"}, claims, wallet.key, "EdDSA"),
        "a key of another alg": _sign({"kid": Wallet.new("ES256").did + "#0"}, claims, wallet.key, "EdDSA"),
        "a future iat": wallet.proof(AUD, "n", iat=now + 3600),
        "not a JWT": "garbage",
    }
    for why, token in refused.items():
        with pytest.raises(ProofError):
            verify_proof(token, AUD, now)
            pytest.fail(why)


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


HEADER = {"alg": "ES256", "typ": "openid4vci-proof+jwt"}


@pytest.mark.parametrize("header", [
    {**HEADER, "jwk": {"kty": "EC", "crv": "P-256", "x": "A" * 3000, "y": "B"}},       # a DID past its bound
    {**HEADER, "jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB"}},        # not a point
    {**HEADER, "alg": "EdDSA", "kid": "did:jwk:" + _b64({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})},
    {**HEADER, "alg": "EdDSA", "kid": "did:key:z6Mk!!"},
    {**HEADER, "kid": "did:key:zDn" + "1" * 40},
    {**HEADER, "kid": "did:jwk:" + _b64([1, 2])},
    {**HEADER, "kid": 5},
])
def test_a_malformed_key_is_refused_as_a_bad_proof(header):
    with pytest.raises(ProofError):
        verify_proof(_b64(header) + ".e30.AAAA", AUD, int(time.time()))

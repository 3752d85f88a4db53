"""W3C Bitstring Status List v1.0: revocation and suspension lists for issued credentials.

Spec: https://www.w3.org/TR/vc-bitstring-status-list/ (cited by section title).

* "BitstringStatusListEntry": what a credential carries in ``credentialStatus``.
* "BitstringStatusListCredential": the published list, itself a signed credential.
* "Bitstring Generation Algorithm": the bitstring is GZIP-compressed and written as multibase
  base64url without padding (prefix ``"u"``); index 0 is the left-most bit, so bit ``i`` is
  ``byte[i // 8] & (0x80 >> (i % 8))``.
* "Bitstring Expansion Algorithm" / "Validate Algorithm": a list shorter than 131,072 entries
  (16 KiB) is a STATUS_LIST_LENGTH_ERROR; the minimum size protects holders' privacy (many
  credentials share one list, so fetching it says little about which one is being checked).

Pure functions; signing the list credential is :func:`lms.credentials.signing.sign`'s job.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable
from typing import Any

MIN_ENTRIES = 131_072
PURPOSES = ("revocation", "suspension")
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"


def _check_size(size: int) -> None:
    if size < MIN_ENTRIES or size % 8:
        raise ValueError(f"a status list has at least {MIN_ENTRIES} entries, in whole bytes: {size}")


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"status purpose must be one of {', '.join(PURPOSES)}: {purpose!r}")


def encode(bits: bytes | bytearray | Iterable[int], size: int = MIN_ENTRIES) -> str:
    """The ``encodedList`` for a bitstring of ``size`` entries ("Bitstring Generation Algorithm").

    ``bits`` is either the raw bitstring (bytes, padded with zeros up to ``size`` entries) or the
    set of indexes whose bit is set. GZIP is written with mtime 0 so the output is deterministic.
    """
    _check_size(size)
    if isinstance(bits, bytes | bytearray):
        if len(bits) * 8 > size:
            raise ValueError(f"the bitstring has {len(bits) * 8} entries, more than size={size}")
        raw = bytes(bits) + bytes(size // 8 - len(bits))
    else:
        buffer = bytearray(size // 8)
        for index in bits:
            _check_index(index, size)
            buffer[index // 8] |= 0x80 >> (index % 8)
        raw = bytes(buffer)
    compressed = gzip.compress(raw, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    """The uncompressed bitstring of an ``encodedList``; ValueError if malformed or too short."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (it must start with 'u')")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        raw = gzip.decompress(compressed)
    except (binascii.Error, OSError, EOFError, zlib.error) as error:
        raise ValueError(f"encodedList is not base64url-encoded GZIP data: {error}") from error
    if len(raw) * 8 < MIN_ENTRIES:
        raise ValueError(f"STATUS_LIST_LENGTH_ERROR: the list has {len(raw) * 8} entries, "
                         f"fewer than {MIN_ENTRIES}")
    return raw


def _check_index(index: int, size: int) -> None:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
        raise IndexError(f"status list index {index!r} is outside 0..{size - 1}")


def is_set(encoded: str, index: int) -> bool:
    raw = decode(encoded)
    _check_index(index, len(raw) * 8)
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def with_bit(encoded: str, index: int, value: bool) -> str:
    """``encoded`` with bit ``index`` set (``value=True``) or cleared; the size is unchanged."""
    raw = bytearray(decode(encoded))
    _check_index(index, len(raw) * 8)
    mask = 0x80 >> (index % 8)
    if value:
        raw[index // 8] |= mask
    else:
        raw[index // 8] &= ~mask & 0xFF
    return encode(raw, size=len(raw) * 8)


def status_list_credential(list_url: str, issuer_did: str, purpose: str, encoded: str,
                           valid_from: str) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential published at ``list_url``."""
    _check_purpose(purpose)
    return {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }


def entry(list_url: str, purpose: str, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` entry (a BitstringStatusListEntry) for bit ``index`` of ``list_url``.

    ``statusListIndex`` is a string of digits, as the spec requires.
    """
    _check_purpose(purpose)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise IndexError(f"status list index must be a non-negative integer: {index!r}")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }

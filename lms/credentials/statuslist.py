"""W3C Bitstring Status List v1.0: the status of issued credentials.

A credential carries ONE status entry (Open Badges 3.0 allows at most one ``credentialStatus``, and 1EdTech's
JSON schema wants an object): a ``"message"`` entry of ``statusSize`` 2 whose ``statusMessage`` lists every
value of the two bits (the spec's "BitstringStatusListEntry": "the number of status messages MUST equal the
number of possible values"). The first bit (the high bit of the value) says revoked, the second suspended:

  ====  ============================  =========================================
  0x0   valid                         neither set
  0x1   suspended                     the suspension bit (reversible)
  0x2   revoked                       the revocation bit (permanent)
  0x3   revoked                       revoked while suspended: revocation wins
  ====  ============================  =========================================

Why this design: one entry carries both states, so suspension keeps working within OB 3.0's single entry;
a standard verifier reads it with the spec's own "Validate Algorithm" (value at ``statusListIndex`` x
``statusSize``, message from the entry's ``statusMessage``); revocation stays permanent because lifting a
suspension only clears the second bit. (Provisional: entries of more than one bit were marked "at risk" in
the specification's Candidate Recommendation; Digital Bazaar's status library reads only 1-bit entries, so
tests/credentials/verify.mjs reads the two bits itself.) Credentials issued before carry two 1-bit entries (``"revocation"``
and ``"suspension"``, each in its own list); those lists are still served and updated.

Spec: https://www.w3.org/TR/vc-bitstring-status-list/ (cited by section title).

* "BitstringStatusListEntry": what a credential carries in ``credentialStatus``.
* "BitstringStatusListCredential": the published list, itself a signed credential.
* "Bitstring Generation Algorithm": the bitstring is GZIP-compressed and written as multibase
  base64url without padding (prefix ``"u"``); index 0 is the left-most bit, so bit ``i`` is
  ``byte[i // 8] & (0x80 >> (i % 8))``.
* "Bitstring Expansion Algorithm" / "Validate Algorithm": a list whose length divided by ``statusSize``
  is less than 131,072 entries (16 KiB of 1-bit entries, 32 KiB of 2-bit ones) is a STATUS_LIST_LENGTH_ERROR; the minimum size protects holders' privacy (many
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
PURPOSES = ("revocation", "suspension", "message")
MESSAGE_SIZE = 2                     # bits per entry of a "message" list
REVOKED_BIT, SUSPENDED_BIT = 0, 1    # offsets within a message entry (the first bit is the value's high bit)
# Every value of a 2-bit entry, as "statusMessage" lists them (the spec asks for all 2**statusSize values).
STATUS_MESSAGES = (("0x0", "valid"), ("0x1", "suspended"), ("0x2", "revoked"), ("0x3", "revoked"))
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"


def status_size(purpose: str) -> int:
    """Bits per entry in a list of this purpose: 2 for ``"message"``, 1 for revocation and suspension."""
    return MESSAGE_SIZE if purpose == "message" else 1


def _check_size(size: int, entry_size: int = 1) -> None:
    if size < MIN_ENTRIES * entry_size or size % 8:
        raise ValueError(f"a status list has at least {MIN_ENTRIES} entries of {entry_size} bit(s), "
                         f"in whole bytes: {size} bits")


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"status purpose must be one of {', '.join(PURPOSES)}: {purpose!r}")


def encode(bits: bytes | bytearray | Iterable[int], size: int = MIN_ENTRIES, entry_size: int = 1) -> str:
    """The ``encodedList`` for a bitstring of ``size`` bits ("Bitstring Generation Algorithm").

    ``bits`` is either the raw bitstring (bytes, padded with zeros up to ``size`` bits) or the
    set of bit positions that are set. GZIP is written with mtime 0 so the output is deterministic.
    ``entry_size`` (the list's ``statusSize``) raises the minimum size to 131,072 entries of that size.
    """
    _check_size(size, entry_size)
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


def decode(encoded: str, entry_size: int = 1) -> bytes:
    """The uncompressed bitstring of an ``encodedList``; ValueError if malformed or too short for 131,072
    entries of ``entry_size`` bits."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (it must start with 'u')")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        raw = gzip.decompress(compressed)
    except (binascii.Error, OSError, EOFError, zlib.error) as error:
        raise ValueError(f"encodedList is not base64url-encoded GZIP data: {error}") from error
    if len(raw) * 8 // entry_size < MIN_ENTRIES:
        raise ValueError(f"STATUS_LIST_LENGTH_ERROR: the list has {len(raw) * 8 // entry_size} entries, "
                         f"fewer than {MIN_ENTRIES}")
    return raw


def _check_index(index: int, size: int) -> None:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
        raise IndexError(f"status list index {index!r} is outside 0..{size - 1}")


def is_set(encoded: str, index: int) -> bool:
    raw = decode(encoded)
    _check_index(index, len(raw) * 8)
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def value_at(raw: bytes, index: int, entry_size: int) -> int:
    """The value of entry ``index`` of an uncompressed bitstring whose entries are ``entry_size`` bits long:
    the bits from position ``index * entry_size`` on, the first one the most significant ("Validate Algorithm")."""
    _check_index(index, len(raw) * 8 // entry_size)
    value = 0
    for position in range(index * entry_size, (index + 1) * entry_size):
        value = (value << 1) | bool(raw[position // 8] & (0x80 >> (position % 8)))
    return value


def entry_value(encoded: str, index: int, entry_size: int = 1) -> int:
    """The value of entry ``index`` of an ``encodedList`` whose entries are ``entry_size`` bits long."""
    return value_at(decode(encoded, entry_size), index, entry_size)


def message_state(value: int) -> str:
    """The word a message entry's value stands for: valid, suspended or revoked."""
    return dict(STATUS_MESSAGES)[f"0x{value:x}"]


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
    """The ``credentialStatus`` entry (a BitstringStatusListEntry) for entry ``index`` of ``list_url``.

    ``statusListIndex`` is a string of digits, as the spec requires. A ``"message"`` entry also commits to
    its ``statusSize`` and to the meaning of every value (``statusMessage``), at issue.
    """
    _check_purpose(purpose)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise IndexError(f"status list index must be a non-negative integer: {index!r}")
    out: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if purpose == "message":
        out["statusSize"] = MESSAGE_SIZE
        out["statusMessage"] = [{"status": status, "message": message} for status, message in STATUS_MESSAGES]
    return out


def entries(document: Any) -> list[dict[str, Any]]:
    """The BitstringStatusListEntry objects of a credential's ``credentialStatus`` (one object or a list)."""
    status = document.get("credentialStatus") if isinstance(document, dict) else None
    listed = status if isinstance(status, list) else [status]
    return [e for e in listed if isinstance(e, dict) and e.get("type") == "BitstringStatusListEntry"]

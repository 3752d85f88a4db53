"""W3C Bitstring Status List v1.0 encoding."""
from __future__ import annotations

import base64
import gzip

import pytest

from lms.credentials import signing, statuslist

# W3C Bitstring Status List v1.0, Examples 3 and 5: a list of 131,072 entries, none set.
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
LIST_URL = "https://lms.example.com/credentials/status/revocation/1"


def test_spec_example_decodes_to_an_empty_list_of_minimum_length():
    raw = statuslist.decode(SPEC_EMPTY_LIST)
    assert len(raw) * 8 == statuslist.MIN_ENTRIES == 131_072
    assert raw == bytes(16_384)
    assert not statuslist.is_set(SPEC_EMPTY_LIST, 94567)


def test_round_trip_from_a_set_of_indexes():
    indexes = {0, 1, 42, 94567, 131_071}
    encoded = statuslist.encode(indexes)
    raw = statuslist.decode(encoded)
    assert {i for i in range(len(raw) * 8) if raw[i // 8] & (0x80 >> (i % 8))} == indexes
    assert all(statuslist.is_set(encoded, i) for i in indexes)
    assert not any(statuslist.is_set(encoded, i) for i in (2, 41, 43, 94566, 131_070))


def test_round_trip_from_bytes():
    bits = bytearray(16_384)
    bits[5] = 0b1010_0001
    encoded = statuslist.encode(bits)
    assert statuslist.decode(encoded) == bytes(bits)
    assert statuslist.encode(bytes(bits)) == encoded


def test_bit_order_index_zero_is_the_most_significant_bit_of_byte_zero():
    assert statuslist.decode(statuslist.encode({0}))[:2] == b"\x80\x00"
    assert statuslist.decode(statuslist.encode({7}))[:2] == b"\x01\x00"
    assert statuslist.decode(statuslist.encode({8}))[:2] == b"\x00\x80"
    assert statuslist.decode(statuslist.encode({9}))[:2] == b"\x00\x40"


def test_encoding_is_multibase_base64url_gzip_without_padding():
    encoded = statuslist.encode({3})
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    body = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert raw[0] == 0b0001_0000
    assert statuslist.encode({3}) == encoded  # deterministic (GZIP mtime 0)


def test_minimum_length_is_131072_entries():
    assert len(statuslist.decode(statuslist.encode(set()))) == 16_384
    assert len(statuslist.decode(statuslist.encode(b"\xff"))) == 16_384  # padded with zeros
    assert len(statuslist.decode(statuslist.encode(set(), size=262_144))) == 32_768
    with pytest.raises(ValueError, match="at least 131072"):
        statuslist.encode(set(), size=8)
    with pytest.raises(ValueError, match="whole bytes"):
        statuslist.encode(set(), size=131_073)
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).rstrip(b"=").decode()
    with pytest.raises(ValueError, match="STATUS_LIST_LENGTH_ERROR"):
        statuslist.decode(short)


@pytest.mark.parametrize("bad", ["", "zH4sI", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode()])
def test_decode_rejects_malformed_lists(bad):
    with pytest.raises(ValueError):
        statuslist.decode(bad)


def test_indexes_out_of_range_are_rejected():
    with pytest.raises(IndexError):
        statuslist.encode({131_072})
    with pytest.raises(IndexError):
        statuslist.encode({-1})
    with pytest.raises(IndexError):
        statuslist.is_set(SPEC_EMPTY_LIST, 131_072)
    with pytest.raises(IndexError):
        statuslist.with_bit(SPEC_EMPTY_LIST, -1, True)


def test_with_bit_on_and_off():
    on = statuslist.with_bit(SPEC_EMPTY_LIST, 42, True)
    assert statuslist.is_set(on, 42)
    assert statuslist.decode(on)[5] == 0b0010_0000
    assert sum(bin(b).count("1") for b in statuslist.decode(on)) == 1
    assert statuslist.with_bit(on, 42, True) == on  # idempotent
    both = statuslist.with_bit(on, 43, True)
    off = statuslist.with_bit(both, 42, False)
    assert not statuslist.is_set(off, 42) and statuslist.is_set(off, 43)
    assert statuslist.decode(statuslist.with_bit(off, 43, False)) == bytes(16_384)
    big = statuslist.encode(set(), size=262_144)
    assert len(statuslist.decode(statuslist.with_bit(big, 200_000, True))) == 32_768  # size kept


def test_status_list_credential_and_entry():
    encoded = statuslist.encode({42})
    credential = statuslist.status_list_credential(
        LIST_URL, "did:web:lms.example.com", "revocation", encoded, "2026-01-15T00:00:00Z")
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:lms.example.com",
        "validFrom": "2026-01-15T00:00:00Z",
        "credentialSubject": {"id": LIST_URL + "#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded},
    }
    assert statuslist.entry(LIST_URL, "suspension", 42) == {
        "id": LIST_URL + "#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "42",
        "statusListCredential": LIST_URL,
    }
    # every term is defined by the credentials v2 context, so nothing escapes the signature
    assert signing.undefined_terms(credential) == []


def test_unknown_purposes_and_bad_indexes_are_refused():
    with pytest.raises(ValueError, match="status purpose"):
        statuslist.entry(LIST_URL, "expiry", 1)
    with pytest.raises(ValueError, match="status purpose"):
        statuslist.status_list_credential(LIST_URL, "did:web:x", "refresh", SPEC_EMPTY_LIST, "2026-01-01T00:00:00Z")
    with pytest.raises(IndexError):
        statuslist.entry(LIST_URL, "revocation", -3)
    with pytest.raises(IndexError):
        statuslist.entry(LIST_URL, "revocation", "7")  # type: ignore[arg-type]


def test_a_message_entry_commits_to_every_value_of_its_two_bits():
    entry = statuslist.entry(LIST_URL, "message", 42)
    assert entry["statusPurpose"] == "message" and entry["statusSize"] == 2
    # "the number of status messages MUST equal the number of possible values": 2 ** statusSize
    assert entry["statusMessage"] == [{"status": "0x0", "message": "valid"},
                                      {"status": "0x1", "message": "suspended"},
                                      {"status": "0x2", "message": "revoked"},
                                      {"status": "0x3", "message": "revoked"}]
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": "did:web:x", "credentialSubject": {"id": "did:web:y"}, "credentialStatus": entry}
    assert signing.undefined_terms(credential) == []        # statusSize and statusMessage are signed too
    assert statuslist.entries(credential) == [entry]


def test_a_two_bit_list_has_at_least_131072_entries_and_reads_the_first_bit_as_the_high_one():
    with pytest.raises(ValueError, match="at least 131072 entries of 2 bit"):
        statuslist.encode(set(), size=131_072, entry_size=2)        # 16 KiB holds only 65,536 two-bit entries
    with pytest.raises(ValueError, match="STATUS_LIST_LENGTH_ERROR"):
        statuslist.decode(statuslist.encode(set()), entry_size=2)
    # entry 5 holds bits 10 (revoked) and 11 (suspended); entry 6 bit 13 (suspended)
    encoded = statuslist.encode({10, 13}, size=262_144, entry_size=2)
    assert len(statuslist.decode(encoded, entry_size=2)) == 32_768
    assert statuslist.entry_value(encoded, 5, 2) == 0b10 and statuslist.message_state(0b10) == "revoked"
    assert statuslist.entry_value(encoded, 6, 2) == 0b01 and statuslist.message_state(0b01) == "suspended"
    assert statuslist.entry_value(encoded, 7, 2) == 0 and statuslist.message_state(0) == "valid"
    assert statuslist.message_state(0b11) == "revoked"
    with pytest.raises(IndexError):
        statuslist.entry_value(encoded, 131_072, 2)

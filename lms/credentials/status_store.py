"""The status lists as stored: a position drawn for each credential, the bits that say revoked and suspended,
and each list signed as a ``BitstringStatusListCredential`` when it is read (the encoding and the entries'
shape are in :mod:`lms.credentials.statuslist`)."""
from __future__ import annotations

import json
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.credentials import keys, signing, statuslist
from lms.credentials.models import LIST_SIZE, Credential, StatusList, StatusPurpose
from lms.db import utcnow
from lms.extensions import db
from lms.urls import absolute_url

POSITION_DRAWS = 32       # random status-list positions checked at once (all taken: the list is nearly full)


def list_url(purpose: str, number: int) -> str:
    return absolute_url("credentials.status_list", purpose=purpose, number=number)


def _list_row(purpose: str, number: int, lock: bool = False) -> StatusList:
    query = select(StatusList).where(StatusList.purpose == purpose, StatusList.number == number)
    if lock:          # a bit is read, changed and written back: one change at a time, none lost
        query = query.with_for_update().execution_options(populate_existing=True)
    row = db.session.scalar(query)
    if row is None:
        try:
            with db.session.begin_nested():
                row = StatusList(purpose=purpose, number=number,
                                 bits=bytes(LIST_SIZE * statuslist.status_size(purpose) // 8))
                db.session.add(row)
        except IntegrityError:              # opened by a parallel issuance a moment ago
            row = db.session.scalar(query)
    return row


def allocate_index() -> tuple[int, int]:
    """A free position drawn at random from the whole of the newest list number (the message list a new
    credential's one status entry names; credentials issued before hold positions in the revocation and
    suspension lists of the same number, and their positions stay theirs). Random positions are the Bitstring Status List specification's privacy advice: a list
    then says nothing about how many certificates were issued, or in what order.

    ``POSITION_DRAWS`` positions are drawn and checked in one query; the first free one is taken. When every
    one is taken the list is nearly full, and the next list opens. Two parallel issuances that draw the same
    free position meet the unique constraint; services._take_position draws again."""
    number = db.session.scalar(select(func.max(StatusList.number))) or 1
    while True:
        drawn = [secrets.randbelow(LIST_SIZE) for _ in range(POSITION_DRAWS)]
        taken = set(db.session.scalars(select(Credential.status_index).where(
            Credential.status_list == number, Credential.status_index.in_(set(drawn)))))
        free = [i for i in drawn if i not in taken]
        if free:
            break
        number += 1
    _list_row(StatusPurpose.MESSAGE, number)
    return number, free[0]


def set_bit(purpose: str, number: int, position: int, value: bool) -> None:
    """Set or clear bit ``position`` (not entry: a message entry is two bits) of a status list."""
    row = _list_row(purpose, number, lock=True)
    bits = bytearray(row.bits)
    mask = 0x80 >> (position % 8)
    bits[position // 8] = (bits[position // 8] | mask) if value else (bits[position // 8] & ~mask & 0xFF)
    row.bits = bytes(bits)
    row.signed_json = None          # signed again on the next read, with the active key
    row.updated_at = utcnow()


def signed_status_list(purpose: str, number: int) -> str | None:
    row = db.session.scalar(select(StatusList).where(StatusList.purpose == purpose, StatusList.number == number))
    if row is None:
        return None
    if row.signed_json is not None:
        return row.signed_json
    kid, key = keys.active_key()
    size = statuslist.status_size(purpose)
    doc = statuslist.status_list_credential(list_url(purpose, number), keys.did(), purpose,
                                            statuslist.encode(row.bits, size=LIST_SIZE * size, entry_size=size),
                                            signing.stamp(row.updated_at))
    signed = json.dumps(signing.sign(doc, key, keys.verification_method(kid), signing.stamp(utcnow())),
                        ensure_ascii=False, separators=(",", ":"))
    # Kept for the next reads only if no bit changed meanwhile: a revocation committed while this read was
    # signing the older bits must not be hidden behind them (the next read signs the new bits).
    db.session.execute(update(StatusList).where(StatusList.id == row.id, StatusList.updated_at == row.updated_at)
                       .values(signed_json=signed, updated_at=row.updated_at)
                       .execution_options(synchronize_session=False))
    return signed


def bit_is_set(purpose: str, number: int, position: int) -> bool:
    row = db.session.scalar(select(StatusList).where(StatusList.purpose == purpose, StatusList.number == number))
    return bool(row and row.bits[position // 8] & (0x80 >> (position % 8)))


# Which bit of an entry of each purpose says each state (an offset within the entry).
_STATE_BITS = {("revocation", "revoked"): 0, ("suspension", "suspended"): 0,
               ("message", "revoked"): statuslist.REVOKED_BIT, ("message", "suspended"): statuslist.SUSPENDED_BIT}


def _state_positions(cred: Credential, state: str) -> list[tuple[str, int]]:
    """(list purpose, bit position) of each bit that says ``state`` (revoked, suspended) of ``cred``, in the
    lists its own signed status entries name: one message entry, or (issued before it) a revocation and a
    suspension entry. The list number and entry index are the credential's."""
    out = []
    for status in statuslist.entries(json.loads(cred.signed_json or "{}")):
        purpose = status.get("statusPurpose")
        offset = _STATE_BITS.get((purpose, state))
        if offset is not None:
            out.append((purpose, cred.status_index * statuslist.status_size(purpose) + offset))
    return out


def set_state(cred: Credential, state: str, value: bool) -> None:
    for purpose, position in _state_positions(cred, state):
        set_bit(purpose, cred.status_list, position, value)


def state_is_set(cred: Credential, state: str) -> bool:
    """Whether the status lists say ``state`` (revoked, suspended) of ``cred``: what every verifier reads."""
    return any(bit_is_set(purpose, cred.status_list, position) for purpose, position in _state_positions(cred, state))

"""Credential offers to holders' wallets (OpenID for Verifiable Credential Issuance 1.0, pre-authorized code
flow) and the wallet copies issued through them.

An offer is bound to one credential of our register. Its pre-authorized code, its transaction code (PIN) and
the access token it is exchanged for are stored only as SHA-256 hashes: the holder sees the code once, in the
QR code; the database never holds anything a wallet could present. A wallet copy is the signed JSON as issued
(never re-signed), with the same status entries as the register's credential, so that revoking or suspending
the credential revokes or suspends every copy.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.credentials.models import Credential
from lms.db import new_public_id, state_type, utcnow
from lms.extensions import db


class OfferState(StrEnum):
    OFFERED = "offered"        # the code waits for a wallet
    REDEEMED = "redeemed"      # the code was exchanged for an access token
    ISSUED = "issued"          # the wallet received its copy
    CLOSED = "closed"          # too many wrong PINs, or replaced by a newer offer


class WalletOffer(db.Model):
    __tablename__ = "wallet_offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[OfferState] = mapped_column(state_type(OfferState, 20, "state"), default=OfferState.OFFERED)
    wrong_codes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None]

    credential: Mapped[Credential] = relationship()


class WalletCredential(db.Model):
    __tablename__ = "wallet_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_offers.id", ondelete="SET NULL"))
    document_id: Mapped[str] = mapped_column(String(100), unique=True)     # the copy's "id": urn:uuid:...
    subject_did: Mapped[str] = mapped_column(String(1200))                 # the wallet's did:key or did:jwk
    signed_json: Mapped[str] = mapped_column(Text)                         # exactly as issued; never changed
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    credential: Mapped[Credential] = relationship()

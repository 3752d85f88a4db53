"""Bulk checks of credential IDs (a CSV from the browser or a JSON list through the API) and API keys."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.accounts.services import audit
from lms.core.spreadsheet import cell
from lms.credentials import services as credentials
from lms.credentials.models import Credential
from lms.db import utcnow
from lms.employers.models import ApiKey
from lms.extensions import db

MAX_IDS = 10_000
MAX_DOCUMENTS = 20              # signed credentials per API request (each checked as an upload is)
API_MAX_BYTES = 4_000_000       # an API request: 10,000 verification URLs, or 20 credentials of the largest kind
ID_RE = re.compile(r"^[0-9a-f]{32}$")
URL_ID_RE = re.compile(r"/v/([0-9a-f]{32})(?:[/?#]|$)")


class BulkError(ValueError):
    pass


def parse_ids(text: str) -> list[dict]:
    """The rows of a CSV of credential IDs, in order: the first column of each row (a header row and blank rows
    are skipped); a verification URL is accepted in place of an ID. Each row is ``{"line", "id"}``, or
    ``{"line", "input", "error"}`` for a cell that is neither: a bad row has its own error and the others are
    still checked. Raises BulkError if there are more rows than can be checked at once."""
    rows = []
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cell = (row[0] if row else "").strip().strip("\ufeff").lower()
        if not cell or (lineno == 1 and not ID_RE.match(cell) and not URL_ID_RE.search(cell)
                        and cell.replace(" ", "") in ("id", "credentialid", "credential_id", "credential")):
            continue
        if len(rows) >= MAX_IDS:
            raise BulkError(_("More than %(m)d IDs: at most %(m)d can be checked at once.", m=MAX_IDS))
        ident = credential_id(cell)
        if ident is None:
            rows.append({"line": lineno, "input": cell[:40], "error": _(
                "line %(n)d: %(v)s is not a credential ID (32 hexadecimal characters)", n=lineno, v=repr(cell[:40]))})
        else:
            rows.append({"line": lineno, "id": ident})
    return rows


def credential_id(text: str) -> str | None:
    """The credential ID in an ID or a verification URL, or None."""
    text = text.strip().lower()
    match = URL_ID_RE.search(text)
    text = match.group(1) if match else text
    return text if ID_RE.match(text) else None


def check_rows(rows: list[dict]) -> list[dict]:
    """One result per row of :func:`parse_ids`: the check of its ID, or ``status: invalid`` with its error."""
    checked = iter(check_ids([r["id"] for r in rows if "id" in r]))
    return [next(checked) if "id" in r else {"id": r["input"], "status": "invalid", "error": r["error"]}
            for r in rows]


def check_ids(ids: list[str]) -> list[dict]:
    """One result per ID, in the order given (duplicates repeated), from at most a few queries."""
    found: dict[str, Credential] = {}
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), 1000):
        chunk = unique[i:i + 1000]
        query = select(Credential).where(Credential.public_id.in_(chunk), Credential.signed_json.is_not(None)).options(
            selectinload(Credential.programme), selectinload(Credential.holder))
        for cred in db.session.scalars(query):
            found[cred.public_id] = cred
    out = []
    for cid in ids:
        cred = found.get(cid)
        if cred is None:
            out.append({"id": cid, "status": "unknown"})
            continue
        status = credentials.status_of(cred)
        row = {"id": cid, "status": status, "programme": cred.programme.key,
               "title": cred.programme.title_en, "level": cred.programme.level,
               "validFrom": credentials.stamp(cred.valid_from), "validUntil": credentials.stamp(cred.valid_until)}
        if status in ("revoked", "suspended"):
            row["reason"] = cred.status_reason
        if cred.share_full:
            row["holder"] = " ".join(n for n in (cred.holder.name_zh, cred.holder.name_latin) if n)
        out.append(row)
    return out


CSV_FIELDS = ("id", "status", "programme", "level", "validFrom", "validUntil", "reason", "holder", "error")


def to_csv(results: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: cell(value) for key, value in row.items()} for row in results)
    return buf.getvalue()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _audit_detail(key: ApiKey) -> str:
    return f"{key.name} ({key.prefix}…)"


def create_key(user: User, name: str) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and only its hash is stored."""
    if not name.strip():
        raise BulkError(_("Name the key (for example, the system that will use it)."))
    secret = "ttm_" + secrets.token_urlsafe(32)
    key = ApiKey(user_id=user.id, name=name.strip()[:100], prefix=secret[:12], key_hash=_hash(secret))
    db.session.add(key)
    db.session.flush()
    audit(user, "apikey.create", user.email, _audit_detail(key))
    return key, secret


# A key works only while it is not revoked and its owner is an active account with the employer role: it
# stops working the moment the role is removed or the account is deactivated (and works again if both are
# restored, unless it was revoked meanwhile).
KEY_STATES = ("active", "revoked", "owner_deactivated", "owner_not_employer")


def key_state(key: ApiKey) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if not key.user.active:
        return "owner_deactivated"
    if not key.user.has_role("employer"):
        return "owner_not_employer"
    return "active"


def key_for(secret: str | None) -> ApiKey | None:
    if not secret:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(secret)))
    if key is None or key_state(key) != "active":
        return None
    key.last_used_at = utcnow()
    return key


def all_keys(page: int = 1, per_page: int = 50):
    """Every key, newest first, with its owner and the owner's organisation, for administrators."""
    query = (select(ApiKey).options(selectinload(ApiKey.user).selectinload(User.organisation))
             .order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def revoke_key(actor: User, key: ApiKey) -> None:
    """The key's owner or an administrator revokes it, for good; an audit entry names who did."""
    if key.user_id != actor.id and not actor.has_role("admin"):
        raise BulkError(_("This is not your key."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit(actor, "apikey.revoke", key.user.email, _audit_detail(key))

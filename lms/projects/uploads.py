"""Deliverable files: the type is read from the content (never from the name), names are checked, and
files are stored outside the web root under random names (``<instance>/uploads/projects``).

Each person has one storage quota for every file they upload (project deliverables and CPD evidence):
features that keep a person's files answer the ``storage_usage`` signal (lms/signals.py). A file written in a transaction that
does not commit is removed when the transaction ends, so a refused or failed upload leaves nothing behind."""
from __future__ import annotations

import hashlib
import io
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.extensions import db
from lms.signals import answers, storage_usage

KINDS = {  # kind -> (extensions that may carry it, MIME type)
    "pdf": ((".pdf",), "application/pdf"),
    "docx": ((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ((".pptx",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "png": ((".png",), "image/png"),
    "jpeg": ((".jpg", ".jpeg"), "image/jpeg"),
}
OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
FORBIDDEN_CHARS = set('/\\<>:"|?*')


class UploadRejected(ValueError):
    pass


def detect_kind(data: bytes) -> str | None:
    """What the bytes are (pdf, docx, xlsx, pptx, png, jpeg), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        for kind, part in OFFICE_PARTS.items():
            if part in names:
                return kind
    return None


def check_name(name: str) -> str | None:
    """Why a file name is refused, or None. Letters of any script are fine; paths and controls are not."""
    if not name or not name.strip():
        return _("the file has no name")
    if len(name) > 200:
        return _("the file name is longer than 200 characters")
    if ".." in name or any(ch in FORBIDDEN_CHARS for ch in name):
        return _("the name contains a path or one of the characters / \\ < > : \" | ? *")
    if name.startswith(".") or name != name.strip():
        return _("the name starts with a dot or a space, or ends with a space")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        return _("the name contains control or invisible characters")
    return None


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """The kind of an acceptable file; raises UploadRejected with the reason (naming the file) otherwise."""
    shown = name if name and len(name) <= 200 else (name or "")[:60] + "…"
    problem = check_name(name)
    if problem:
        raise UploadRejected(_("%(name)s: refused, %(why)s.", name=shown, why=problem))
    if not data:
        raise UploadRejected(_("%(name)s: refused, the file is empty.", name=shown))
    if len(data) > max_bytes:
        raise UploadRejected(_("%(name)s: refused, the file is larger than the limit of %(mb)s MB.",
                               name=shown, mb=f"{max_bytes / 1_000_000:g}"))
    kind = detect_kind(data)
    if kind is None:
        raise UploadRejected(_("%(name)s: refused, its content is not a PDF, Word (DOCX), Excel (XLSX), "
                               "PowerPoint (PPTX), PNG or JPEG file, whatever its name says.", name=shown))
    ext = os.path.splitext(name)[1].lower()
    if ext not in KINDS[kind][0]:
        raise UploadRejected(_("%(name)s: refused, the content is a %(kind)s file but the name ends in "
                               "'%(ext)s'; rename it to %(good)s.", name=shown, kind=kind.upper(), ext=ext or "",
                               good=KINDS[kind][0][0]))
    return kind


def storage_dir() -> Path:
    folder = Path(current_app.config["LMS_UPLOAD_DIR"]) / "projects"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def store(data: bytes) -> tuple[str, str]:
    """Write the bytes under a random name; returns (stored name, sha256). The file stays only if the
    current transaction commits."""
    stored = secrets.token_hex(24)
    path = storage_dir() / stored
    tmp = path.with_suffix(".part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_UNCOMMITTED, []).append(path)
    return stored, hashlib.sha256(data).hexdigest()


_UNCOMMITTED = "lms.uploads.uncommitted"


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is not None:       # a savepoint: its files wait for the outer transaction
        return
    for path in session.info.pop(_UNCOMMITTED, ()):
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- one person's storage

@dataclass(frozen=True)
class Storage:
    used: int       # bytes
    limit: int


def storage(user_id: int) -> Storage:
    return Storage(sum(answers(storage_usage, user_id)), current_app.config["UPLOAD_QUOTA_BYTES"])


def take_person(user_id: int) -> None:
    """Hold the person's row until the transaction ends, so that two uploads of one person (two tabs, two
    app servers) are counted one after the other: a no-op UPDATE locks the row on PostgreSQL and takes
    SQLite's write lock."""
    db.session.execute(update(User).where(User.id == user_id).values(id=User.id)
                       .execution_options(synchronize_session=False))


def check_storage(user_id: int, incoming: int) -> Storage:
    """Refuses (UploadRejected) when ``incoming`` more bytes would take the person beyond their quota. Check
    before writing the files, to refuse early, and again after ``take_person``, before their rows are added."""
    now = storage(user_id)
    if now.used + incoming > now.limit:
        raise UploadRejected(_("Refused: %(size)s more would take your storage beyond its limit of %(limit)s "
                               "(%(used)s used by your project deliverables and CPD evidence together).",
                               size=size_text(incoming), limit=size_text(now.limit), used=size_text(now.used)))
    return now


def size_text(n: int) -> str:
    """As the ``filesize`` filter writes sizes in pages."""
    return f"{n} B" if n < 1000 else f"{n / 1000:.0f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


def path_of(stored: str) -> Path:
    if not stored.isalnum():
        raise FileNotFoundError(stored)
    return storage_dir() / stored

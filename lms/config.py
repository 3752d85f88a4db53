"""Settings, read only from environment variables prefixed ``LMS_``, and only by the entry points.

``Settings.from_env()`` reads them once (the ``lms`` command, ``lms.wsgi``, the job worker) and
``create_app(settings)`` takes the result; nothing else reads the environment, so the tests, which pass
settings of their own, never see an exported ``LMS_*`` variable.

Every setting has a safe default so that ``lms serve`` works on a fresh machine: the
database is a SQLite file in the instance folder and the secret key is generated once
and kept there (owner-only permissions), never written in code.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# name, default, description — the README's configuration table is generated from this list
SETTINGS: list[tuple[str, str, str]] = [
    ("LMS_INSTANCE_PATH", "./instance", "Folder for the SQLite database, the secret key, the mail outbox and uploads."),
    ("LMS_DATABASE_URL", "sqlite:///<instance>/lms.sqlite3",
     "SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user:pass@host/db`."),
    ("LMS_SECRET_KEY", "generated into `<instance>/secret_key`", "Signs sessions, CSRF tokens and reset links."),
    ("LMS_BASE_URL", "http://127.0.0.1:5000", "Public address, used in e-mailed links (and later as the issuer's did:web)."),
    ("LMS_SESSION_COOKIE_SECURE", "true when LMS_BASE_URL is https", "Send the session cookie over HTTPS only."),
    ("LMS_MAIL_SERVER", "(empty: write mail to `<instance>/outbox/`)", "SMTP host."),
    ("LMS_MAIL_PORT", "587", "SMTP port."),
    ("LMS_MAIL_USERNAME", "(empty)", "SMTP user name."),
    ("LMS_MAIL_PASSWORD", "(empty)", "SMTP password."),
    ("LMS_MAIL_USE_TLS", "true", "STARTTLS on the SMTP connection."),
    ("LMS_MAIL_SENDER", "no-reply@localhost", "From address of the platform's mail."),
    ("LMS_CONTENT_PATH", "the repository root", "Where `lms load` finds `courses/`, `question_banks/`, `certificates/`."),
    ("LMS_LOGIN_MAX_FAILURES", "5", "Failed logins allowed for one account from one client address in the window before that account is locked for that address."),
    ("LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT", "20", "Failed logins allowed for one account from all addresses in the window; past it, every address that failed on the account is locked out of it and a new address gets one try (the owner's right password from a new address still signs in; a password reset lifts the lock)."),
    ("LMS_LOGIN_MAX_FAILURES_PER_ADDRESS", "20", "Failed logins from one client address in the window after which it keeps 3 tries on each account (so people behind one NAT address who mistype once or twice still sign in)."),
    ("LMS_LOGIN_WINDOW_MINUTES", "15", "The window of the three limits above."),
    ("LMS_RESET_TOKEN_HOURS", "2", "How long a password-reset link is valid."),
    ("LMS_REGISTRATION_LINK_HOURS", "24", "How long the e-mailed link that confirms a new registration is valid."),
    ("LMS_KEYS_DIR", "<instance>/keys", "The issuer's Ed25519 signing keys (`lms keys create`; owner-only files). The newest signs."),
    ("LMS_SIGNING_KEY", "(empty)", "A PEM private key to sign with instead of the newest file key (e.g. from a secret store)."),
    ("LMS_ISSUER_NAME_EN", "TTM Academy — Technology Transfer Manager Certification", "The issuer's name in English: the `name` of the Open Badges Profile every credential carries, and on the issuer's page."),
    ("LMS_ISSUER_NAME_ZH", "技术经理人学院 · 技术经理人资格认证", "The issuer's name in Chinese (the Profile's `otherIdentifier` of type `name`, and the issuer's page in Chinese)."),
    ("LMS_ISSUER_EMAIL", "LMS_MAIL_SENDER (none if that is `…@localhost`)", "The issuer's contact address in its Profile."),
    ("LMS_ISSUER_URL", "LMS_BASE_URL", "The issuer's home page in its Profile."),
    ("LMS_CJK_FONT", "Noto Sans SC from `node_modules` (`npm ci`)", "TrueType font with Chinese glyphs embedded in certificate PDFs (`LMS_CJK_FONT_BOLD` for the bold face)."),
    ("LMS_UPLOAD_DIR", "<instance>/uploads", "Where project deliverables are stored (outside the web root, random names)."),
    ("LMS_UPLOAD_MAX_MB", "25", "Largest deliverable file accepted, in megabytes."),
    ("LMS_UPLOAD_QUOTA_MB", "200", "Storage one person may fill with project deliverables and CPD evidence together, in megabytes."),
    ("LMS_PROJECT_MAX_VERSIONS", "10", "Versions of its deliverables a project may submit."),
    ("LMS_PROJECT_MAX_FILES", "10", "Files in one submitted version of a project's deliverables."),
    ("LMS_CPD_MAX_EVIDENCE", "30", "Evidence files a holder may attach to the CPD activities of one certificate."),
    ("LMS_SPONSOR_LINK_DAYS", "14", "How long a sponsor's confirmation link is valid."),
    ("LMS_SPONSOR_MAILS_PER_DAY", "3", "Confirmation e-mails one project may send its sponsor in 24 hours (the first one included)."),
    ("LMS_GRADE_DIFFERENCE", "15", "Two examiners' totals further apart than this (points) send a project to reconciliation."),
    ("LMS_REDIS_URL", "(empty: in-process)", "Redis (`redis://host:6379/0`) for the background-job queue (`lms worker`) and for the rate-limit counters (without it they are kept in the database, shared by every worker and app server just the same)."),
    ("LMS_ANONYMOUS_CHECK_LIMIT", "20 per hour", "How often one address may check certificates without signing in or an API key (bulk, API, upload)."),
    ("LMS_ACCOUNT_MAIL_CLIENT_LIMIT", "20 per hour", "How many registrations and password-reset requests one client address may send (each e-mails the address it names); a centre that registers a whole room from one address raises it."),
    ("LMS_PROXY_FIX", "0", "Number of trusted reverse proxies in front of the app (for client addresses and https)."),
    ("LMS_TIMEZONE", "UTC", "Time zone, an IANA name such as `Asia/Shanghai`, in which exams' opening and closing times are shown, with the offset (times are stored in UTC)."),
]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _lookup(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(name)
    return value if value not in (None, "") else default


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = _lookup(environ, name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    # Several processes may start at once on a new instance folder (gunicorn's workers): each writes a key of
    # its own to a private file and links it into place, which appears whole or not at all; the first one wins
    # and every process then reads the same key.
    instance.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=instance, prefix=".secret_key.")       # readable by the owner only
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        except OSError:                 # a file system without hard links: create it exclusively instead
            try:
                fd2 = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd2, "w") as fh, open(draft) as src:
                    fh.write(src.read())
    finally:
        os.unlink(draft)
    return key_file.read_text().strip()


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"LMS_TIMEZONE={name!r} is not a time zone: give an IANA name such as Asia/Shanghai or UTC") from None
    return name


@dataclass(frozen=True)
class Settings:
    """What ``create_app`` is built from: the instance folder, the ``LMS_*`` variables read (an empty mapping
    gives every default), and Flask configuration set over what they give (tests, scripts)."""
    instance_path: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of the process's environment (or of ``environ``), read once."""
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if k.startswith("LMS_")}
        return cls(Path(_lookup(env, "LMS_INSTANCE_PATH", str(Path.cwd() / "instance"))).resolve(), env)

    def with_config(self, config: Mapping[str, Any]) -> Settings:
        """These settings with Flask configuration ``config`` set over them."""
        return replace(self, overrides={**self.overrides, **config})

    def flask_config(self) -> dict:
        """The Flask configuration: the ``LMS_*`` values (or their defaults), then the overrides."""
        return {**self._from_environ(), **self.overrides}

    def _from_environ(self) -> dict:
        inst = self.instance_path
        inst.mkdir(parents=True, exist_ok=True)
        _env, _bool = partial(_lookup, self.environ), partial(_flag, self.environ)
        base_url = _env("LMS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        db_url = _env("LMS_DATABASE_URL", f"sqlite:///{inst / 'lms.sqlite3'}")
        return {
            "SECRET_KEY": self.overrides.get("SECRET_KEY") or _secret_key(inst, _env("LMS_SECRET_KEY")),
            "SQLALCHEMY_DATABASE_URI": db_url,
            "LMS_BASE_URL": base_url,
            "LMS_CONTENT_PATH": Path(_env("LMS_CONTENT_PATH", str(REPO_ROOT))),
            "LMS_OUTBOX": inst / "outbox",
            "SESSION_COOKIE_SECURE": _bool("LMS_SESSION_COOKIE_SECURE", base_url.startswith("https://")),
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": _bool("LMS_SESSION_COOKIE_SECURE", base_url.startswith("https://")),
            "MAIL_SERVER": _env("LMS_MAIL_SERVER"),
            "MAIL_PORT": int(_env("LMS_MAIL_PORT", "587")),
            "MAIL_USERNAME": _env("LMS_MAIL_USERNAME"),
            "MAIL_PASSWORD": _env("LMS_MAIL_PASSWORD"),
            "MAIL_USE_TLS": _bool("LMS_MAIL_USE_TLS", True),
            "MAIL_SENDER": _env("LMS_MAIL_SENDER", "no-reply@localhost"),
            "LOGIN_MAX_FAILURES": int(_env("LMS_LOGIN_MAX_FAILURES", "5")),
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(_env("LMS_LOGIN_MAX_FAILURES_PER_ACCOUNT", "20")),
            "LOGIN_MAX_FAILURES_PER_ADDRESS": int(_env("LMS_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
            "LOGIN_WINDOW_MINUTES": int(_env("LMS_LOGIN_WINDOW_MINUTES", "15")),
            "RESET_TOKEN_HOURS": int(_env("LMS_RESET_TOKEN_HOURS", "2")),
            "REGISTRATION_LINK_HOURS": int(_env("LMS_REGISTRATION_LINK_HOURS", "24")),
            "LMS_KEYS_DIR": Path(_env("LMS_KEYS_DIR", str(inst / "keys"))),
            "LMS_UPLOAD_DIR": Path(_env("LMS_UPLOAD_DIR", str(inst / "uploads"))),
            "UPLOAD_MAX_BYTES": int(float(_env("LMS_UPLOAD_MAX_MB", "25")) * 1_000_000),
            # the largest request body of a route that sets no limit of its own (lms.core.limits.body_limit), and of
            # a form's fields held in memory; a form may have at most MAX_FORM_PARTS fields and files
            "MAX_CONTENT_LENGTH": 1_000_000,
            "MAX_FORM_MEMORY_SIZE": 1_000_000,
            "MAX_FORM_PARTS": 1000,
            # the routes that take uploads: a submission may carry several files; each is checked against
            # UPLOAD_MAX_BYTES
            "UPLOAD_REQUEST_MAX_BYTES": int(float(_env("LMS_UPLOAD_MAX_MB", "25")) * 1_000_000) * 4 + 1_000_000,
            "UPLOAD_QUOTA_BYTES": int(float(_env("LMS_UPLOAD_QUOTA_MB", "200")) * 1_000_000),
            "PROJECT_MAX_VERSIONS": int(_env("LMS_PROJECT_MAX_VERSIONS", "10")),
            "PROJECT_MAX_FILES": int(_env("LMS_PROJECT_MAX_FILES", "10")),
            "CPD_MAX_EVIDENCE": int(_env("LMS_CPD_MAX_EVIDENCE", "30")),
            "SPONSOR_LINK_DAYS": int(_env("LMS_SPONSOR_LINK_DAYS", "14")),
            "SPONSOR_MAILS_PER_DAY": int(_env("LMS_SPONSOR_MAILS_PER_DAY", "3")),
            "GRADE_DIFFERENCE": float(_env("LMS_GRADE_DIFFERENCE", "15")),
            "REDIS_URL": _env("LMS_REDIS_URL"),
            # counters every worker and server shares: Redis when configured, otherwise the database (lms.core.ratelimit)
            "RATELIMIT_STORAGE_URI": _env("LMS_REDIS_URL", "lms-database://"),
            "RATELIMIT_HEADERS_ENABLED": True,
            "ANONYMOUS_CHECK_LIMIT": _env("LMS_ANONYMOUS_CHECK_LIMIT", "20 per hour"),
            "ACCOUNT_MAIL_CLIENT_LIMIT": _env("LMS_ACCOUNT_MAIL_CLIENT_LIMIT", "20 per hour"),
            "PROXY_FIX": int(_env("LMS_PROXY_FIX", "0")),
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_DEFAULT_TIMEZONE": "UTC",
            "LMS_TIMEZONE": _timezone(_env("LMS_TIMEZONE", "UTC")),
            "LMS_SIGNING_KEY": _env("LMS_SIGNING_KEY"),
            "ISSUER_NAME_EN": _env("LMS_ISSUER_NAME_EN"),
            "ISSUER_NAME_ZH": _env("LMS_ISSUER_NAME_ZH"),
            "ISSUER_EMAIL": _env("LMS_ISSUER_EMAIL"),
            "ISSUER_URL": _env("LMS_ISSUER_URL", "").rstrip("/"),
            "WTF_CSRF_TIME_LIMIT": None,
        }

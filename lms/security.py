"""Access rules shared by every feature: role checks and security headers."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from flask_login import login_required as _flask_login_required

from lms.accounts.models import Role
from lms.core.limits import signed_in_first

ROLES = tuple(Role)


def login_required(view):
    """Flask-Login's ``login_required``, the view marked as needing a signed-in person (an anonymous POST is then
    refused before its body is read, :mod:`lms.core.limits`). Views import this one, never Flask-Login's."""
    return signed_in_first(_flask_login_required(view))


def role_required(*roles: str):
    """Allow signed-in users holding any of ``roles`` (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from lms.extensions import login_manager

                return login_manager.unauthorized()
            if not (current_user.has_role("admin") or any(current_user.has_role(r) for r in roles)):
                abort(403)
            return view(*args, **kwargs)

        return signed_in_first(wrapped)     # an anonymous POST is refused before its body is read (lms.core.limits)

    return decorator


def trusted_checker() -> bool:
    """Signed-in employers and administrators: not rate-limited when they check certificates in the browser."""
    return getattr(current_user, "is_authenticated", False) and (current_user.has_role("employer")
                                                                  or current_user.has_role("admin"))


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response

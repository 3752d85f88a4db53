"""Access rules shared by every feature: role checks and security headers."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

ROLES = ("trainee", "instructor", "employer", "admin")


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

        wrapped.lms_signed_in = True        # an anonymous POST is refused before its body is read (lms.core.limits)
        return wrapped

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

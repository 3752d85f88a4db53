"""Request bodies: a size limit per route, and the sign-in checked before any body is read.

Every request may send at most ``MAX_CONTENT_LENGTH`` bytes (a form: 1 MB by default). A route that needs another
limit says so where it is declared, ``@body_limit(256 * 1024)``, or names the setting that holds it,
``@body_limit("UPLOAD_REQUEST_MAX_BYTES")``. The limit is put on the request (Flask's ``request.max_content_length``)
before anything reads the body, so a body announced larger is refused with 413 unread, and a streamed one
(chunked, without Content-Length) is cut off at the limit.

A route that needs a signed-in person (``lms.security.login_required`` or ``role_required``, which mark the view, or
``@signed_in_first`` on a view that checks the person itself) refuses a POST from nobody signed in at once, as
``login_required`` would, without reading its body: Flask-Login's ``current_user`` (the session or the remember
cookie, the account loaded as for any page) decides; the view's own check still decides whether the person may do
what they ask.

The hook runs before every other before-request function (CSRFProtect's reads the form), so ``init_app`` is
called before ``csrf.init_app``.
"""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from lms.extensions import db

BODY_LIMIT = "lms_body_limit"           # the attribute a view's limit is kept in (int bytes, or a setting's name)
SIGNED_IN = "lms_signed_in"             # the attribute that marks a view as needing a signed-in person
WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit(limit: int | str):
    """The largest body (bytes) the view accepts, or the name of the setting that holds it."""

    def decorator(view):
        setattr(view, BODY_LIMIT, limit)
        return view

    return decorator


def signed_in_first(view):
    """Mark a view that checks the signed-in person itself as needing one, so that an anonymous POST is refused
    before its body is read."""
    setattr(view, SIGNED_IN, True)
    return view


def needs_sign_in(view) -> bool:
    """Whether the view (or one it wraps) is marked as needing a signed-in person."""
    fn = view
    while fn is not None:
        if getattr(fn, SIGNED_IN, False):
            return True
        fn = getattr(fn, "__wrapped__", None)
    return False


def _rule(app: Flask, endpoint: str | None) -> tuple[int | str | None, bool]:
    """(the endpoint's own body limit or None, whether it needs a signed-in person), worked out once."""
    rules = app.extensions["lms.body_rules"]
    rule = rules.get(endpoint)
    if rule is None:
        view = app.view_functions.get(endpoint) if endpoint else None
        rule = (getattr(view, BODY_LIMIT, None), needs_sign_in(view)) if view is not None else (None, False)
        rules[endpoint] = rule
    return rule


def _before_request():
    app = current_app._get_current_object()
    limit, signed_in = _rule(app, request.endpoint)
    if limit is not None:
        request.max_content_length = app.config[limit] if isinstance(limit, str) else limit
    if signed_in and request.method in WITH_BODY and not app.config.get("LOGIN_DISABLED") \
            and not current_user.is_authenticated:
        return app.login_manager.unauthorized()
    return None


def too_large(error):
    """413: JSON for a JSON request (the autosave, the API), the error page otherwise."""
    db.session.rollback()
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error=_("What you sent is larger than this address accepts.")), 413
    return render_template("errors/error.html", code=413, error=error), 413


def init_app(app: Flask) -> None:
    app.extensions["lms.body_rules"] = {}
    app.before_request(_before_request)

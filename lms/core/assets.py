"""The stylesheet and the script, cached by browsers for a year instead of asked for again with every page.

Each link to a static file carries a fingerprint of the file's content (``/static/css/app.css?v=3f2a…``). A
request whose fingerprint matches the file is answered as immutable for a year, so a browser that has the file
never asks for it again; when the file changes, its fingerprint and so its address change, and browsers fetch
the new one. Any other request for a static file (no fingerprint, a stale one, or a file changed on disk since
the server started) is answered as before: the browser must check back. Without this each page was three
requests (the page, then the stylesheet and the script revalidated), which counts when a whole cohort opens an
exam at the same moment.

Static responses also leave the session cookie alone: no ``Vary: Cookie``, which would make a browser check
its kept copy again whenever the cookie changed (after each message shown, each sign-in, each language switch).
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

YEAR = 365 * 24 * 3600


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions, except that a static file's response never saves or varies on the session."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static" and not session.modified:
            return
        super().save_session(app, session, response)


def register(app: Flask) -> None:
    """Fingerprint every file of the static folder once, at start-up (a deployment restarts the workers). In debug
    mode, where the files change under a running server, nothing is fingerprinted or cached."""
    app.session_interface = _SessionInterface()
    if app.debug or not app.static_folder:
        return
    files: dict[str, tuple[str, str, int, int]] = {}      # name: (fingerprint, path, mtime, size)
    for folder, _dirs, names in os.walk(app.static_folder):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                fingerprint = hashlib.file_digest(fh, "sha256").hexdigest()[:16]
                stat = os.fstat(fh.fileno())
            key = os.path.relpath(path, app.static_folder).replace(os.sep, "/")
            files[key] = (fingerprint, path, stat.st_mtime_ns, stat.st_size)

    @app.url_defaults
    def _fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and (known := files.get(values.get("filename", ""))):
            values["v"] = known[0]

    default_max_age = app.get_send_file_max_age

    def max_age(filename: str | None) -> int | None:
        known = files.get(filename or "")
        if known and request.args.get("v") == known[0]:
            try:
                stat = os.stat(known[1])
            except OSError:
                stat = None
            if stat and (stat.st_mtime_ns, stat.st_size) == known[2:]:
                return YEAR
        return default_max_age(filename)

    app.get_send_file_max_age = max_age

    @app.after_request
    def _immutable(response):
        if request.endpoint == "static" and response.cache_control.max_age == YEAR:
            response.cache_control.immutable = True
        return response

"""The stylesheet and the script, cached by browsers for a year instead of asked for again with every page.

Each link to a static file carries a fingerprint of the file's content (``/static/css/app.css?v=3f2a…``). A
request whose fingerprint matches the file is answered as immutable for a year, so a browser that has the file
never asks for it again; when the file changes, its fingerprint and so its address change, and browsers fetch
the new one. Any other request for a static file (no fingerprint, or a stale one) is answered as before: the
browser must check back. Without this each page was three requests (the page, then the stylesheet and the
script revalidated), which counts when a whole cohort opens an exam at the same moment.
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request

YEAR = 365 * 24 * 3600


def register(app: Flask) -> None:
    """Fingerprint every file of the static folder once, at start-up (a deployment restarts the workers). In debug
    mode, where the files change under a running server, nothing is fingerprinted or cached."""
    if app.debug or not app.static_folder:
        return
    fingerprints = {}
    for folder, _dirs, files in os.walk(app.static_folder):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                key = os.path.relpath(path, app.static_folder).replace(os.sep, "/")
                fingerprints[key] = hashlib.sha256(fh.read()).hexdigest()[:16]

    @app.url_defaults
    def _fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and (v := fingerprints.get(values.get("filename", ""))):
            values["v"] = v

    default_max_age = app.get_send_file_max_age

    def max_age(filename: str | None) -> int | None:
        v = request.args.get("v")
        if v and v == fingerprints.get(filename or ""):
            return YEAR
        return default_max_age(filename)

    app.get_send_file_max_age = max_age

    @app.after_request
    def _immutable(response):
        if request.endpoint == "static" and response.cache_control.max_age == YEAR:
            response.cache_control.immutable = True
        return response

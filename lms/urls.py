"""Absolute links to the platform's pages, also outside a request (e-mail, credentials, background work)."""
from __future__ import annotations

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    return current_app.config["LMS_BASE_URL"] + current_app.url_map.bind("localhost").build(endpoint, values)

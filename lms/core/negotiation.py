"""Content negotiation for the public pages that also answer JSON-LD (the issuer, programmes, competencies)."""
from __future__ import annotations

from flask import request

JSON_LD = "application/ld+json"


def wants_json_ld() -> bool:
    """True when the client prefers JSON-LD (or JSON) to HTML, by its ``Accept`` header."""
    best = request.accept_mimetypes.best_match(["text/html", JSON_LD, "application/json"], default="text/html")
    return best != "text/html"

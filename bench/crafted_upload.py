"""Measure: a crafted ~2 KB credential whose blank nodes all point at one another (RDF canonicalisation is
exponential on it; before issue 16 one such upload kept a worker busy for minutes), posted anonymously to /verify
of a running server: one alone, then four at once while /healthz is asked in a loop.

    LMS_ANONYMOUS_CHECK_LIMIT="1000 per hour" lms serve --port 5055   # in another shell, on a demo instance
    .venv/bin/python bench/crafted_upload.py [BASE_URL]
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.credentials.test_verification import crafted  # noqa: E402

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5055"
BOUNDARY = "crafted-upload-boundary"


def post(doc: bytes) -> tuple[float, str]:
    """One anonymous visitor: the form (for its CSRF token), then the upload; the upload's time and page."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(BASE + "/verify").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="c.json"\r\n'
            "Content-Type: application/json\r\n\r\n").encode() + doc + f"\r\n--{BOUNDARY}--\r\n".encode()
    req = urllib.request.Request(BASE + "/verify", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    start = time.monotonic()
    page = opener.open(req).read().decode()
    return time.monotonic() - start, page


def main() -> None:
    did = json.load(urllib.request.urlopen(BASE + "/.well-known/did.json"))
    method = did["verificationMethod"][0]["id"]
    doc = json.dumps(crafted(9, method)).encode()
    print(f"document {len(doc)} bytes, 9 blank nodes that all point at one another; key {method}")
    took, page = post(doc)
    print(f"one crafted upload: {took * 1000:.0f} ms; refused: {'too large or too complex' in page}")
    times: list[float] = []
    threads = [threading.Thread(target=lambda: times.append(post(doc)[0])) for _ in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    health = []
    while any(t.is_alive() for t in threads):
        s = time.monotonic()
        urllib.request.urlopen(BASE + "/healthz").read()
        health.append(time.monotonic() - s)
    for t in threads:
        t.join()
    print(f"four at once: slowest {max(times) * 1000:.0f} ms, all done in {(time.monotonic() - start) * 1000:.0f} ms; "
          f"/healthz meanwhile: {len(health)} requests, slowest {max(health) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

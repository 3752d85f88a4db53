"""Measure: the peak memory of a worker that receives an anonymous 100 MB JSON post to an exam's autosave URL
(Flask's test client, no HTTP server). The body is generated as it is read, so the client holds none of it;
what the process's peak resident set grows by is what the app read and parsed.

    .venv/bin/python bench/body_limit_memory.py [--mb 100]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time


class Body:
    """A JSON object {"position": 1, "response": [{}, {}, …]} of about the given size, produced as it is read
    (many small objects: what costs a JSON parser the most memory per byte)."""

    UNIT = b"{},"

    def __init__(self, size: int):
        self.head, self.tail = b'{"position": 1, "response": [', b'{}]}'
        middle = (size - len(self.head) - len(self.tail)) // len(self.UNIT) * len(self.UNIT)
        self.size, self.sent, self.pos = len(self.head) + middle + len(self.tail), 0, 0

    def tell(self) -> int:            # the test client measures the stream's length by seeking to its end and back
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = self.size + offset if whence == 2 else offset
        return self.pos

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.pos
        n = left if n is None or n < 0 else min(n, left)
        out = bytearray()
        while len(out) < n:
            pos = self.pos + len(out)
            if pos < len(self.head):
                out += self.head[pos:pos + n - len(out)]
            elif pos >= self.size - len(self.tail):
                k = pos - (self.size - len(self.tail))
                out += self.tail[k:k + n - len(out)]
            else:
                k = (pos - len(self.head)) % len(self.UNIT)
                want = min(n - len(out), self.size - len(self.tail) - pos)
                out += (self.UNIT * (want // len(self.UNIT) + 2))[k:k + want]
        self.pos += len(out)
        self.sent += len(out)
        return bytes(out)

    def readline(self, *args) -> bytes:
        return self.read(65536)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    args = ap.parse_args()
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-bodymem-"))
    from lms import create_app
    from lms.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    client.get("/")         # everything imported and warmed up before the measure
    body = Body(args.mb * 1_000_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    resp = client.post("/attempts/0123456789abcdef0123456789abcdef/answer", input_stream=body,
                       content_type="application/json")
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"anonymous {args.mb} MB JSON post to /attempts/<id>/answer: status {resp.status_code}, "
          f"{body.sent / 1e6:.1f} MB of the body read, peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB "
          f"(+{(after - before) / 1024:.0f} MiB), {took:.2f} s")


if __name__ == "__main__":
    sys.exit(main())

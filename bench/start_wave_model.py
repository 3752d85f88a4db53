"""A queueing model of the exam rush's start wave: N starts arrive evenly over one second, each trainee's page is
asked for as soon as its start is answered, and two workers serve requests first come, first served, sharing the
CPU left to them. Prints the p95 of the start and of the first page for a few costs per request, so that the
measured figures of bench/exam_rush.py can be read against what the machine could do at best.

    python3 bench/start_wave_model.py [--cores 1.6] [--users 300]
"""
from __future__ import annotations

import argparse
import heapq


def wave(start_ms: float, page_ms: float, users: int = 300, workers: int = 2, cores: float = 1.6) -> tuple[float, float]:
    """(p95 start, p95 first page) in ms, for these CPU costs per request."""
    slow = workers / cores                          # each worker gets cores / workers of a CPU
    events: list[tuple[float, int, str, int]] = [(i / users, i, "start", i) for i in range(users)]
    heapq.heapify(events)
    seq, free, queue, began, start, first = users, workers, [], {}, [], []
    while events:
        now, _, kind, who = heapq.heappop(events)
        if kind in ("start", "page"):
            began.setdefault(who, now)
            queue.append((kind, who))
        else:                                       # a worker finished a request
            free += 1
            done, who = kind.split(":")[1], who
            if done == "start":
                start.append(now - began[who])
                heapq.heappush(events, (now, seq, "page", who))
                seq += 1
            else:
                first.append(now - began[who])
        while free and queue:
            kind, who = queue.pop(0)
            free -= 1
            cost = (start_ms if kind == "start" else page_ms) * slow / 1000
            heapq.heappush(events, (now + cost, seq, f"done:{kind}", who))
            seq += 1
    start.sort()
    first.sort()
    return start[int(0.95 * (len(start) - 1))] * 1000, first[int(0.95 * (len(first) - 1))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cores", type=float, default=1.6, help="CPU left to the app's workers (2 minus the database "
                                                             "and the load generator)")
    ap.add_argument("--users", type=int, default=300)
    args = ap.parse_args()
    print(f"start wave model: {args.users} starts in 1 s, 2 workers on {args.cores:g} cores")
    for start_ms, page_ms in ((5, 10), (4, 8), (3, 6), (3, 4), (2.5, 3.5), (2, 3)):
        s95, f95 = wave(start_ms, page_ms, args.users, cores=args.cores)
        print(f"  start {start_ms:>4g} ms + page {page_ms:>4g} ms of CPU: p95 start {s95:6.0f} ms, "
              f"first page {f95:6.0f} ms")


if __name__ == "__main__":
    main()

"""Issue 17's bounds, old code against new code, interleaved in one run; prints a Markdown table for
bench/RESULTS.md.

    python3 bench/compare.py OLD_REF NEW_REF [--quick] [--find-max] [--rounds 2] [--database-url URL] [--only exam,flood]

For example, on a quiet machine: `python3 bench/compare.py 3b83a8d main --find-max --out /tmp/issue17.md`.

Each ref is checked out (detached) into a temporary worktree under --workdir; this checkout's harness
(bench/*.py) is copied over the worktree's own, so that both codes are measured by the same scripts. Each
worktree runs in a virtual environment made from its dependencies (requirements.lock when it has one, else
pyproject.toml's list) plus aiohttp, with the worktree on PYTHONPATH: two refs with the same dependencies share
one venv (kept in --workdir for the next run). node_modules (the certificates' CJK font) is a link to this
checkout's.

The benchmarks, each run for OLD then NEW (the next round NEW then OLD):
  exam      bench/exam_cohort.py: 1,000 trainees at a real exam's pace (--find-max: 1000, 1500 and 2000)
  flood     bench/exam_cohort.py --flood: 300 starts within one second (no target)
  issuance  bench/issuance.py: sign + PDF, credentials per second per core
  verify    bench/verify_json.py: the verification JSON against the bare-Flask floor
  gift      bench/gift_import.py: 10,000 GIFT questions
The exam, the flood and the verification use the PostgreSQL database of --database-url (its public schema is
dropped and re-created by each run; the role needs no more than owning it); issuance and the GIFT import use
temporary SQLite files, as their earlier figures did. --quick: 100 trainees for about a minute, the flood with
100, 50 credentials, 5 s of verification load. Each run's output is kept in --workdir/logs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

HARNESS = Path(__file__).resolve().parent
REPO = HARNESS.parent
EXAM_ROWS = (("p95 start (Start pressed → attempt page shown)", ("ops", "start", "p95"), "{:.0f} ms", 300.0),
             ("p95 save", ("ops", "save", "p95"), "{:.0f} ms", 100.0),
             ("p95 submit", ("ops", "submit", "p95"), "{:.0f} ms", 300.0),
             ("p95 page move / flag / clock", None, "", None),
             ("errors", ("errors",), "{:g}", 0),
             ("answers lost (of those acknowledged)", ("lost",), "{:g}", 0))
BENCHES = {
    "exam": {"script": ["exam_cohort.py"], "quick": ["--quick"], "full": [], "postgres": True},
    "flood": {"script": ["exam_cohort.py", "--flood"], "quick": ["--quick"], "full": [], "postgres": True},
    "issuance": {"script": ["issuance.py"], "quick": ["--n", "50"], "full": ["--n", "500"], "postgres": False},
    "verify": {"script": ["verify_json.py"], "quick": ["--n", "50", "--duration", "5", "--warmup", "1"],
               "full": ["--duration", "20"], "postgres": True},
    "gift": {"script": ["gift_import.py"], "quick": [], "full": [], "postgres": False},
}


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def checkout(ref: str, workdir: Path) -> tuple[str, Path]:
    """(the commit, a worktree of it with this checkout's harness)."""
    sha = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    wt = workdir / f"wt-{sha[:12]}"
    if not wt.exists():
        git("worktree", "add", "--detach", str(wt), sha)
    for script in HARNESS.glob("*.py"):
        shutil.copy(script, wt / "bench" / script.name)
    modules = REPO / "node_modules"
    if modules.exists() and not (wt / "node_modules").exists():
        (wt / "node_modules").symlink_to(modules.resolve())
    return sha, wt


def requirements(wt: Path) -> list[str]:
    """The worktree's dependencies: its lock file when it has one, else pyproject.toml's list; and the client's."""
    lock = wt / "requirements.lock"
    if lock.exists():
        lines = [x.strip() for x in lock.read_text().splitlines()]
        deps = [x for x in lines if x and not x.startswith(("#", "-e", "."))]
    else:
        deps = tomllib.loads((wt / "pyproject.toml").read_text())["project"]["dependencies"]
    return deps + ["aiohttp"]


def venv_for(wt: Path, workdir: Path) -> Path:
    """A virtual environment with the worktree's dependencies (not the code itself), shared by equal lists."""
    deps = requirements(wt)
    venv = workdir / f"venv-{hashlib.sha256(json.dumps(deps).encode()).hexdigest()[:12]}"
    if not (venv / "ready").exists():
        log(f"creating {venv.name} ({len(deps)} requirements)")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        reqs = venv / "requirements.txt"
        reqs.write_text("\n".join(deps) + "\n")
        with open(workdir / "logs" / f"{venv.name}-pip.log", "w") as out:
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(reqs)], check=True, stdout=out,
                           stderr=subprocess.STDOUT)
        (venv / "ready").touch()
    return venv / "bin" / "python"


def run_bench(name: str, code: dict, args, round_no: int) -> dict | None:
    spec = BENCHES[name]
    extra = list(spec["quick" if args.quick else "full"])
    if name == "exam" and args.find_max and not args.quick:
        extra += ["--sizes", "1000,1500,2000"]
    if spec["postgres"]:
        extra += ["--database-url", args.database_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env["PYTHONPATH"] = str(code["wt"])
    logfile = args.workdir / "logs" / f"{name}-{code['label']}-{code['sha'][:7]}-{round_no}.log"
    log(f"{name}: {code['label']} {code['sha'][:7]} (round {round_no + 1}) ...")
    t = time.perf_counter()
    with open(logfile, "w") as out:
        done = subprocess.run([str(code["python"]), str(code["wt"] / "bench" / spec["script"][0]), *spec["script"][1:],
                               *extra], cwd=code["wt"], env=env, stdout=out, stderr=subprocess.STDOUT)
    text = logfile.read_text(errors="replace")
    line = next((x for x in reversed(text.splitlines()) if x.startswith("BENCH-JSON ")), None)
    log(f"  ... {time.perf_counter() - t:.0f} s, {'ok' if line and not done.returncode else 'FAILED'} ({logfile})")
    return json.loads(line[len("BENCH-JSON "):]) if line and not done.returncode else None


def dig(result: dict | None, path: tuple) -> float | None:
    for key in path:
        if not isinstance(result, dict) or key not in result:
            return None
        result = result[key]
    return result


def cell(values: list, fmt: str, target, lower_is_better: bool = True) -> str:
    """The median of the rounds (and their range), and whether it meets the target (None: no target)."""
    values = [v for v in values if v is not None]
    if not values:
        return "failed (see log)"
    mid = statistics.median(values)
    text = fmt.format(mid)
    if len(values) > 1:
        text += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
    if target is None:
        return text
    met = mid <= target if target == 0 else (mid < target if lower_is_better else mid >= target)
    return f"{text} {'met' if met else '**NOT met**'}"


def exam_rows(name: str, runs: dict, codes: list[dict]) -> list[tuple[str, str, list[str]]]:
    """The exam's (or the flood's) rows: its targets (none for the flood), the other pages' p95, the largest cohort."""
    title = "the flood" if name == "flood" else "exam at a real pace"
    first = next((r for c in codes for r in runs[c["label"]] if r), None)
    title += f" ({first['trainees'] if first else '?'} trainees)"
    out = [exam_row(name, f"{title}: {row[0]}", row, runs, codes) for row in EXAM_ROWS]
    if name == "exam" and any(dig(r, ("runs",)) for c in codes for r in runs[c["label"]]):
        out.append(("exam: the largest cohort meeting every target (of 1000, 1500, 2000)", "try 2,000",
                    [" / ".join(str(dig(r, ("largest_met",))) for r in runs[c["label"]] if r) or "failed"
                     for c in codes]))
    return out


def exam_row(name: str, figure: str, row: tuple, runs: dict, codes: list[dict]) -> tuple[str, str, list[str]]:
    _, path, fmt, target = row
    if path is None:
        return figure, "–", [other_pages(runs[c["label"]]) for c in codes]
    if name == "flood" and "ms" in fmt:      # the flood has no latency target (errors and losses still count)
        target = None
    shown = "–" if target is None else (f"< {target:g} ms" if "ms" in fmt else f"{target:g}")
    return figure, shown, [cell([dig(r, path) for r in runs[c["label"]]], fmt, target) for c in codes]


def other_pages(results: list) -> str:
    """p95 of the page moves, the flags and the clock's polls (no targets)."""
    if not any(results):
        return "failed (see log)"
    return " / ".join(cell([dig(r, ("ops", op, "p95")) for r in results], "{:.0f}", None)
                      for op in ("page", "flag", "clock")) + " ms"


# (benchmark, figure, target, the result's field, format, target value, lower is better)
SINGLE_ROWS = (("issuance", "issuance: sign + PDF, credentials/s per core (CPU time)", "≥ 20", "per_core", "{:.1f}/s",
                20.0, False),
               ("verify", "verification JSON: throughput real / bare Flask", "≥ 0.70", "ratio", "{:.2f}", 0.70, False),
               ("gift", "GIFT import of 10,000 questions (SQLite)", "< 5 s", "total", "{:.2f} s", 5.0, True))


def rows(results: dict, codes: list[dict]) -> list[tuple[str, str, list[str]]]:
    """(figure, target, one cell per code) for the table."""
    out = []
    for name in ("exam", "flood"):
        if name in results:
            out += exam_rows(name, results[name], codes)
    for name, figure, target, field, fmt, value, lower in SINGLE_ROWS:
        if name in results:
            out.append((figure, target, [cell([dig(r, (field,)) for r in results[name][c["label"]]], fmt, value, lower)
                                         for c in codes]))
    return out


def table(results: dict, codes: list[dict], args, seconds: float) -> str:
    load = os.getloadavg()
    head = [f"### Issue 17's bounds — {'quick check' if args.quick else 'full run'}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"`python3 bench/compare.py {' '.join(sys.argv[1:])}` — {os.cpu_count()} cores, load average at the end "
            f"{load[0]:.2f}, {args.rounds} round(s) interleaved (median shown, range in brackets), "
            f"{seconds / 60:.0f} min in all. gunicorn: 4 gthread workers x 1 thread (the README's production line).",
            "",
            "| figure | target | " + " | ".join(f"{c['label']} `{c['sha'][:7]}`" for c in codes) + " |",
            "|---|---|" + "---|" * len(codes)]
    return "\n".join(head + [f"| {f} | {t} | " + " | ".join(cells) + " |" for f, t, cells in rows(results, codes)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--quick", action="store_true", help="a small run to check the harness (about 12 minutes)")
    ap.add_argument("--find-max", action="store_true", help="the exam with 1000, 1500 and 2000 trainees")
    ap.add_argument("--rounds", type=int, default=1, help="rounds; the order of old and new alternates")
    ap.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated, of {', '.join(BENCHES)}")
    ap.add_argument("--database-url", default=os.environ.get("LMS_BENCH_DATABASE_URL",
                                                             "postgresql+psycopg://lms:lms@127.0.0.1/lms_bench"))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lms-bench-compare"))
    ap.add_argument("--keep", action="store_true", help="keep the worktrees (the venvs are always kept)")
    ap.add_argument("--out", type=Path, default=None, help="also write the table to this file")
    args = ap.parse_args()
    (args.workdir / "logs").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    codes = []
    for label, ref in (("old", args.old), ("new", args.new)):
        sha, wt = checkout(ref, args.workdir)
        codes.append({"label": label, "sha": sha, "wt": wt, "python": venv_for(wt, args.workdir)})
    names = [n for n in args.only.split(",") if n]
    results: dict = {n: {c["label"]: [] for c in codes} for n in names}
    try:
        for name in names:
            for r in range(args.rounds):
                for code in (codes if r % 2 == 0 else codes[::-1]):
                    results[name][code["label"]].append(run_bench(name, code, args, r))
    finally:
        if not args.keep:
            for wt in {c["wt"] for c in codes}:
                subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=REPO, capture_output=True)
    out = table(results, codes, args, time.perf_counter() - t0)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()

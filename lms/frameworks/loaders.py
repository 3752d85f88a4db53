"""What ``lms load`` does with the competency framework file (registered in lms/loading.py's registry)."""
from __future__ import annotations

from lms.content import ContentError, ContentInvalid
from lms.frameworks.loader import load_framework, parse_framework
from lms.loading import Loader, LoadReport, LoadRun, register_loader

FILE = "courses/framework.yaml"


def parse(run: LoadRun) -> bool:
    """Check the file, if there is one, and note the codes it defines; whether there is one."""
    path = run.root / FILE
    if not path.exists():
        return False
    try:
        data = parse_framework(path.read_text(encoding="utf-8"), FILE)
        run.competencies = {c["code"] for d in data["domains"] for c in d["competencies"]}
    except ContentInvalid as exc:
        run.errors.extend(exc.errors)
    except UnicodeDecodeError as exc:
        run.errors.append(ContentError(FILE, None, f"not UTF-8 text ({exc.reason})"))
    return True


def apply(run: LoadRun, present: bool, report: LoadReport) -> None:
    if present:
        res = load_framework(run.root / FILE, FILE)
        report.framework, report.framework_created = f"{res.framework.code} v{res.framework.version}", res.created


def register() -> None:
    register_loader(Loader("framework", FILE, parse, apply))

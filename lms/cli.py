"""The ``lms`` command: init, load, demo, serve (and Flask-Migrate's ``lms db ...``)."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from lms.extensions import db


def _create_app():
    from lms import create_app
    from lms.config import Settings
    return create_app(Settings.from_env())


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main():
    """Training and certification platform for technology-transfer managers."""


def register_cli(app) -> None:
    for cmd in (init_cmd, load_cmd, demo_cmd, serve_cmd, questions_cmd, exams_cmd, keys_cmd, credentials_cmd, worker_cmd,
                case_cmd):
        app.cli.add_command(cmd)


@click.group("exams")
def exams_cmd():
    """Exams: maintenance commands."""


@exams_cmd.command("close-overdue")
@with_appcontext
def exams_close_overdue():
    """Submit every open attempt past its deadline with the answers saved (run it every minute from cron)."""
    from lms.assessment.exams import close_overdue
    n = len(close_overdue())
    db.session.commit()
    click.echo(f"{n} overdue attempt(s) submitted")


@exams_cmd.command("prepare")
@click.argument("quiz_ref")
@with_appcontext
def exams_prepare(quiz_ref):
    """Draw every trainee's next attempt of a quiz ahead of an exam held at a set time, so that the cohort's
    Start only sets each clock. QUIZ_REF is COURSE-SLUG/QUIZ-KEY, or 'diagnostic'. The quiz page does the
    same for one person when they open it; a quiz or question edited later throws the prepared ones away."""
    from sqlalchemy import select

    from lms.assessment import exams, starting
    from lms.assessment.models import Quiz
    from lms.catalog.models import Course
    if quiz_ref == "diagnostic":
        quiz = exams.diagnostic_quiz()
    else:
        slug, _, key = quiz_ref.partition("/")
        quiz = db.session.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id)
                                 .where(Course.slug == slug, Quiz.key == key))
    if quiz is None:
        keys = [] if quiz_ref == "diagnostic" else db.session.scalars(
            select(Quiz.key).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug).order_by(Quiz.key)).all()
        hint = f"; that course's quizzes: {', '.join(keys)}" if keys else ""
        raise click.ClickException(f"no quiz {quiz_ref!r}: give COURSE-SLUG/QUIZ-KEY (as in the course files) "
                                   f"or 'diagnostic'{hint}")
    done, skipped = starting.prepare_cohort(quiz)
    db.session.commit()
    click.echo(f"{done} attempt(s) prepared; {skipped} person(s) already had one open or prepared, or no attempt left")


@click.group("questions")
def questions_cmd():
    """Question banks: import and export (GIFT, Moodle XML, Aiken)."""


@questions_cmd.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--bank", "bank_slug", default=None, help="Bank to import into (default: from the file name).")
@click.option("--format", "fmt", type=click.Choice(["gift", "aiken", "xml"]), default=None,
              help="File format (default: from the file name; .gift, .aiken.txt or .xml).")
@click.option("--language", type=click.Choice(["en", "zh"]), default=None, help="Language of a new bank.")
@with_appcontext
def questions_import(file, bank_slug, fmt, language):
    """Import FILE into a bank; a file with errors changes nothing and every error is listed."""
    from pathlib import Path

    from lms.assessment import banks
    from lms.content import ContentInvalid

    path = Path(file)
    slug, lang = banks.bank_identity(path)
    try:
        with path.open("rb") as stream:
            text = banks.read_import(stream, path.name).decode("utf-8")
        questions = banks.parse_questions(text, fmt or banks.guess_format(path.name), path.name)
    except UnicodeDecodeError as exc:
        click.echo(f"{path.name}: not UTF-8 text ({exc.reason}); nothing was imported", err=True)
        sys.exit(1)
    except ContentInvalid as exc:
        click.echo(f"nothing was imported; {len(exc.errors)} error(s):", err=True)
        for e in exc.errors:
            click.echo(f"  {e}", err=True)
        sys.exit(1)
    bank = banks.get_or_create_bank(bank_slug or slug, language or lang)
    report = banks.import_questions(bank, questions, source="import")
    db.session.commit()
    click.echo(report.line())


@questions_cmd.command("export")
@click.option("--bank", "bank_slug", required=True)
@click.option("--format", "fmt", type=click.Choice(["gift", "xml"]), default="gift", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="File to write (default: standard output).")
@with_appcontext
def questions_export(bank_slug, fmt, out):
    """Export a bank's current questions."""
    from sqlalchemy import select

    from lms.assessment.banks import export_bank
    from lms.assessment.models import QuestionBank

    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.slug == bank_slug))
    if bank is None:
        click.echo(f"no bank {bank_slug!r}", err=True)
        sys.exit(1)
    text = export_bank(bank, fmt)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


@click.command("init")
@with_appcontext
def init_cmd():
    """Create or upgrade the database through the migrations."""
    from flask_migrate import upgrade
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")
    from lms.credentials import keys
    if not keys.all_keys():
        click.echo(f"signing key created: {keys.create_key()} (in {keys.keys_dir()}, owner-only)")


@click.group("keys")
def keys_cmd():
    """The issuer's signing keys (Ed25519) for certificates."""


@keys_cmd.command("create")
@with_appcontext
def keys_create():
    """Create a key and make it the active one; older keys stay published so their credentials still verify."""
    from lms.credentials import keys
    kid = keys.create_key()
    click.echo(f"created {kid}; it signs from now on. Issuer: {keys.did()}")


@keys_cmd.command("list")
@with_appcontext
def keys_list():
    """Every key in the DID document, oldest first; the last one signs."""
    from lms.credentials import keys, signing
    for kid, pub in keys.public_keys().items():
        click.echo(f"{keys.verification_method(kid)}\t{signing.public_multibase(pub)}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and batch runs).")
@with_appcontext
def worker_cmd(burst):
    """Run background jobs (bulk issuance) from the Redis queue of LMS_REDIS_URL."""
    from rq import Worker

    from lms.jobs import QUEUE, queue
    if not current_app.config.get("REDIS_URL"):
        click.echo("LMS_REDIS_URL is not set: jobs run in the request, no worker is needed", err=True)
        sys.exit(1)
    q = queue()
    Worker([q], connection=q.connection, name=None).work(burst=burst)
    click.echo(f"worker on queue {QUEUE} stopped")


@click.group("case")
def case_cmd():
    """The competency framework as a 1EdTech CASE 1.1 package."""


@case_cmd.command("export")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="File to write (default: standard output).")
@with_appcontext
def case_export(out):
    """Write the current framework as a CASE 1.1 CFPackage (JSON)."""
    from lms.frameworks import case
    from lms.frameworks.services import framework_tree

    fw = framework_tree()
    if fw is None:
        click.echo("no framework is loaded; run `lms load` first", err=True)
        sys.exit(1)
    text = case.dumps(case.build_package(fw))
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        click.echo(f"{fw.code} v{fw.version} written to {out}")
    else:
        click.echo(text)


@case_cmd.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--check", is_flag=True, help="Only check the file and say what the import would do.")
@with_appcontext
def case_import(file, check):
    """Import FILE (a CASE 1.1 CFPackage) as a new framework or a new version of ours; a file with errors
    changes nothing and every error is listed with its path."""
    from lms.frameworks.case_import import MAX_BYTES, CaseImportError, apply_import, plan_import, read_package

    try:
        with open(file, "rb") as f:
            plan = plan_import(read_package(f.read(MAX_BYTES + 1)))
    except CaseImportError as exc:
        click.echo(f"nothing was imported; {len(exc.errors)} error(s):", err=True)
        for e in exc.errors:
            click.echo(f"  {e}", err=True)
        sys.exit(1)
    counts = ", ".join(f"{k} {v}" for k, v in plan.counts.items())
    target = (f"unchanged ({plan.existing.code} v{plan.existing.version})" if plan.unchanged
              else f"{plan.data['code']} v{plan.version}")
    if check:
        click.echo(f"would import: {target}; {counts}")
        return
    fw = apply_import(plan)
    db.session.commit()
    click.echo(f"imported: {target if plan.unchanged else f'{fw.code} v{fw.version}'}; {counts}")


@click.group("credentials")
def credentials_cmd():
    """Issued certificates."""


@credentials_cmd.command("remind-expiring")
@click.option("--days", default=60, show_default=True, help="Remind holders whose certificate expires within this many days.")
@with_appcontext
def credentials_remind(days):
    """E-mail holders whose certificate expires soon, once per certificate (run it daily from a scheduler)."""
    from lms.credentials.services import remind_expiring
    due = remind_expiring(days)
    db.session.commit()
    click.echo(f"{len(due)} reminder(s) sent")


@credentials_cmd.command("list")
@with_appcontext
def credentials_list():
    """One line per credential: id, holder, programme, status (tab-separated)."""
    from sqlalchemy import select

    from lms.credentials.models import Credential
    from lms.credentials.services import status_of
    for cred in db.session.scalars(select(Credential).order_by(Credential.requested_at)):
        click.echo("\t".join((cred.public_id, cred.holder.email, cred.programme.key, status_of(cred))))


@click.command("load")
@click.option("--path", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder holding courses/ (default: LMS_CONTENT_PATH, the repository).")
@with_appcontext
def load_cmd(path):
    """Load the content files (framework, courses); idempotent; an error changes nothing."""
    from pathlib import Path

    from lms.content import ContentInvalid
    from lms.loading import load_all

    root = Path(path) if path else current_app.config["LMS_CONTENT_PATH"]
    try:
        report = load_all(root)
    except ContentInvalid as exc:
        click.echo(f"nothing was loaded; {len(exc.errors)} error(s):", err=True)
        for e in exc.errors:
            click.echo(f"  {e}", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)


@click.command("demo")
@with_appcontext
def demo_cmd():
    """Demo accounts for each role and a little activity; prints the logins."""
    from lms.demo import create_demo
    for line in create_demo():
        click.echo(line)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Flask's development server with reloading instead of gunicorn.")
def serve_cmd(host, port, workers, dev):
    """Serve the platform (gunicorn by default)."""
    if dev:
        # Flask ignores app.run() inside its own CLI, so start Werkzeug's server directly
        from werkzeug.serving import run_simple

        from lms import create_app
        from lms.config import Settings
        # debug mode: templates and static files are read afresh, nothing is cached for long
        run_simple(host, port, create_app(Settings.from_env().with_config({"DEBUG": True})), use_reloader=True, use_debugger=True, threaded=True)
        return
    # gthread with one thread: one request at a time per worker, as the sync worker, but connections are kept
    # alive between requests (an exam's autosaves reuse theirs; see bench/RESULTS.md)
    args = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", "1", "--access-logfile", "-", "lms.wsgi:app"]
    os.execv(sys.executable, args)

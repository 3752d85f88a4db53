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
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main():
    """Training and certification platform for technology-transfer managers."""


def register_cli(app) -> None:
    for cmd in (init_cmd, load_cmd, demo_cmd, serve_cmd):
        app.cli.add_command(cmd)


@click.command("init")
@with_appcontext
def init_cmd():
    """Create or upgrade the database through the migrations."""
    from flask_migrate import upgrade
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


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
        from lms import create_app
        create_app().run(host=host, port=port, debug=True)
        return
    args = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "lms.wsgi:app"]
    os.execv(sys.executable, args)
